// tests/windows/support/windows_test_support.cpp
#include "support/windows_test_support.hpp"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
// Winsock 2 first: <windows.h> would otherwise pull in the old <winsock.h>.
#include <winsock2.h>

#include <windows.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "sigkit/dispatch.hpp"

namespace sigkit_windows_test {

bool running_under_wine() {
  HMODULE ntdll = ::GetModuleHandleA("ntdll.dll");
  return ntdll != nullptr && ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

void own_console() {
  ::FreeConsole();
  if (::AllocConsole() == 0) throw std::runtime_error("AllocConsole failed");
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return done();
    ::Sleep(1);
  }
  return true;
}

bool checkpoint_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  return wait_until(
      [&] {
        sigkit::check_signals();
        return done();
      },
      timeout);
}

bool delivery_pending() { return sigkit::detail::signals_pending.load(); }

unsigned long this_process_id() { return ::GetCurrentProcessId(); }

namespace {

void start_winsock() {
  static const bool started = [] {
    WSADATA data{};
    return ::WSAStartup(MAKEWORD(2, 2), &data) == 0;
  }();
  if (!started) throw std::runtime_error("WSAStartup failed");
}

std::atomic<int> probe_ctrl_c{0};
std::atomic<bool> probe_swallows{false};

BOOL WINAPI probe_handler(DWORD event) {
  if (event == CTRL_C_EVENT) probe_ctrl_c.fetch_add(1);
  return probe_swallows.load() ? TRUE : FALSE;
}

}  // namespace

socket_pair::socket_pair() {
  start_winsock();
  const SOCKET listener = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = ::htonl(INADDR_LOOPBACK);
  int size = sizeof address;
  if (listener == INVALID_SOCKET ||
      ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    throw std::runtime_error("cannot listen on loopback");
  }
  const SOCKET w = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (::connect(w, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("cannot connect on loopback");
  }
  const SOCKET r = ::accept(listener, nullptr, nullptr);
  ::closesocket(listener);
  if (r == INVALID_SOCKET) throw std::runtime_error("cannot accept on loopback");
  u_long nonblocking = 1;
  ::ioctlsocket(w, static_cast<long>(FIONBIO), &nonblocking);
  reader = r;
  writer = w;
}

socket_pair::~socket_pair() {
  if (reader != ~0ULL) ::closesocket(static_cast<SOCKET>(reader));
  if (writer != ~0ULL) ::closesocket(static_cast<SOCKET>(writer));
}

int socket_pair::writer_fd() const { return static_cast<int>(writer); }

std::string socket_pair::receive(std::chrono::milliseconds timeout) {
  const auto s = static_cast<SOCKET>(reader);
  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(s, &readable);
  timeval tv{static_cast<long>(timeout.count() / 1000),
             static_cast<long>(timeout.count() % 1000 * 1000)};
  if (::select(0, &readable, nullptr, nullptr, &tv) <= 0) return {};
  char buffer[256];
  const int n = ::recv(s, buffer, sizeof buffer, 0);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
}

void socket_pair::fill() {
  const auto s = static_cast<SOCKET>(writer);
  static const std::string block(65536, 'x');
  for (int i = 0; i < 100000; ++i) {
    if (::send(s, block.data(), static_cast<int>(block.size()), 0) == SOCKET_ERROR) {
      if (::WSAGetLastError() == WSAEWOULDBLOCK) {
        if (::send(s, block.data(), 1, 0) == SOCKET_ERROR) return;  // not even one byte
      } else {
        throw std::runtime_error("send failed while filling the socket");
      }
    }
  }
  throw std::runtime_error("the socket never filled up");
}

console_probe::console_probe(bool swallow) {
  probe_ctrl_c.store(0);
  probe_swallows.store(swallow);
  ::SetConsoleCtrlHandler(&probe_handler, TRUE);
}

console_probe::~console_probe() { ::SetConsoleCtrlHandler(&probe_handler, FALSE); }

int console_probe::ctrl_c() const { return probe_ctrl_c.load(); }

}  // namespace sigkit_windows_test
