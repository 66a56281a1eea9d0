# Cross-compiling sigkit for 64-bit Windows with mingw-w64 (Debian: g++-mingw-w64-x86-64-posix)
# and running the Windows executables under Wine (cmake/wine-test.sh): the `windows-cross`
# preset. Not needed for a native Windows build (MSVC, or mingw-w64 on Windows): see README.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)    # the posix thread model: std::thread
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# A static runtime: the .exe files need no libstdc++-6.dll, libgcc_s_seh-1.dll or
# libwinpthread-1.dll next to them (nor a WINEPATH to find them).
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
# ctest and gtest_discover_tests run the test programs through Wine.
set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/wine-test.sh)
