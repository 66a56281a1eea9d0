// sigkit/sigkit.hpp - everything: Python's signal module for C++, and what it lacks.
#pragma once

#include "sigkit/defaults.hpp"
#include "sigkit/dispatch.hpp"
#include "sigkit/errors.hpp"
#include "sigkit/handler.hpp"
#include "sigkit/itimer.hpp"
#include "sigkit/mask.hpp"
#include "sigkit/send.hpp"
#include "sigkit/shutdown.hpp"
#include "sigkit/siginfo.hpp"
#include "sigkit/signal_set.hpp"
#include "sigkit/signum.hpp"
#include "sigkit/subscribe.hpp"
#include "sigkit/testing.hpp"
#include "sigkit/version.hpp"
#include "sigkit/wait.hpp"
#include "sigkit/wakeup.hpp"
