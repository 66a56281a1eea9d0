// siginfo: naming si_code values.
#include "sigkit/siginfo.hpp"

namespace sigkit {

namespace {

const char* known_code_name(int signo, int code) noexcept {
  switch (code) {
    case SI_USER:
      return "SI_USER";
    case SI_KERNEL:
      return "SI_KERNEL";
    case SI_QUEUE:
      return "SI_QUEUE";
    case SI_TIMER:
      return "SI_TIMER";
    case SI_MESGQ:
      return "SI_MESGQ";
    case SI_ASYNCIO:
      return "SI_ASYNCIO";
    case SI_SIGIO:
      return "SI_SIGIO";
    case SI_TKILL:
      return "SI_TKILL";
    default:
      break;
  }
  if (signo == SIGCHLD) {
    switch (code) {
      case CLD_EXITED:
        return "CLD_EXITED";
      case CLD_KILLED:
        return "CLD_KILLED";
      case CLD_DUMPED:
        return "CLD_DUMPED";
      case CLD_TRAPPED:
        return "CLD_TRAPPED";
      case CLD_STOPPED:
        return "CLD_STOPPED";
      case CLD_CONTINUED:
        return "CLD_CONTINUED";
      default:
        break;
    }
  }
  if (signo == SIGSEGV) {
    if (code == SEGV_MAPERR) return "SEGV_MAPERR";
    if (code == SEGV_ACCERR) return "SEGV_ACCERR";
  }
  if (signo == SIGBUS) {
    if (code == BUS_ADRALN) return "BUS_ADRALN";
    if (code == BUS_ADRERR) return "BUS_ADRERR";
    if (code == BUS_OBJERR) return "BUS_OBJERR";
  }
  if (signo == SIGFPE) {
    if (code == FPE_INTDIV) return "FPE_INTDIV";
    if (code == FPE_INTOVF) return "FPE_INTOVF";
    if (code == FPE_FLTDIV) return "FPE_FLTDIV";
  }
  if (signo == SIGILL && code == ILL_ILLOPC) return "ILL_ILLOPC";
  return nullptr;
}

}  // namespace

std::string code_name(int signo, int code) {
  if (const char* name = known_code_name(signo, code)) return name;
  return std::to_string(code);
}

}  // namespace sigkit
