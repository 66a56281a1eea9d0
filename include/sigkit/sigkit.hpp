// sigkit/sigkit.hpp - everything: Python's signal module for C++, and what it lacks.
#pragma once

#include "sigkit/defaults.hpp"
#include "sigkit/dispatch.hpp"
#include "sigkit/errors.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/send.hpp"
#include "sigkit/shutdown.hpp"
#include "sigkit/siginfo.hpp"
#include "sigkit/signal_set.hpp"
#include "sigkit/signum.hpp"
#include "sigkit/subscribe.hpp"
#include "sigkit/testing.hpp"
#include "sigkit/version.hpp"
#include "sigkit/wakeup.hpp"

/// \namespace sigkit
/// Everything sigkit declares: Python's `signal` module for C++ (same names, same deferred
/// execution model, same errors), plus sender information, exact restoration of dispositions
/// and no silent loss of queued signals. `sigkit::detail` is implementation, not API.

// What exists only on POSIX systems (Python's signal module has none of it on Windows).
#ifndef _WIN32
#include "sigkit/event_loop.hpp"
#include "sigkit/faulthandler.hpp"
#include "sigkit/itimer.hpp"
#include "sigkit/mask.hpp"
#include "sigkit/wait.hpp"
#endif
