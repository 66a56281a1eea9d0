// src/windows/detail/win32.hpp - <windows.h> and Winsock as the Windows port includes them
// (lean, without the min/max macros; Winsock 2 before <windows.h>).
#pragma once

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
// Winsock 2 first: <windows.h> would otherwise pull in the old <winsock.h>.
#include <winsock2.h>

#include <windows.h>
