// sigkit/version.hpp
#pragma once

/// \file
/// The version of the sigkit headers, for `#if` tests and for printing.

#define SIGKIT_VERSION_MAJOR 0         ///< incremented for incompatible API changes
#define SIGKIT_VERSION_MINOR 1         ///< incremented for compatible additions
#define SIGKIT_VERSION_PATCH 0         ///< incremented for fixes
#define SIGKIT_VERSION_STRING "0.1.0"  ///< "MAJOR.MINOR.PATCH"
