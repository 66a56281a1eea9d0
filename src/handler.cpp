// handler: construction from plain function pointers and invocation.
#include "sigkit/handler.hpp"

#include <stdexcept>

namespace sigkit {
namespace {

struct plain_function final {
  void (*fn)(int);
  void operator()(int signo) const { fn(signo); }
};

}  // namespace

handler::handler(void (*fn)(int)) {
  if (fn == SIG_DFL) {
    kind_ = kind::dfl;
  } else if (fn == SIG_IGN) {
    kind_ = kind::ign;
  } else if (fn == SIG_ERR) {
    throw std::invalid_argument("SIG_ERR is not a signal handler");
  } else {
    kind_ = kind::plain;
    state_ = std::make_shared<model<plain_function>>(plain_function{fn});
    identity_ = reinterpret_cast<std::uintptr_t>(fn);  // NOLINT: identity by address
  }
}

void handler::operator()(const siginfo& info) const {
  if (!state_) throw std::logic_error("this handler is not callable");
  state_->call(info);
}

}  // namespace sigkit
