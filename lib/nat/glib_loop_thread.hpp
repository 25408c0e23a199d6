// The thread libnice runs on: one GMainContext and GMainLoop, owned by one
// dedicated thread and pushed as its thread-default context.
//
// Thread rules (ICE, lib/nat):
// - Every NiceAgent call, signal and timer happens on this thread; other
//   threads hand it work with post(), never by touching an agent. The one
//   exception is nice_agent_send of a datagram-mode ice_agent, made on its
//   executor's thread: libnice's agent lock makes it safe, and a post per
//   datagram was most of the cost of relaying media.
// - Results go back to the Asio side by boost::asio::post to the executor
//   each ice_agent was given, batched (ice_agent's inbox); nothing here
//   blocks on the Asio side.
// - Work on this thread checks its owner's shutdown flag before it touches
//   the owner's state, because a close may have been posted before it ran.
// - The context is the thread-default one (g_main_context_push_thread_default)
//   because libnice completes nice_agent_close_async in the thread-default
//   context of the caller (a GTask), not in the agent's own context.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

struct _GMainContext;
struct _GMainLoop;

namespace p2psip::nat {

class glib_loop_thread {
 public:
  // Starts the thread; `name` is its name in ps and debuggers (15 bytes).
  explicit glib_loop_thread(std::string name = "ice");
  // Waits for every hold to be released, up to `drain_limit` (TURN
  // deallocations in flight), then stops the loop and joins the thread.
  // Never from the loop thread itself: it would join itself.
  ~glib_loop_thread();
  glib_loop_thread(const glib_loop_thread&) = delete;
  glib_loop_thread& operator=(const glib_loop_thread&) = delete;

  // Runs `work` on the loop thread, later, in the order posted; from any thread.
  void post(std::function<void()> work);

  // Held by whatever must finish on this thread before it stops (an agent
  // until its close completes). Movable; releasing it is thread-safe.
  class hold {
   public:
    explicit hold(glib_loop_thread& loop);
    hold(hold&& other) noexcept;
    hold& operator=(hold&&) = delete;
    ~hold();

   private:
    std::atomic<int>* count_;
  };

  _GMainContext* context() const noexcept { return context_; }

  // One object per executor, made by `make` on first use and kept as long
  // as this loop (whose executors outlive it): ice_agent's report inbox, which
  // its agents on one executor share. From any thread.
  std::shared_ptr<void> per_executor(const boost::asio::any_io_executor& executor,
                                     const std::function<std::shared_ptr<void>()>& make);

  static constexpr std::chrono::seconds drain_limit{3};

 private:
  void quit_when_drained(std::chrono::steady_clock::time_point deadline);

  _GMainContext* context_;
  _GMainLoop* loop_;
  std::atomic<int> holds_{0};
  std::mutex per_executor_mutex_;
  std::vector<std::pair<boost::asio::any_io_executor, std::shared_ptr<void>>> per_executor_;
  std::thread thread_;
};

}  // namespace p2psip::nat
