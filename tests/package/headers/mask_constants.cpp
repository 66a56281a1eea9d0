// The header that declares pthread_sigmask makes SIG_BLOCK/SIG_UNBLOCK/SIG_SETMASK available.
#include <sigkit/mask.hpp>

int main() {
  static_cast<void>(sigkit::pthread_sigmask(SIG_BLOCK, {SIGUSR1}));
  static_cast<void>(sigkit::pthread_sigmask(SIG_UNBLOCK, {SIGUSR1}));
  return static_cast<int>(sigkit::pthread_sigmask(SIG_SETMASK, {}).size());
}
