#include "nat/glib_loop_thread.hpp"

#include <pthread.h>

#include <glib.h>

namespace p2psip::nat {

namespace {

constexpr std::chrono::milliseconds drain_poll{10};

// A one-shot GSource callback owning its std::function.
gboolean run_once(gpointer data) {
  (*static_cast<std::function<void()>*>(data))();
  return G_SOURCE_REMOVE;
}

void delete_work(gpointer data) { delete static_cast<std::function<void()>*>(data); }

void attach_work(GMainContext* context, GSource* source, std::function<void()> work) {
  g_source_set_priority(source, G_PRIORITY_DEFAULT);
  g_source_set_callback(source, run_once, new std::function<void()>(std::move(work)), delete_work);
  g_source_attach(source, context);
  g_source_unref(source);
}

}  // namespace

glib_loop_thread::glib_loop_thread(std::string name)
    : context_(g_main_context_new()), loop_(g_main_loop_new(context_, FALSE)) {
  thread_ = std::thread([this, name = std::move(name)] {
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    g_main_context_push_thread_default(context_);
    g_main_loop_run(loop_);
    g_main_context_pop_thread_default(context_);
  });
}

glib_loop_thread::~glib_loop_thread() {
  const auto deadline = std::chrono::steady_clock::now() + drain_limit;
  post([this, deadline] { quit_when_drained(deadline); });
  thread_.join();
  g_main_loop_unref(loop_);
  // Sources never dispatched are destroyed here, their work with them.
  g_main_context_unref(context_);
}

void glib_loop_thread::post(std::function<void()> work) {
  // An idle source rather than g_main_context_invoke, which would run the
  // work at once when called on the loop thread and break the posted order.
  attach_work(context_, g_idle_source_new(), std::move(work));
}

void glib_loop_thread::quit_when_drained(std::chrono::steady_clock::time_point deadline) {
  if (holds_.load() == 0 || std::chrono::steady_clock::now() >= deadline) {
    g_main_loop_quit(loop_);
    return;
  }
  attach_work(context_, g_timeout_source_new(static_cast<guint>(drain_poll.count())),
              [this, deadline] { quit_when_drained(deadline); });
}

std::shared_ptr<void> glib_loop_thread::per_executor(
    const boost::asio::any_io_executor& executor,
    const std::function<std::shared_ptr<void>()>& make) {
  const std::lock_guard lock(per_executor_mutex_);
  for (const auto& [known, object] : per_executor_)
    if (known == executor) return object;
  per_executor_.emplace_back(executor, make());
  return per_executor_.back().second;
}

glib_loop_thread::hold::hold(glib_loop_thread& loop) : count_(&loop.holds_) { ++*count_; }

glib_loop_thread::hold::hold(hold&& other) noexcept : count_(other.count_) {
  other.count_ = nullptr;
}

glib_loop_thread::hold::~hold() {
  if (count_) --*count_;
}

}  // namespace p2psip::nat
