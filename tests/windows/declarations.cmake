# What sigkit's headers declare on Windows, checked by compiling (cmake -P; see
# CMakeLists.txt). Python's signal module has no pause(), alarm(), setitimer(), getitimer(),
# siginterrupt(), pthread_kill(), pthread_sigmask(), sigpending(), sigwait*(),
# pidfd_send_signal() or struct_siginfo there; sigkit declares none of them (nor its Linux
# extras), so that using one is a compile error, not a surprise at run time.
# Variables: CXX, CXX_ID (GNU, Clang or MSVC), INCLUDE (sigkit's include dir), WORK.
file(MAKE_DIRECTORY ${WORK})
if(CXX_ID STREQUAL "MSVC")
  set(flags /nologo /std:c++20 /Zs /W4 /WX /EHsc /I${INCLUDE})
else()
  set(flags -std=c++20 -fsyntax-only -Wall -Wextra -Werror -I${INCLUDE})
endif()

function(compile name text)
  file(WRITE ${WORK}/${name}.cpp "${text}")
  execute_process(COMMAND ${CXX} ${flags} ${WORK}/${name}.cpp
                  RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(result ${result} PARENT_SCOPE)
  set(output "${out}${err}" PARENT_SCOPE)
endfunction()

# name | what must not exist | the word the compiler's refusal must contain
set(undeclared
  "pause|sigkit::pause()|pause"
  "alarm|sigkit::alarm(std::chrono::seconds(1))|alarm"
  "setitimer|sigkit::setitimer(0, std::chrono::seconds(1))|setitimer"
  "getitimer|sigkit::getitimer(0)|getitimer"
  "itimer_error|throw sigkit::itimer_error(std::error_code(), \"\")|itimer_error"
  "siginterrupt|sigkit::siginterrupt(SIGINT, false)|siginterrupt"
  "pthread_kill|sigkit::pthread_kill(0, SIGINT)|pthread_kill"
  "pthread_sigmask|sigkit::pthread_sigmask(0, {})|pthread_sigmask"
  "sigpending|sigkit::sigpending()|sigpending"
  "sigwait|sigkit::sigwait({SIGINT})|sigwait"
  "sigwaitinfo|sigkit::sigwaitinfo({SIGINT})|sigwaitinfo"
  "sigtimedwait|sigkit::sigtimedwait({SIGINT}, std::chrono::seconds(1))|sigtimedwait"
  "pidfd_send_signal|sigkit::pidfd_send_signal(3, SIGINT)|pidfd_send_signal"
  "pidfd_open|sigkit::pidfd_open(1)|pidfd_open"
  "sigqueue|sigkit::sigqueue(1, SIGINT, 0)|sigqueue"
  "block|sigkit::block({SIGINT})|block"
  "notify_fd|sigkit::notify_fd()|notify_fd"
  "dispatch|sigkit::dispatch()|dispatch"
  "die_by_signal|sigkit::die_by_signal(SIGINT)|die_by_signal"
  "default_action_of|sigkit::default_action_of(SIGINT)|default_action_of"
  "native|sigkit::signal_set{}.native()|native"
  "siginfo_value|sigkit::siginfo{}.value|value"
)
# One translation unit, one use per line: the compiler must refuse each line, naming it.
set(source "#include <sigkit/sigkit.hpp>\n#include <chrono>\n#include <system_error>\n")
set(line 3)
foreach(entry IN LISTS undeclared)
  math(EXPR line "${line} + 1")
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 1 code)
  string(APPEND source "void use_${line}() { ${code}; }\n")
endforeach()
compile(undeclared "${source}")
set(failures "")
if(result EQUAL 0)
  string(APPEND failures "  every POSIX-only function compiled on Windows\n")
endif()
set(line 3)
foreach(entry IN LISTS undeclared)
  math(EXPR line "${line} + 1")
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 0 name)
  list(GET parts 1 code)
  list(GET parts 2 word)
  # GCC: undeclared.cpp:LINE:COL: error: ...; MSVC: undeclared.cpp(LINE): error C...: ...
  if(NOT output MATCHES "undeclared\\.cpp[:(]${line}[:)][^\n]*error[^\n]*${word}")
    string(APPEND failures "  ${name}: `${code}` was not refused (line ${line})\n")
  endif()
endforeach()
if(failures)
  string(APPEND failures "the compiler said:\n${output}\n")
endif()

# The Linux-only headers say why they stop the build.
foreach(header itimer mask wait event_loop)
  compile(header_${header} "#include <sigkit/${header}.hpp>\n")
  if(result EQUAL 0 OR NOT output MATCHES "sigkit/${header}.hpp: ")
    string(APPEND failures "  <sigkit/${header}.hpp> did not stop with its #error:\n${output}\n")
  endif()
endforeach()

# What does exist compiles, warning-free; CTRL_C_EVENT is the system's macro after sigkit's
# headers, with <windows.h> (which defines it again, identically) before or after them.
set(uses "int use() {
  sigkit::send_ctrl_event(CTRL_C_EVENT, 0);
  sigkit::send_ctrl_event(CTRL_BREAK_EVENT, 0);
  sigkit::raise_signal(SIGBREAK);
  sigkit::sleep(std::chrono::milliseconds(1));
  sigkit::check_signals();
  sigkit::shutdown stop;
  auto s = sigkit::subscribe({SIGINT, SIGBREAK}, [](const sigkit::siginfo& i) { return i.code == sigkit::ctrl_close_event ? sigkit::verdict::handled : sigkit::verdict::pass; });
  sigkit::signal(SIGINT, &sigkit::default_int_handler);
  return sigkit::set_wakeup_fd(-1) + static_cast<int>(sigkit::dropped_deliveries(SIGINT)) + static_cast<int>(sigkit::valid_signals().size()) + sigkit::get_wakeup_fd();
}
")
compile(sigkit_only "#include <sigkit/sigkit.hpp>\n#include <chrono>\n${uses}")
if(NOT result EQUAL 0)
  string(APPEND failures "  what exists on Windows did not compile:\n${output}\n")
endif()
compile(windows_first "#include <windows.h>\n#include <sigkit/sigkit.hpp>\n#include <chrono>\n${uses}")
if(NOT result EQUAL 0)
  string(APPEND failures "  <windows.h> before sigkit did not compile:\n${output}\n")
endif()
compile(windows_after "#include <sigkit/sigkit.hpp>\n#include <windows.h>\n#include <chrono>\n${uses}")
if(NOT result EQUAL 0)
  string(APPEND failures "  <windows.h> after sigkit did not compile:\n${output}\n")
endif()

if(failures)
  message(FATAL_ERROR "sigkit's Windows declarations:\n${failures}")
endif()
list(LENGTH undeclared count)
message(STATUS "sigkit on Windows: ${count} POSIX-only functions undeclared, 4 headers refused, what exists compiles")
