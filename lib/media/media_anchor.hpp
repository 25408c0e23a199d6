// Media anchored in the daemons (issue 17): p2psipd's sdp_rewriter. Each
// call's media goes phone → this daemon (an anchored_stream per m-line, on
// the phone-facing address) → an ICE path to the far daemon (libnice; direct
// where the NATs let it, relayed through TURN where not) with SRTP keys
// exchanged as RFC 4568 a=crypto in the daemon-to-daemon SDP, which travels
// only inside the TLS/DTLS links between daemons → the far daemon → its
// phone. Phones see plain RTP/AVP at the daemon's address; codecs,
// telephone-event and direction pass untouched (sdp_session).
//
// Which SDP is which: a request toward another daemon, or a response from
// the local phone in an anchored call, is the phone's (rewritten toward the
// far daemon); a request toward a local phone or a response from another
// daemon that carries ICE, a=crypto and rtcp-mux on RTP/SAVP is the far
// daemon's (rewritten toward the phone). Anything else (a call between two
// phones of this daemon) passes untouched. media.anchor: always anchors
// what the local phones offer; nat only when the phone's address is not a
// public one; never anchors nothing itself but still ends what a far
// daemon anchored, so that keys never reach a phone.
//
// Life cycle: a call's streams and agents go when the front reports its
// dialog ended (BYE, a failed INVITE, CANCEL's 487, the far daemon gone), a
// failed re-INVITE keeps a confirmed call. A confirmed call whose media is
// silent (no RTP or RTCP from the phone or from the far daemon) for the
// inactivity time, not while on hold, is ended through `call_inactive`; one
// never confirmed is dropped after unconfirmed_limit.
//
// Threads: the anchor runs a "media" thread (its io_context: legs, SRTP,
// timers, the agents' handlers) and a GLib loop thread ("media-ice") for its
// libnice agents. rewrite() and dialog_ended() come from the sip thread:
// rewrite posts to the media thread and waits for the answer, which never
// waits for the network: the agents are gathered ahead in a small pool per
// ICE role (an empty pool waits for one gathering, at most rewrite_limit).
// set_ice_config and reports may be called from any thread; hooks run on
// the media thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "media/anchored_stream.hpp"
#include "nat/glib_loop_thread.hpp"
#include "sip/sdp_rewriter.hpp"

namespace p2psip::media {

enum class anchor_mode : std::uint8_t { always, nat, never };

const char* to_string(anchor_mode mode) noexcept;

struct media_anchor_config {
  anchor_mode mode = anchor_mode::always;
  // Where the phone-facing legs listen, and what the phones' SDP names.
  boost::asio::ip::address phone_address = boost::asio::ip::make_address("127.0.0.1");
  // The legs' ports (even RTP, RTCP above); both 0: ephemeral.
  std::uint16_t port_min = 0;
  std::uint16_t port_max = 0;
  std::chrono::milliseconds inactivity{30'000};
  std::chrono::milliseconds unconfirmed_limit{300'000};
  // Agents gathered ahead, per ICE role. Each holds a TURN allocation at
  // every relay it was given, counted in the relays' per-user quotas.
  std::size_t pool_size = 1;
  // Pooled agents older than this are replaced (TURN allocations and server
  // choices age).
  std::chrono::milliseconds pool_max_age{120'000};
  // The most the sip thread waits for one rewrite.
  std::chrono::milliseconds rewrite_limit{3'000};
};

// One call's media, for sip.dialogs.
struct call_report {
  std::string call_id;
  bool confirmed = false;
  std::vector<stream_report> streams;
};

struct media_anchor_counters {
  std::uint64_t calls = 0;        // anchored calls begun
  std::uint64_t calls_ended = 0;  // released (any reason)
  std::uint64_t inactive = 0;     // ended for silence
  std::uint64_t refused = 0;      // rewrites that failed (488 or a dropped response)
  std::uint64_t paths_ready = 0;
  std::uint64_t paths_failed = 0;
  std::uint64_t pool_misses = 0;  // a call had to wait for a gathering
};

class media_anchor final : public sip::sdp_rewriter {
 public:
  struct hooks {
    // A confirmed call went silent: the front should end it (BYE).
    std::function<void(const std::string& call_id, const std::string& why)> call_inactive;
    // "start" (a call's first path is ready), "path" (a stream's path is
    // ready or failed), "inactive" (a call went silent): call id, details.
    std::function<void(const std::string& event, const std::string& call_id,
                       const std::string& detail)>
        event;
  };

  // Throws std::invalid_argument for a bad port range.
  media_anchor(media_anchor_config config, nat::ice_agent_config ice, hooks h);
  ~media_anchor() override;
  media_anchor(const media_anchor&) = delete;
  media_anchor& operator=(const media_anchor&) = delete;

  // Agents made from now on use `ice` (its role is set per agent); pooled
  // ones made with other servers are replaced. Any thread.
  void set_ice_config(nat::ice_agent_config ice);

  // --- sip::sdp_rewriter (sip thread) ----------------------------------------
  std::optional<std::string> rewrite(const sip::sdp_context& ctx, const std::string& sdp) override;
  void dialog_ended(const std::string& call_id, bool only_early) override;

  // Every anchored call; `done` runs on the media thread.
  void reports(std::function<void(std::vector<call_report>, media_anchor_counters)> done);
  const media_anchor_config& config() const noexcept { return config_; }

 private:
  struct call;
  using done_fn = std::function<void(std::optional<std::string>)>;

  // Media thread.
  void process(const sip::sdp_context& ctx, const std::string& body,
               std::shared_ptr<sdp_session> session, done_fn done);
  bool from_far_daemon(const sip::sdp_context& ctx, const sdp_session& session) const;
  bool wants_anchor(const sdp_session& session) const;
  call& call_for(const std::string& call_id, nat::ice_role role);
  std::unique_ptr<pooled_agent> take_agent(nat::ice_role role);
  void fill_pool();
  std::optional<media_error> ensure_streams(call& c, const sdp_session& session, bool far);
  void toward_daemon(const std::string& call_id, const std::string& body,
                     std::shared_ptr<sdp_session> session, done_fn done);
  void finish_toward_daemon(call& c, const sdp_session& session, const done_fn& done);
  // Runs the rewrites waiting for the call's agents once none is gathering.
  void resume(const std::string& call_id);
  void toward_phone(call& c, const sdp_session& session, const done_fn& done);
  void release(const std::string& call_id);
  void schedule_sweep();
  void sweep();
  void emit(const std::string& event, const std::string& call_id, const std::string& detail);

  const media_anchor_config config_;
  hooks hooks_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  nat::glib_loop_thread ice_loop_{"media-ice"};
  std::mutex ice_mutex_;
  nat::ice_agent_config ice_;         // under ice_mutex_
  std::uint64_t ice_generation_ = 0;  // under ice_mutex_: bumped when servers change
  // Media thread only, from here.
  std::optional<port_range> ports_;
  std::vector<std::pair<std::uint64_t, std::unique_ptr<pooled_agent>>> pool_;  // generation, agent
  std::map<std::string, std::unique_ptr<call>> calls_;
  media_anchor_counters counters_;
  boost::asio::steady_timer sweep_timer_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace p2psip::media
