// The header that declares setitimer/getitimer makes their `which` constants available.
#include <sigkit/itimer.hpp>

int main() {
  const auto v = sigkit::getitimer(ITIMER_REAL);
  static_cast<void>(sigkit::setitimer(ITIMER_VIRTUAL, v.delay));
  return ITIMER_PROF;
}
