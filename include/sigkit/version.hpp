// sigkit/version.hpp
#pragma once

#define SIGKIT_VERSION_MAJOR 0
#define SIGKIT_VERSION_MINOR 1
#define SIGKIT_VERSION_PATCH 0
#define SIGKIT_VERSION_STRING "0.1.0"
