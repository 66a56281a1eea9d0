// siginfo (Windows): naming the delivery codes.
#include "sigkit/siginfo.hpp"

namespace sigkit {

std::string code_name(int /*signo*/, int code) {
  switch (code) {
    case raised:
      return "raised";
    case ctrl_c_event:
      return "CTRL_C_EVENT";
    case ctrl_break_event:
      return "CTRL_BREAK_EVENT";
    case ctrl_close_event:
      return "CTRL_CLOSE_EVENT";
    case ctrl_logoff_event:
      return "CTRL_LOGOFF_EVENT";
    case ctrl_shutdown_event:
      return "CTRL_SHUTDOWN_EVENT";
    default:
      return std::to_string(code);
  }
}

}  // namespace sigkit
