// examples/crash_report.cpp - a crash, its report, and what `sigkit symbolize` makes of it
// (README, "When the program crashes").
//
//   ./crash_report 2> report.txt      # dies by SIGSEGV, as it would without sigkit
//   sigkit symbolize report.txt       # functions, files and lines, by build-id
#include <sigkit/sigkit.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace {

struct order {
  int id;
  const std::string* customer;  // null in a corrupt order
};

__attribute__((noinline)) std::size_t customer_name_length(const order& o) {
  return o.customer->size();  // the crash: o.customer is null
}

__attribute__((noinline)) std::size_t total_name_length(const std::vector<order>& orders) {
  std::size_t total = 0;
  for (const auto& o : orders) total += customer_name_length(o);
  return total;
}

}  // namespace

int main() {
  return sigkit::run_main([] {
    sigkit::faulthandler::enable();  // or run it with SIGKIT_FAULTHANDLER=1
    std::thread([] { std::this_thread::sleep_for(std::chrono::hours(1)); }).detach();
    const std::string alice = "Alice";
    const std::vector<order> orders{{1, &alice}, {2, nullptr}};
    return static_cast<int>(total_name_length(orders));
  });
}
