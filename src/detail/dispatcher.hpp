// src/detail/dispatcher.hpp - the dispatcher's intake for deliveries that a port reads on the
// main thread itself instead of recording them in signal context (the POSIX event-loop fast
// path's signalfd). Normal context, main thread only.
#pragma once

#include "sigkit/siginfo.hpp"

namespace sigkit::detail {

/// Appends the record of one delivery to its signal's backlog, for a (const siginfo&)
/// consumer.
void push_backlog(const siginfo& info);

/// Marks one delivery of `signo` for the next scan (as the OS-level handler's tripped flag).
void mark_taken(int signo) noexcept;

/// Fork child: forgets every backlog and mark.
void reset_dispatcher_after_fork();

}  // namespace sigkit::detail
