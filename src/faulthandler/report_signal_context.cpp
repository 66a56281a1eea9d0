// report_signal_context.cpp - the crash reporter's report: which threads, which modules, and
// the text or JSON lines written for them.
//
// Everything in this file runs in signal context (write_report is also called from the
// dump_traceback_later watchdog thread). Only lock-free atomics, the report's own static
// buffers (owned by the holder of the report lock) and async-signal-safe system calls: open,
// read, write, close, getdents64, poll, rt_tgsigqueueinfo, futex, prctl, clock_gettime.
// No allocation, no locks, no stdio, no exceptions. One write() per line (a line longer than
// the 2 KiB line buffer is written in pieces).
#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#include "faulthandler/detail/faulthandler_state.hpp"

namespace sigkit::detail::fh {
namespace {

constexpr std::uint64_t kNone = ~std::uint64_t{0};
/// How long the coordinator waits for the other threads' stacks.
constexpr std::int64_t kCaptureDeadlineNs = 250'000'000;
/// A thread caught in the middle of its capture at the deadline gets this much longer.
constexpr std::int64_t kWritingGraceNs = 50'000'000;
/// A thread that blocked the request signal when it was sent (for a moment: it was running
/// another request's handler, or glibc was starting it) gets this long after the others.
constexpr std::int64_t kBlockedGraceNs = 5'000'000;
/// After the crash report, threads that fault too are awaited until none came for this long
/// (at most kFaultingWaitMaxNs).
constexpr std::int64_t kFaultingQuietNs = 20'000'000;
constexpr std::int64_t kFaultingWaitMaxNs = 200'000'000;

std::size_t length_of(const char* s) noexcept {
  std::size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

bool same(const char* a, const char* b) noexcept {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

void copy_bounded(char* out, std::size_t size, const char* in) noexcept {
  std::size_t i = 0;
  for (; i + 1 < size && in[i] != '\0'; ++i) out[i] = in[i];
  out[i] = '\0';
}

// ---- one line at a time ------------------------------------------------------------------

// Writes everything, retrying on EINTR and waiting (bounded) for a full non-blocking fd.
void write_all(int fd, const char* data, std::size_t size) noexcept {
  int stalls = 0;
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n > 0) {
      data += n;
      size -= static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && ++stalls < 50) {
      pollfd p{fd, POLLOUT, 0};
      static_cast<void>(::poll(&p, 1, 100));
      continue;
    }
    return;  // a closed or broken fd: nothing more can be reported
  }
}

class line_writer {
 public:
  explicit line_writer(int fd) noexcept : fd_(fd) {}

  void put(char c) noexcept {
    if (len_ == sizeof buf_) flush();
    buf_[len_++] = c;
  }
  void put(const char* s) noexcept {
    while (*s != '\0') put(*s++);
  }
  void put(const char* s, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) put(s[i]);
  }
  void dec(std::uint64_t v) noexcept {
    char digits[24];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0) put(digits[--n]);
  }
  void sdec(std::int64_t v) noexcept {
    if (v < 0) {
      put('-');
      dec(static_cast<std::uint64_t>(-(v + 1)) + 1);
    } else {
      dec(static_cast<std::uint64_t>(v));
    }
  }
  void dec_width(std::uint64_t v, int width) noexcept {
    char digits[24];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n < width) digits[n++] = '0';
    while (n > 0) put(digits[--n]);
  }
  void hex(std::uint64_t v) noexcept {
    char digits[16];
    int n = 0;
    do {
      digits[n++] = "0123456789abcdef"[v & 0xfU];
      v >>= 4;
    } while (v != 0);
    while (n > 0) put(digits[--n]);
  }
  void hex0x(std::uint64_t v) noexcept {
    put("0x");
    hex(v);
  }
  void hex_width(std::uint64_t v, int width) noexcept {
    for (int shift = (width - 1) * 4; shift >= 0; shift -= 4) {
      put("0123456789abcdef"[(v >> shift) & 0xfU]);
    }
  }
  // A JSON string: quoted, escaped, invalid UTF-8 replaced by U+FFFD; at most `max` bytes
  // of the input, then "...".
  void json_string(const char* s, std::size_t max = kNone) noexcept {
    put('"');
    std::size_t i = 0;
    const auto* u = reinterpret_cast<const unsigned char*>(s);  // NOLINT: bytes of a string
    while (u[i] != 0 && i < max) {
      const unsigned char c = u[i];
      if (c == '"' || c == '\\') {
        put('\\');
        put(static_cast<char>(c));
        ++i;
      } else if (c < 0x20) {
        put("\\u00");
        hex_width(c, 2);
        ++i;
      } else if (c < 0x80) {
        put(static_cast<char>(c));
        ++i;
      } else {
        const std::size_t n = utf8_length(u + i);
        if (n == 0) {
          put("\\ufffd");
          ++i;
        } else {
          for (std::size_t k = 0; k < n; ++k) put(static_cast<char>(u[i + k]));
          i += n;
        }
      }
    }
    if (u[i] != 0) put("...");
    put('"');
  }
  // Text: printable ASCII as is, other bytes as \xNN (Python's faulthandler does the same).
  void text_string(const char* s, std::size_t max = kNone) noexcept {
    std::size_t i = 0;
    const auto* u = reinterpret_cast<const unsigned char*>(s);  // NOLINT: bytes of a string
    for (; u[i] != 0 && i < max; ++i) {
      const unsigned char c = u[i];
      if (c >= 0x20 && c < 0x7f) {
        put(static_cast<char>(c));
      } else if (c >= 0x80 && utf8_length(u + i) != 0) {
        const std::size_t n = utf8_length(u + i);
        for (std::size_t k = 0; k < n; ++k) put(static_cast<char>(u[i + k]));
        i += n - 1;
      } else {
        put("\\x");
        hex_width(c, 2);
      }
    }
    if (u[i] != 0) put("...");
  }
  void end_line() noexcept {
    put('\n');
    flush();
  }
  void flush() noexcept {
    write_all(fd_, buf_, len_);
    len_ = 0;
  }

 private:
  // The length of the valid UTF-8 sequence at `u`, or 0.
  static std::size_t utf8_length(const unsigned char* u) noexcept {
    std::size_t n = 0;
    if (u[0] >= 0xc2 && u[0] <= 0xdf) {
      n = 2;
    } else if (u[0] >= 0xe0 && u[0] <= 0xef) {
      n = 3;
    } else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
      n = 4;
    } else {
      return 0;
    }
    for (std::size_t k = 1; k < n; ++k) {
      if ((u[k] & 0xc0U) != 0x80U) return 0;
    }
    return n;
  }

  int fd_;
  std::size_t len_ = 0;
  char buf_[2048];
};

bool json() noexcept {
  return out_format.load(std::memory_order_relaxed) == static_cast<std::uint8_t>(format_code::json);
}

// ---- names ---------------------------------------------------------------------------------

// "SIGSEGV", "SIGRTMIN+3", "SIGRTMAX-1", "SIG32" (sigkit's canonical names).
void put_signal_name(line_writer& w, int signo) noexcept {
  const int lo = rtmin.load(std::memory_order_relaxed);
  const int hi = rtmax.load(std::memory_order_relaxed);
  if (lo > 0 && signo >= lo && signo <= hi) {
    if (signo == lo) {
      w.put("SIGRTMIN");
    } else if (signo == hi) {
      w.put("SIGRTMAX");
    } else if (signo - lo <= 15) {
      w.put("SIGRTMIN+");
      w.dec(static_cast<std::uint64_t>(signo - lo));
    } else {
      w.put("SIGRTMAX-");
      w.dec(static_cast<std::uint64_t>(hi - signo));
    }
    return;
  }
  switch (signo) {  // the canonical names where glibc knows aliases
    case SIGABRT:
      w.put("SIGABRT");
      return;
    case SIGCHLD:
      w.put("SIGCHLD");
      return;
    case SIGIO:
      w.put("SIGIO");
      return;
    default:
      break;
  }
  const char* abbrev = ::sigabbrev_np(signo);
  w.put("SIG");
  if (abbrev != nullptr) {
    w.put(abbrev);
  } else {
    w.dec(static_cast<std::uint64_t>(signo));
  }
}

void put_signal_description(line_writer& w, int signo) noexcept {
  const char* text = ::sigdescr_np(signo);
  if (text != nullptr) {
    w.put(text);
    return;
  }
  w.put("Real-time signal ");
  w.dec(static_cast<std::uint64_t>(signo - rtmin.load(std::memory_order_relaxed)));
}

const char* code_name(int signo, int code) noexcept {
  if (code <= 0 || code == SI_KERNEL) {
    switch (code) {
      case SI_USER:
        return "SI_USER";
      case SI_QUEUE:
        return "SI_QUEUE";
      case SI_TIMER:
        return "SI_TIMER";
      case SI_MESGQ:
        return "SI_MESGQ";
      case SI_ASYNCIO:
        return "SI_ASYNCIO";
      case SI_SIGIO:
        return "SI_SIGIO";
      case SI_TKILL:
        return "SI_TKILL";
      case SI_KERNEL:
        return "SI_KERNEL";
      default:
        return nullptr;
    }
  }
  static constexpr const char* segv[] = {"SEGV_MAPERR",  "SEGV_ACCERR",  "SEGV_BNDERR",
                                         "SEGV_PKUERR",  "SEGV_ACCADI",  "SEGV_ADIDERR",
                                         "SEGV_ADIPERR", "SEGV_MTEAERR", "SEGV_MTESERR"};
  static constexpr const char* bus[] = {"BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR", "BUS_MCEERR_AR",
                                        "BUS_MCEERR_AO"};
  static constexpr const char* fpe[] = {"FPE_INTDIV", "FPE_INTOVF", "FPE_FLTDIV", "FPE_FLTOVF",
                                        "FPE_FLTUND", "FPE_FLTRES", "FPE_FLTINV", "FPE_FLTSUB"};
  static constexpr const char* ill[] = {"ILL_ILLOPC", "ILL_ILLOPN", "ILL_ILLADR", "ILL_ILLTRP",
                                        "ILL_PRVOPC", "ILL_PRVREG", "ILL_COPROC", "ILL_BADSTK"};
  static constexpr const char* trap[] = {"TRAP_BRKPT", "TRAP_TRACE", "TRAP_BRANCH", "TRAP_HWBKPT"};
  const auto index = static_cast<std::size_t>(code - 1);
  switch (signo) {
    case SIGSEGV:
      return index < std::size(segv) ? segv[index] : nullptr;
    case SIGBUS:
      return index < std::size(bus) ? bus[index] : nullptr;
    case SIGFPE:
      return index < std::size(fpe) ? fpe[index] : nullptr;
    case SIGILL:
      return index < std::size(ill) ? ill[index] : nullptr;
    case SIGTRAP:
      return index < std::size(trap) ? trap[index] : nullptr;
    default:
      return nullptr;
  }
}

bool has_fault_address(int signo, int code) noexcept {
  return code > 0 && (signo == SIGSEGV || signo == SIGBUS || signo == SIGFPE || signo == SIGILL ||
                      signo == SIGTRAP);
}

bool is_sent(int code) noexcept { return code <= 0 || code == SI_QUEUE; }

std::uintptr_t stack_pointer_of(const ucontext_t* uc) noexcept {
#if defined(__x86_64__)
  return static_cast<std::uintptr_t>(uc->uc_mcontext.gregs[REG_RSP]);
#elif defined(__aarch64__)
  return static_cast<std::uintptr_t>(uc->uc_mcontext.sp);
#else
  static_cast<void>(uc);
  return 0;
#endif
}

// A SIGSEGV/SIGBUS whose address lies just below (or at) the interrupted stack pointer.
bool is_stack_overflow(const siginfo_t* info, const ucontext_t* uc) noexcept {
  if (info == nullptr || uc == nullptr) return false;
  if ((info->si_signo != SIGSEGV && info->si_signo != SIGBUS) || info->si_code <= 0) {
    return false;
  }
  const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
  const std::uintptr_t sp = stack_pointer_of(uc);
  constexpr std::uintptr_t kBelow = std::uintptr_t{256} * 1024;
  constexpr std::uintptr_t kAbove = 4096;
  return sp != 0 && address + kBelow >= sp && address <= sp + kAbove;
}

// ---- modules -------------------------------------------------------------------------------

struct module_entry {
  const void* key;  // the link_map
  std::uintptr_t base;
  const char* path;
  unsigned char build_id[kMaxBuildId];
  std::uint8_t build_id_size;
  bool build_id_read;
};
module_entry modules[kMaxModules];
std::size_t module_count = 0;

// Reads the GNU build-id from the module's program headers in memory. Guarded by the
// caller: a module mapped in an unusual way may fault here.
void read_build_id(module_entry& m, std::uintptr_t map_start, std::uintptr_t map_end) noexcept {
  m.build_id_read = true;
  m.build_id_size = 0;
  // NOLINTBEGIN(performance-no-int-to-ptr): reading the ELF image the loader mapped
  const auto* ehdr = reinterpret_cast<const ElfW(Ehdr)*>(map_start);
  if (map_end - map_start < sizeof(ElfW(Ehdr)) || ehdr->e_ident[EI_MAG0] != ELFMAG0 ||
      ehdr->e_ident[EI_MAG1] != ELFMAG1 || ehdr->e_ident[EI_MAG2] != ELFMAG2 ||
      ehdr->e_ident[EI_MAG3] != ELFMAG3 || ehdr->e_phentsize != sizeof(ElfW(Phdr))) {
    return;
  }
  const std::uintptr_t phdrs = map_start + ehdr->e_phoff;
  if (phdrs + ehdr->e_phnum * sizeof(ElfW(Phdr)) > map_end) return;
  const auto* ph = reinterpret_cast<const ElfW(Phdr)*>(phdrs);
  for (std::size_t i = 0; i < ehdr->e_phnum; ++i) {
    if (ph[i].p_type != PT_NOTE) continue;
    std::uintptr_t note = m.base + ph[i].p_vaddr;
    const std::uintptr_t end = note + ph[i].p_memsz;
    if (note < map_start || end > map_end) continue;
    while (note + sizeof(ElfW(Nhdr)) <= end) {
      const auto* nh = reinterpret_cast<const ElfW(Nhdr)*>(note);
      const std::uintptr_t name = note + sizeof(ElfW(Nhdr));
      const std::uintptr_t desc = name + ((nh->n_namesz + 3U) & ~std::uintptr_t{3});
      const std::uintptr_t next = desc + ((nh->n_descsz + 3U) & ~std::uintptr_t{3});
      if (next > end) break;
      if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
          same(reinterpret_cast<const char*>(name), "GNU") && nh->n_descsz <= kMaxBuildId) {
        const auto* bytes = reinterpret_cast<const unsigned char*>(desc);
        for (std::size_t k = 0; k < nh->n_descsz; ++k) m.build_id[k] = bytes[k];
        m.build_id_size = static_cast<std::uint8_t>(nh->n_descsz);
        return;
      }
      note = next;
    }
  }
  // NOLINTEND(performance-no-int-to-ptr)
}

// The module holding `pc` (registered in the report's table), or null.
const module_entry* find_module(std::uintptr_t pc) noexcept {
  dl_find_object found{};
  // NOLINTNEXTLINE(performance-no-int-to-ptr)
  if (::_dl_find_object(reinterpret_cast<void*>(pc), &found) != 0 ||
      found.dlfo_link_map == nullptr) {
    return nullptr;
  }
  const link_map* map = found.dlfo_link_map;
  for (std::size_t i = 0; i < module_count; ++i) {
    if (modules[i].key == map) return &modules[i];
  }
  if (module_count == kMaxModules) return nullptr;
  module_entry& m = modules[module_count];
  m.key = map;
  m.base = map->l_addr;
  m.path = (map->l_name != nullptr && map->l_name[0] != '\0') ? map->l_name : exe_path;
  m.build_id_size = 0;
  m.build_id_read = false;
  ++module_count;
  // The build-id is read under the coordinator's guard, which the caller holds.
  read_build_id(m, reinterpret_cast<std::uintptr_t>(found.dlfo_map_start),
                reinterpret_cast<std::uintptr_t>(found.dlfo_map_end));
  return &m;
}

// ---- the coordinator's guard -----------------------------------------------------------------
//
// A fault inside a guarded section of the thread writing the report jumps back to the
// section's start (faulthandler_signal_context.cpp checks guard_tid first), and the report
// goes on without what faulted.
// `faulted` (a volatile bool) is set when the section was cut short.
#define SIGKIT_FH_GUARDED(faulted, statement)                  \
  do {                                                         \
    guard_tid.store(current_tid(), std::memory_order_release); \
    if (sigsetjmp(coordinator_guard, 1) == 0) {                \
      statement;                                               \
    } else {                                                   \
      (faulted) = true;                                        \
    }                                                          \
    guard_tid.store(0, std::memory_order_release);             \
  } while (false)

// ---- frames ----------------------------------------------------------------------------------

void write_frame(line_writer& w, int tid, std::uint64_t index, std::uintptr_t pc, bool exact) {
  const module_entry* volatile m = nullptr;
  volatile bool faulted = false;
  SIGKIT_FH_GUARDED(faulted, m = find_module(pc));
  static_cast<void>(faulted);
  const std::uintptr_t offset = m != nullptr ? pc - m->base : pc;
  if (json()) {
    w.put(R"({"type":"frame","tid":)");
    w.dec(static_cast<std::uint64_t>(tid));
    w.put(R"(,"index":)");
    w.dec(index);
    w.put(R"(,"pc":")");
    w.hex0x(pc);
    w.put(R"(","module":)");
    if (m != nullptr) {
      w.json_string(m->path);
    } else {
      w.put("null");
    }
    w.put(R"(,"offset":")");
    w.hex0x(offset);
    w.put(R"(","exact":)");
    w.put(exact ? "true" : "false");
    w.put('}');
  } else {
    w.put("  #");
    w.dec(index);
    w.put(' ');
    w.hex0x(pc);
    w.put(' ');
    if (m != nullptr) {
      w.text_string(m->path);
    } else {
      w.put("[unknown]");
    }
    w.put('+');
    w.hex0x(offset);
  }
  w.end_line();
}

void write_fold(line_writer& w, int tid, const frame_trace& t, std::uint64_t first,
                std::uint64_t last) noexcept {
  const bool repeats = t.cycle != 0 && (t.first_mismatch == kNone || t.first_mismatch > last);
  const std::uint64_t count = last - first + 1;
  if (json()) {
    w.put(R"({"type":"folded","tid":)");
    w.dec(static_cast<std::uint64_t>(tid));
    w.put(R"(,"first":)");
    w.dec(first);
    w.put(R"(,"last":)");
    w.dec(last);
    w.put(R"(,"count":)");
    w.dec(count);
    w.put(R"(,"cycle":)");
    w.dec(repeats ? t.cycle : 0);
    w.put('}');
  } else {
    w.put("  ... #");
    w.dec(first);
    w.put(" to #");
    w.dec(last);
    w.put(": ");
    w.dec(count);
    if (repeats) {
      w.put(" frames folded, repeating the cycle of ");
      w.dec(t.cycle);
      w.put(t.cycle == 1 ? " frame" : " frames");
      w.put(" above");
    } else {
      w.put(" frames not shown");
    }
  }
  w.end_line();
}

void write_trace_note(line_writer& w, int tid, const char* what, std::uint64_t frames) noexcept {
  if (json()) {
    w.put(R"({"type":"note","tid":)");
    w.dec(static_cast<std::uint64_t>(tid));
    w.put(R"(,"note":)");
    w.json_string(what);
    w.put(R"(,"frames":)");
    w.dec(frames);
    w.put('}');
  } else {
    w.put("  ... ");
    w.put(what);
    w.put(" after ");
    w.dec(frames);
    w.put(" frames");
  }
  w.end_line();
}

void write_frames(line_writer& w, int tid, const frame_trace& t) noexcept {
  const std::uint64_t total = t.total;
  const std::uint64_t tail_start =
      total > kHeadFrames + kTailFrames ? total - kTailFrames : kHeadFrames;
  for (std::uint64_t i = 0; i < total; ++i) {
    if (i == kHeadFrames && total > kHeadFrames + kTailFrames) {
      write_fold(w, tid, t, kHeadFrames, tail_start - 1);
      i = tail_start;
    }
    write_frame(w, tid, i, frame_at(t, i), i == 0 && t.exact_first);
  }
  if (t.truncated) write_trace_note(w, tid, "unwinding stopped", total);
  if (t.unwind_faulted) write_trace_note(w, tid, "reading the stack faulted", total);
  if (t.from_frame_pointers) write_trace_note(w, tid, "frame pointers followed", total);
}

void write_thread_header(line_writer& w, bool current, std::uintptr_t pthread, int tid,
                         const char* name) noexcept {
  if (json()) {
    w.put(R"({"type":"thread","current":)");
    w.put(current ? "true" : "false");
    w.put(R"(,"thread":")");
    w.hex0x(pthread);
    w.put(R"(","tid":)");
    w.dec(static_cast<std::uint64_t>(tid));
    w.put(R"(,"name":)");
    w.json_string(name);
    w.put('}');
  } else {
    w.put(current ? "Current thread " : "Thread ");
    w.hex0x(pthread);
    w.put(" (most recent call first):");
  }
  w.end_line();
}

void blank_line(line_writer& w) noexcept {
  if (!json()) w.end_line();
}

// ---- the signal line -----------------------------------------------------------------------

void put_signal_fields_json(line_writer& w, int signo, int code, std::uintptr_t address, pid_t pid,
                            uid_t uid) noexcept {
  w.put(R"("signal":)");
  w.dec(static_cast<std::uint64_t>(signo));
  w.put(R"(,"name":")");
  put_signal_name(w, signo);
  w.put(R"(","description":")");
  put_signal_description(w, signo);
  w.put(R"(","code":)");
  w.sdec(code);
  w.put(R"(,"code_name":)");
  const char* cn = code_name(signo, code);
  if (cn != nullptr) {
    w.put('"');
    w.put(cn);
    w.put('"');
  } else {
    w.put("null");
  }
  if (has_fault_address(signo, code)) {
    w.put(R"(,"address":")");
    w.hex0x(address);
    w.put('"');
  }
  if (is_sent(code)) {
    w.put(R"(,"sender_pid":)");
    w.dec(static_cast<std::uint64_t>(pid));
    w.put(R"(,"sender_uid":)");
    w.dec(static_cast<std::uint64_t>(uid));
  }
}

// "Segmentation fault (SIGSEGV) at address 0x0, code SEGV_MAPERR"
void put_signal_text(line_writer& w, int signo, int code, std::uintptr_t address, pid_t pid,
                     uid_t uid) noexcept {
  put_signal_description(w, signo);
  w.put(" (");
  put_signal_name(w, signo);
  w.put(')');
  if (has_fault_address(signo, code)) {
    w.put(" at address ");
    w.hex0x(address);
  }
  if (is_sent(code)) {
    w.put(", sent by pid ");
    w.dec(static_cast<std::uint64_t>(pid));
    w.put(" uid ");
    w.dec(static_cast<std::uint64_t>(uid));
  }
  w.put(", code ");
  const char* cn = code_name(signo, code);
  if (cn != nullptr) {
    w.put(cn);
  } else {
    w.sdec(code);
  }
}

void write_first_line(line_writer& w, const report_request& r) noexcept {
  const siginfo_t* info = r.info;
  const int signo = info != nullptr ? info->si_signo : 0;
  const int code = info != nullptr ? info->si_code : 0;
  const auto address = info != nullptr ? reinterpret_cast<std::uintptr_t>(info->si_addr) : 0;
  const pid_t pid = info != nullptr ? info->si_pid : 0;
  const uid_t uid = info != nullptr ? info->si_uid : 0;
  const bool overflow = r.kind == report_kind::fatal && is_stack_overflow(info, r.uc);
  if (json()) {
    w.put(R"({"type":"report","version":1,"kind":")");
    switch (r.kind) {
      case report_kind::fatal:
        w.put("fatal");
        break;
      case report_kind::dump:
        w.put("dump");
        break;
      case report_kind::user_signal:
        w.put("signal");
        break;
      case report_kind::timeout:
        w.put("timeout");
        break;
    }
    w.put(R"(","pid":)");
    w.dec(static_cast<std::uint64_t>(::getpid()));
    if (r.kind == report_kind::fatal || r.kind == report_kind::user_signal) {
      w.put(',');
      put_signal_fields_json(w, signo, code, address, pid, uid);
    }
    if (r.kind == report_kind::fatal) {
      w.put(R"(,"stack_overflow":)");
      w.put(overflow ? "true" : "false");
    }
    if (r.kind == report_kind::timeout) {
      w.put(R"(,"timeout_ns":)");
      w.dec(static_cast<std::uint64_t>(r.timeout_ns));
    }
    w.put('}');
    w.end_line();
    return;
  }
  switch (r.kind) {
    case report_kind::fatal:
      w.put("Fatal signal: ");
      put_signal_text(w, signo, code, address, pid, uid);
      if (overflow) w.put(": stack overflow");
      w.end_line();
      return;
    case report_kind::user_signal:  // Python writes no line here; the tracebacks follow
    case report_kind::dump:
      return;
    case report_kind::timeout: {
      // Python's "Timeout (H:MM:SS.ffffff)!", always with the microseconds.
      const auto us = static_cast<std::uint64_t>(r.timeout_ns / 1000);
      const std::uint64_t seconds = us / 1000000;
      w.put("Timeout (");
      w.dec(seconds / 3600);
      w.put(':');
      w.dec_width(seconds / 60 % 60, 2);
      w.put(':');
      w.dec_width(seconds % 60, 2);
      w.put('.');
      w.dec_width(us % 1000000, 6);
      w.put(")!");
      w.end_line();
      return;
    }
  }
}

void write_exception_line(line_writer& w) noexcept {
  if (!exception_text_ready.load(std::memory_order_acquire)) return;
  if (json()) {
    w.put(R"({"type":"exception","exception_type":)");
    w.json_string(exception_type);
    w.put(R"(,"what":)");
    w.json_string(exception_what, kMaxExceptionText);
    w.put('}');
  } else {
    w.put("Uncaught exception: ");
    w.text_string(exception_type);
    w.put(": ");
    w.text_string(exception_what, kMaxExceptionText);
  }
  w.end_line();
}

// ---- /proc ---------------------------------------------------------------------------------

char proc_buffer[4096];

// Reads /proc/self/task/<tid>/status into proc_buffer; returns the length (0 on failure).
std::size_t read_task_status(int tid) noexcept {
  char path[64] = "/proc/self/task/";
  std::size_t n = length_of(path);
  char digits[16];
  int d = 0;
  for (auto v = static_cast<unsigned>(tid); d == 0 || v != 0; v /= 10) {
    digits[d++] = static_cast<char>('0' + v % 10);
  }
  while (d > 0) path[n++] = digits[--d];
  copy_bounded(path + n, sizeof path - n, "/status");
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  std::size_t used = 0;
  while (used + 1 < sizeof proc_buffer) {
    const ssize_t got = ::read(fd, proc_buffer + used, sizeof proc_buffer - 1 - used);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    used += static_cast<std::size_t>(got);
  }
  ::close(fd);
  proc_buffer[used] = '\0';
  return used;
}

// The value after "<key>:\t" in proc_buffer, or null.
const char* status_field(const char* key) noexcept {
  const std::size_t key_length = length_of(key);
  const char* line = proc_buffer;
  while (*line != '\0') {
    bool match = true;
    for (std::size_t i = 0; i < key_length && match; ++i) match = line[i] == key[i];
    if (match && line[key_length] == ':') {
      const char* value = line + key_length + 1;
      while (*value == '\t' || *value == ' ') ++value;
      return value;
    }
    while (*line != '\0' && *line != '\n') ++line;
    if (*line == '\n') ++line;
  }
  return nullptr;
}

std::uint64_t parse_hex(const char* s) noexcept {
  std::uint64_t v = 0;
  for (; s != nullptr; ++s) {
    const char c = *s;
    if (c >= '0' && c <= '9') {
      v = v << 4 | static_cast<std::uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v = v << 4 | static_cast<std::uint64_t>(c - 'a' + 10);
    } else {
      break;
    }
  }
  return v;
}

void copy_field_line(char* out, std::size_t size, const char* value) noexcept {
  std::size_t i = 0;
  for (; value != nullptr && i + 1 < size && value[i] != '\0' && value[i] != '\n'; ++i) {
    out[i] = value[i];
  }
  out[i] = '\0';
}

// ---- the other threads -------------------------------------------------------------------

struct dirent64_header {
  std::uint64_t d_ino;
  std::int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[1];
};

char dirent_buffer[4096];
int thread_count = 0;  // slots in use in this report
std::uint64_t threads_not_shown = 0;

bool is_faulting(int tid) noexcept {
  const std::uint32_t n = faulting_count.load(std::memory_order_acquire);
  for (std::uint32_t i = 0; i < n && i < kMaxFaulting; ++i) {
    if (faulting[i].state.load(std::memory_order_acquire) != 0 && faulting[i].tid == tid) {
      return true;
    }
  }
  return false;
}

// Takes the next slot that no late answer of an earlier report is still writing into.
thread_slot* take_slot(int& cursor) noexcept {
  while (static_cast<std::size_t>(cursor) < kMaxThreads) {
    thread_slot& s = slots[cursor++];
    if ((s.state.load(std::memory_order_acquire) & 0xffU) != slot_writing) return &s;
  }
  return nullptr;
}

// Lists the threads of the process and sends each responsive one a capture request.
void request_other_threads(int self, std::uint32_t generation) noexcept {
  thread_count = 0;
  threads_not_shown = 0;
  const int dir = ::open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return;
  const int signo = internal_signo.load(std::memory_order_acquire);
  int cursor = 0;
  for (;;) {
    const long n = ::syscall(SYS_getdents64, dir, dirent_buffer, sizeof dirent_buffer);
    if (n <= 0) break;
    for (long offset = 0; offset < n;) {
      // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the kernel's records
      const auto* d = reinterpret_cast<const dirent64_header*>(dirent_buffer + offset);
      offset += d->d_reclen;
      int tid = 0;
      bool numeric = d->d_name[0] != '\0';
      for (const char* c = d->d_name; *c != '\0'; ++c) {
        if (*c < '0' || *c > '9') {
          numeric = false;
          break;
        }
        tid = tid * 10 + (*c - '0');
      }
      if (!numeric || tid == self || is_faulting(tid)) continue;
      thread_slot* slot = take_slot(cursor);
      if (slot == nullptr) {
        ++threads_not_shown;
        continue;
      }
      ++thread_count;
      slot->tid.store(tid, std::memory_order_relaxed);
      slot->pthread = 0;
      slot->name[0] = '\0';
      slot->unresponsive = false;
      slot->blocked_at_request = false;
      slot->sigblk = 0;
      slot->proc_state = '?';
      slot->trace.total = 0;
      slot->state.store(static_cast<std::uint64_t>(generation) << 8 | slot_free,
                        std::memory_order_release);
      bool can_answer = signo > 0;
      if (read_task_status(tid) > 0) {
        copy_field_line(slot->name, sizeof slot->name, status_field("Name"));
        const char* state = status_field("State");
        slot->proc_state = state != nullptr ? *state : '?';
        slot->sigblk = parse_hex(status_field("SigBlk"));
        // A thread that blocks the request signal may answer as soon as it unblocks it (it
        // is asked anyway, and waited for briefly); a stopped or dead one cannot answer.
        slot->blocked_at_request = signo > 0 && (slot->sigblk >> (signo - 1) & 1U) != 0;
        if (slot->proc_state == 'T' || slot->proc_state == 't' || slot->proc_state == 'Z' ||
            slot->proc_state == 'X') {
          can_answer = false;
        }
      }
      if (!can_answer) {
        slot->unresponsive = true;
        continue;
      }
      const auto index = static_cast<std::uint32_t>(slot - slots);
      slot->state.store(static_cast<std::uint64_t>(generation) << 8 | slot_requested,
                        std::memory_order_release);
      const int err = send_internal(tid, make_cookie(request_kind::capture, generation, index));
      if (err != 0) {
        // The thread is gone (ESRCH): forget it.
        slot->state.store(static_cast<std::uint64_t>(generation) << 8 | slot_free,
                          std::memory_order_release);
        --thread_count;
        --cursor;
      }
    }
  }
  ::close(dir);
}

// Waits (bounded) until every requested thread answered; abandons the rest.
void collect_other_threads(std::uint32_t generation) noexcept {
  const std::uint64_t gen = static_cast<std::uint64_t>(generation) << 8;
  const std::int64_t deadline = monotonic_ns() + kCaptureDeadlineNs;
  std::int64_t blocked_deadline = 0;
  for (;;) {
    const std::uint32_t seen = responses.load(std::memory_order_acquire);
    int waiting_unblocked = 0;
    int waiting_blocked = 0;
    for (int i = 0; i < thread_count; ++i) {
      if (slots[i].state.load(std::memory_order_acquire) != (gen | slot_requested)) continue;
      ++(slots[i].blocked_at_request ? waiting_blocked : waiting_unblocked);
    }
    if (waiting_unblocked + waiting_blocked == 0) break;
    const std::int64_t now = monotonic_ns();
    if (now >= deadline) break;
    std::int64_t until = deadline;
    if (waiting_unblocked == 0) {
      if (blocked_deadline == 0) blocked_deadline = now + kBlockedGraceNs;
      if (now >= blocked_deadline) break;
      until = blocked_deadline;
    }
    futex_wait(responses, seen, until - now);
  }
  const std::int64_t grace_end = monotonic_ns() + kWritingGraceNs;
  for (int i = 0; i < thread_count; ++i) {
    thread_slot& s = slots[i];
    std::uint64_t expected = gen | slot_requested;
    if (s.state.compare_exchange_strong(expected, gen | slot_abandoned,
                                        std::memory_order_acq_rel)) {
      continue;
    }
    while ((s.state.load(std::memory_order_acquire) & 0xffU) == slot_writing &&
           monotonic_ns() < grace_end) {
      const std::uint32_t seen = responses.load(std::memory_order_acquire);
      futex_wait(responses, seen, 1'000'000);
    }
  }
}

void write_unresponsive(line_writer& w, const thread_slot& s) noexcept {
  const int tid = s.tid.load(std::memory_order_relaxed);
  if (json()) {
    w.put(R"({"type":"unresponsive","tid":)");
    w.dec(static_cast<std::uint64_t>(tid));
    w.put(R"(,"name":)");
    w.json_string(s.name);
    w.put(R"(,"sigblk":")");
    w.hex_width(s.sigblk, 16);
    w.put(R"(","state":")");
    w.put(s.proc_state >= 0x20 && s.proc_state < 0x7f ? s.proc_state : '?');
    w.put(R"("})");
  } else {
    w.put("Thread tid ");
    w.dec(static_cast<std::uint64_t>(tid));
    w.put(R"( ")");
    w.text_string(s.name);
    w.put(R"(": unresponsive, SigBlk=)");
    w.hex_width(s.sigblk, 16);
    w.put(", state ");
    w.put(s.proc_state >= 0x20 && s.proc_state < 0x7f ? s.proc_state : '?');
  }
  w.end_line();
}

void write_other_threads(line_writer& w, std::uint32_t generation) noexcept {
  const std::uint64_t gen = static_cast<std::uint64_t>(generation) << 8;
  for (int i = 0; i < thread_count; ++i) {
    const thread_slot& s = slots[i];
    const std::uint64_t state = s.state.load(std::memory_order_acquire);
    if (is_faulting(s.tid.load(std::memory_order_relaxed))) continue;  // listed with them
    if (state == (gen | slot_done)) {
      blank_line(w);
      write_thread_header(w, false, s.pthread, s.tid.load(std::memory_order_relaxed), s.name);
      write_frames(w, s.tid.load(std::memory_order_relaxed), s.trace);
    } else if (s.unresponsive || state == (gen | slot_abandoned) ||
               (state & 0xffU) == slot_writing) {
      // No answer: what /proc says (re-read for a thread that did not block the request).
      if (!s.unresponsive && !s.blocked_at_request &&
          read_task_status(s.tid.load(std::memory_order_relaxed)) > 0) {
        auto& m = const_cast<thread_slot&>(s);  // NOLINT: the coordinator owns the slot now
        const char* st = status_field("State");
        m.proc_state = st != nullptr ? *st : '?';
        m.sigblk = parse_hex(status_field("SigBlk"));
      }
      blank_line(w);
      write_unresponsive(w, s);
    }
  }
  if (threads_not_shown > 0) {
    blank_line(w);
    if (json()) {
      w.put(R"({"type":"threads_not_shown","count":)");
      w.dec(threads_not_shown);
      w.put('}');
    } else {
      w.put("... ");
      w.dec(threads_not_shown);
      w.put(" more threads not shown");
    }
    w.end_line();
  }
}

// Waits a little for threads still on their way into the fatal handler, then lists every
// thread that faulted while this report was written.
void write_faulting_threads(line_writer& w) noexcept {
  if (faulting_count.load(std::memory_order_acquire) == 0) return;
  const std::int64_t end = monotonic_ns() + kFaultingWaitMaxNs;
  for (;;) {
    const std::uint32_t seen = faulting_count.load(std::memory_order_acquire);
    const std::int64_t left = end - monotonic_ns();
    if (left <= 0) break;
    futex_wait(faulting_count, seen, left < kFaultingQuietNs ? left : kFaultingQuietNs);
    if (faulting_count.load(std::memory_order_acquire) == seen) {
      // Quiet: wait (bounded) for claimed entries to be published.
      bool all_published = true;
      for (std::uint32_t i = 0; i < seen && i < kMaxFaulting; ++i) {
        all_published = all_published && faulting[i].state.load(std::memory_order_acquire) == 2;
      }
      if (all_published) break;
    }
  }
  const std::uint32_t n = faulting_count.load(std::memory_order_acquire);
  for (std::uint32_t i = 0; i < n && i < kMaxFaulting; ++i) {
    const faulting_entry& f = faulting[i];
    if (f.state.load(std::memory_order_acquire) != 2) continue;
    blank_line(w);
    if (json()) {
      w.put(R"({"type":"also_faulting","tid":)");
      w.dec(static_cast<std::uint64_t>(f.tid));
      w.put(',');
      put_signal_fields_json(w, f.signo, f.code, f.address, 0, 0);
      w.put('}');
    } else {
      w.put("Also faulting: ");
      put_signal_text(w, f.signo, f.code, f.address, 0, 0);
      w.put(", tid ");
      w.dec(static_cast<std::uint64_t>(f.tid));
    }
    w.end_line();
    write_thread_header(w, false, f.pthread, f.tid, f.name);
    write_frames(w, f.tid, f.trace);
  }
  if (n > kMaxFaulting) {
    if (json()) {
      w.put(R"({"type":"also_faulting_not_shown","count":)");
      w.dec(n - kMaxFaulting);
      w.put('}');
    } else {
      w.put("... ");
      w.dec(n - kMaxFaulting);
      w.put(" more faulting threads not shown");
    }
    w.end_line();
  }
}

void write_modules(line_writer& w) noexcept {
  if (module_count == 0) return;
  if (!json()) {
    w.end_line();
    w.put("Modules (base, build-id, path):");
    w.end_line();
  }
  for (std::size_t i = 0; i < module_count; ++i) {
    const module_entry& m = modules[i];
    if (json()) {
      w.put(R"({"type":"module","path":)");
      w.json_string(m.path);
      w.put(R"(,"base":")");
      w.hex0x(m.base);
      w.put(R"(","build_id":)");
      if (m.build_id_size > 0) {
        w.put('"');
        for (std::size_t k = 0; k < m.build_id_size; ++k) w.hex_width(m.build_id[k], 2);
        w.put('"');
      } else {
        w.put("null");
      }
      w.put('}');
    } else {
      w.put("  ");
      w.hex0x(m.base);
      w.put(' ');
      if (m.build_id_size > 0) {
        for (std::size_t k = 0; k < m.build_id_size; ++k) w.hex_width(m.build_id[k], 2);
      } else {
        w.put('-');
      }
      w.put(' ');
      w.text_string(m.path);
    }
    w.end_line();
  }
}

frame_trace current_trace;

void run_test_hook() noexcept {
  switch (test_hook_mode.load(std::memory_order_acquire)) {
    case 1:  // hang: a blocking call the hang guard must interrupt
      for (;;) {
        timespec second{1, 0};
        ::nanosleep(&second, nullptr);
      }
    case 2: {  // fault inside the reporter (not at null: UBSan would stop that first)
      // NOLINTNEXTLINE(performance-no-int-to-ptr)
      volatile int* volatile unmapped = reinterpret_cast<volatile int*>(std::uintptr_t{8});
      *unmapped = 1;
      return;
    }
    default:
      return;
  }
}

}  // namespace

void write_report(const report_request& r) noexcept {
  const int self = current_tid();
  int fd = r.fd;
  bool close_fd = false;
  if (fd < 0 && out_has_path.load(std::memory_order_acquire)) {
    fd = ::open(out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
    close_fd = fd >= 0;
  }
  if (fd < 0) return;
  set_report_fd(fd);
  if (auto* hook = test_hook_callback.load(std::memory_order_acquire)) hook(0);
  line_writer w(fd);
  module_count = 0;
  const std::uint32_t generation = report_generation.fetch_add(1, std::memory_order_acq_rel) + 1;

  write_first_line(w, r);
  if (r.kind == report_kind::fatal) write_exception_line(w);
  run_test_hook();

  // Ask the other threads first, so that they unwind while this one does.
  if (r.all_threads) {
    request_other_threads(self, generation);
  } else {
    thread_count = 0;
    threads_not_shown = 0;
  }

  if (r.include_self) {
    current_trace.total = 0;
    volatile bool faulted = false;
    SIGKIT_FH_GUARDED(faulted, capture_stack(r.uc, current_trace));
    if (faulted) current_trace.unwind_faulted = true;
    char name[16] = {};
    static_cast<void>(::prctl(PR_GET_NAME, name, 0, 0, 0));
    if (r.kind == report_kind::fatal) blank_line(w);  // after the "Fatal signal" line
    write_thread_header(w, true, static_cast<std::uintptr_t>(::pthread_self()), self, name);
    write_frames(w, self, current_trace);
  }

  if (r.all_threads) {
    collect_other_threads(generation);
    write_other_threads(w, generation);
  }
  if (r.kind == report_kind::fatal) write_faulting_threads(w);
  write_modules(w);
  if (json()) {
    w.put(R"({"type":"end"})");
    w.end_line();
  }
  w.flush();
  if (auto* hook = test_hook_callback.load(std::memory_order_acquire)) hook(1);
  if (close_fd) ::close(fd);
  set_report_fd(-1);
}

}  // namespace sigkit::detail::fh
