// send (Windows): raise_signal() through the C runtime's raise(), and send_ctrl_event()
// through GenerateConsoleCtrlEvent (Python: os.kill(group, CTRL_C_EVENT)).
#include "sigkit/send.hpp"

#include <cerrno>
#include <csignal>
#include <stdexcept>
#include <string>
#include <system_error>

#include "detail/util.hpp"
#include "detail/win32.hpp"
#include "sigkit/dispatch.hpp"
#include "sigkit/signal_set.hpp"

namespace sigkit {

void raise_signal(int signalnum) {
  // The C runtime calls its invalid-parameter handler (by default: the process ends) for a
  // number it does not know; refuse it here with the EINVAL Python reports.
  if (!valid_signals().contains(signalnum)) {
    throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                            "cannot raise " + detail::describe_signal(signalnum));
  }
  if (::raise(signalnum) != 0) {
    throw std::system_error(errno != 0 ? errno : EINVAL, std::generic_category(),
                            "cannot raise " + detail::describe_signal(signalnum));
  }
  check_signals();  // on the main thread the handler has run when this returns
}

void send_ctrl_event(int event, unsigned process_group) {
  if (event != CTRL_C_EVENT && event != CTRL_BREAK_EVENT) {
    throw std::invalid_argument("send_ctrl_event: " + std::to_string(event) +
                                " is not CTRL_C_EVENT (0) or CTRL_BREAK_EVENT (1)");
  }
  if (::GenerateConsoleCtrlEvent(static_cast<DWORD>(event), process_group) == 0) {
    detail::throw_error(static_cast<int>(::GetLastError()),
                        std::string("cannot send ") +
                            (event == CTRL_C_EVENT ? "CTRL_C_EVENT" : "CTRL_BREAK_EVENT") +
                            " to process group " + std::to_string(process_group));
  }
}

}  // namespace sigkit
