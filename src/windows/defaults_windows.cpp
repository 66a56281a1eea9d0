// defaults_windows: the Windows port of the defaults: the start-up ignores nothing (Windows
// has neither SIGPIPE nor SIGXFSZ) and has no crash reporter to enable, and a KeyboardInterrupt
// ends the process as Windows ends one on an unhandled Ctrl+C: exit code STATUS_CONTROL_C_EXIT
// (0xC000013A), as Python does.
#include <span>

#include "detail/platform.hpp"
#include "detail/win32.hpp"

namespace sigkit::detail {

std::span<const int> ignored_at_start() noexcept { return {}; }

void crash_reports_from_environment() {
  // sigkit::faulthandler is POSIX-only (signal-context stack walks over ELF modules): on
  // Windows SIGKIT_FAULTHANDLER does nothing, and Windows Error Reporting keeps crash dumps.
}

void end_process_by_keyboard_interrupt() {
  // ExitProcess, as Windows' own Ctrl+C handler does (stdio was flushed by run_main()).
  ::ExitProcess(STATUS_CONTROL_C_EXIT);
}

}  // namespace sigkit::detail
