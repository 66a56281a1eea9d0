// The header that declares signal()/getsignal() makes SIG_DFL and SIG_IGN available.
#include <sigkit/handler.hpp>

int main() {
  return sigkit::getsignal(SIGUSR1) == SIG_DFL || sigkit::getsignal(SIGUSR1) == SIG_IGN ? 0 : 1;
}
