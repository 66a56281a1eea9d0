// Only the umbrella header: everything API.md lists must be usable, including the system's
// own constants that sigkit's functions take (API.md "Packaging").
#include <sigkit/sigkit.hpp>

int main() {
  const int numbers[] = {SIGINT,      NSIG,        SIG_BLOCK,      SIG_UNBLOCK,
                         SIG_SETMASK, ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF};
  const sigkit::handler dfl = SIG_DFL;
  const sigkit::handler ign = SIG_IGN;
  return numbers[0] == SIGINT && !(dfl == ign) ? 0 : 1;
}
