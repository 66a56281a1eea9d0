// testing: deterministic injection of deliveries (testing.hpp).
#include "sigkit/testing.hpp"

#include "detail/registry.hpp"
#include "detail/state.hpp"
#include "detail/util.hpp"

namespace sigkit::testing {

bool inject(const siginfo& info) {
  detail::check_signal_range(info.signo);
  if (!detail::owns_os_action(info.signo)) return false;
  // The very code the OS-level handler runs, without an interrupted context (so no
  // back-pressure: a full queue counts the delivery as dropped, as in another thread).
  detail::record_delivery(info.signo, info, nullptr);
  return true;
}

}  // namespace sigkit::testing
