// sigkit/wakeup.hpp - the wakeup fd that lets an event loop notice signals.
#pragma once

namespace sigkit {

/// After each delivery of a signal that has a sigkit handler, writes one byte (the signal
/// number) to `fd` (pipe, socket), or adds 1 to an eventfd's counter. -1 disables. Returns
/// the old fd (-1 if none). The fd must be non-blocking. Write errors are reported on stderr
/// at the next main-thread checkpoint: "sigkit: cannot write to the signal wakeup fd <fd>:
/// <error>"; a full buffer only if `warn_on_full_buffer`.
/// On Windows `fd` is a Winsock SOCKET cast to int, as Python takes it
/// (`set_wakeup_fd(static_cast<int>(sock))`; INVALID_SOCKET casts to -1): one byte is sent
/// per delivery, errors are reported as "sigkit: cannot send to the signal wakeup fd ...".
/// Windows cannot tell whether a socket is non-blocking (Python does not check either): make
/// it so with ioctlsocket(FIONBIO). A C runtime fd is refused: its writes could block.
/// Thread safety: main thread only. Signal safety: not async-signal-safe.
/// Errors: std::invalid_argument for a negative fd other than -1, a blocking fd, or a call
/// from another thread; std::system_error (EBADF) for a closed fd (on Windows: the Winsock
/// error, WSAENOTSOCK for a closed socket or anything that is not a socket).
/// Fork: the child inherits the fd (as in Python); call set_wakeup_fd(-1) in it to detach.
int set_wakeup_fd(int fd, bool warn_on_full_buffer = true);

/// The current wakeup fd, or -1 (Python lacks this getter, gh-145638).
/// Thread safety: safe. Signal safety: async-signal-safe.
int get_wakeup_fd() noexcept;

}  // namespace sigkit
