// tests/faulthandler/chain_fixture.cpp - main -> a -> b -> c, a fault in c (in an inlined
// helper at -O2). Built twice, at -O0 -g and at -O2 -g. The LINE markers tell the test which
// line each frame must symbolize to; keep them on the lines they mark.
#include <cstdlib>

#include "sigkit/faulthandler.hpp"

namespace {
volatile int* volatile g_target = nullptr;
}

#if defined(__OPTIMIZE__)
// At -O2 the fault is in a helper inlined into chain_c: the symbolized frame shows helper,
// "inlined into" chain_c.
static inline __attribute__((always_inline)) int helper(int value) {
  return *g_target + value;  // LINE:helper
}
#endif

extern "C" __attribute__((noinline)) int chain_c(int value) {
#if defined(__OPTIMIZE__)
  const int result = helper(value) * 3;  // LINE:c-inlined-call
#else
  const int result = (*g_target + value) * 3;  // LINE:c
#endif
  asm volatile("" ::: "memory");
  return result;
}

extern "C" __attribute__((noinline)) int chain_b(int value) {
  const int result = chain_c(value + 1) + 2;  // LINE:b
  asm volatile("" ::: "memory");
  return result;
}

extern "C" __attribute__((noinline)) int chain_a(int value) {
  const int result = chain_b(value + 1) + 1;  // LINE:a
  asm volatile("" ::: "memory");
  return result;
}

int main(int argc, char** argv) {
  sigkit::faulthandler::options settings;
  settings.all_threads = false;
  if (argc > 1 && argv[1][0] == 'j') settings.format = sigkit::faulthandler::report_format::json;
  sigkit::faulthandler::enable(settings);
  const int result = chain_a(argc);  // LINE:main
  std::exit(result);
}
