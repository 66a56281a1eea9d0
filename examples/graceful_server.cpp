// graceful_server: a multi-threaded HTTP server (cpp-httplib) with a worker pool driven by
// sigkit::shutdown's std::stop_token.
//
//   graceful_server [port] [grace-seconds]      (defaults: 0 = any free port, 0 = no deadline)
//
//   GET /             "Hello from sigkit"
//   GET /slow?ms=N    answers after N milliseconds of "work"
//
// SIGTERM or SIGINT: the server stops accepting, finishes the requests in flight and exits 0.
// A second SIGTERM/SIGINT during the drain ends it at once, by that signal; with a grace
// period, a drain that takes longer is cut by the first signal. The main thread only sits in
// join(): it never reaches a sigkit checkpoint, and the stop still arrives, on sigkit's own
// thread, through the token.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <sigkit/sigkit.hpp>

namespace {

// The server's worker pool. Until the stop it runs every connection it is given; after the
// stop it finishes what it has (in flight and queued) and its threads end. shutdown() is what
// cpp-httplib calls once its listener has stopped accepting.
class worker_pool final : public httplib::TaskQueue {
 public:
  worker_pool(std::size_t threads, std::stop_token stop) : stop_(std::move(stop)) {
    for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
  }
  ~worker_pool() override { shutdown(); }
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  void enqueue(std::function<void()> task) override {
    {
      const std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    ready_.notify_one();
  }

  void shutdown() override {
    for (auto& worker : workers_) {
      if (worker.joinable()) worker.join();
    }
  }

  std::size_t busy() const {
    const std::lock_guard lock(mutex_);
    return busy_ + tasks_.size();
  }

 private:
  void work() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex_);
        // Wakes for a task or for the stop (condition_variable_any with a stop_token).
        ready_.wait(lock, stop_, [this] { return !tasks_.empty(); });
        if (tasks_.empty()) return;  // stopped and drained
        task = std::move(tasks_.front());
        tasks_.pop_front();
        ++busy_;
      }
      task();
      const std::lock_guard lock(mutex_);
      --busy_;
    }
  }

  std::stop_token stop_;
  mutable std::mutex mutex_;
  std::condition_variable_any ready_;
  std::deque<std::function<void()>> tasks_;
  std::size_t busy_ = 0;
  std::vector<std::thread> workers_;
};

}  // namespace

int main(int argc, char** argv) {
  const int requested_port = argc > 1 ? std::stoi(argv[1]) : 0;
  const double grace = argc > 2 ? std::stod(argv[2]) : 0.0;

  // First SIGINT/SIGTERM: stop requested; second: death by it; grace: death by the first.
  sigkit::shutdown stop(
      {.signals = {SIGINT, SIGTERM}, .grace = std::chrono::duration<double>(grace)});

  httplib::Server server;
  std::atomic<worker_pool*> pool{nullptr};  // made on the listener thread, read on sigkit's
  server.new_task_queue = [&] {
    auto* made = new worker_pool(4, stop.token());
    pool = made;
    return made;
  };
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("Hello from sigkit\n", "text/plain");
  });
  server.Get("/slow", [](const httplib::Request& req, httplib::Response& res) {
    const int ms = req.has_param("ms") ? std::stoi(req.get_param_value("ms")) : 1000;
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));  // work that ignores the stop
    res.set_content("slow request done after " + std::to_string(ms) + " ms\n", "text/plain");
  });

  const int port = requested_port == 0
                       ? server.bind_to_any_port("127.0.0.1")
                       : (server.bind_to_port("127.0.0.1", requested_port) ? requested_port : -1);
  if (port < 0) {
    std::fprintf(stderr, "graceful_server: cannot listen on port %d\n", requested_port);
    return 1;
  }

  // Runs on sigkit's shutdown thread at the first signal: stop accepting. The pool's workers
  // see the same token and end once the requests in flight are answered.
  const std::stop_callback on_stop(stop.token(), [&] {
    const auto why = stop.reason();
    const std::size_t busy = pool.load() != nullptr ? pool.load()->busy() : std::size_t{0};
    server.stop();  // no new connections from here on; then say so
    std::printf("%s received from pid %d: draining %zu request(s)\n",
                sigkit::signum(why->signo).name().c_str(), static_cast<int>(why->pid), busy);
    std::fflush(stdout);
  });

  std::printf("listening on http://127.0.0.1:%d/\n", port);
  std::fflush(stdout);
  std::thread listener([&] { server.listen_after_bind(); });
  listener.join();  // returns once the listener stopped and the pool drained
  std::printf("drained, exiting\n");
  return 0;
}
