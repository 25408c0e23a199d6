// An ordered, reliable byte stream through NATs for an AppAttach's
// application connection (RFC 6940 §6.5.2): an ice_agent in reliable
// mode (PseudoTCP over the selected pair, host, srflx, prflx or
// relay). The AppAttach's requester is ICE-controlling and the answerer
// controlled, as with Attach. Once checked it is a link::byte_stream, so
// that TLS runs over it exactly as over TCP.
//
// Life: negotiate (gather, set_remote), then `connected` with the pair, or
// `failed` and why; after that, start() as a byte stream. A path lost later
// ends the stream (on_stream_closed). close() releases the agent (and its
// TURN allocation) asynchronously.
//
// Threading: the Asio thread of the executor, like the agent's handlers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "link/byte_stream.hpp"
#include "nat/ice_agent.hpp"

namespace p2psip::nat {

struct ice_stream_handlers {
  // The local description to send the peer, or nullptr when gathering failed.
  std::function<void(const ice_description* local)> gathered;
  std::function<void(const ice_selected_pair& pair)> connected;
  std::function<void(const std::string& why)> failed;
};

class ice_stream final : public link::byte_stream,
                         public std::enable_shared_from_this<ice_stream> {
 public:
  // `config.reliable` is forced on. Gathering starts at once.
  static std::shared_ptr<ice_stream> open(glib_loop_thread& loop,
                                          boost::asio::any_io_executor executor,
                                          ice_agent_config config, ice_stream_handlers handlers);
  ~ice_stream() override;
  ice_stream(const ice_stream&) = delete;
  ice_stream& operator=(const ice_stream&) = delete;

  // The peer's description: checks start.
  void set_remote(const ice_description& remote);
  const std::optional<ice_selected_pair>& pair() const noexcept { return pair_; }

  // --- link::byte_stream ------------------------------------------------------
  void start(link::byte_stream_handler& handler) override;
  void write(std::vector<std::uint8_t> bytes) override;
  std::size_t queued_bytes() const override { return queued_; }
  void close(link::close_mode mode) override;

 private:
  explicit ice_stream(ice_stream_handlers handlers) : handlers_(std::move(handlers)) {}
  void on_bytes(std::span<const std::uint8_t> bytes);
  void on_failed(const std::string& why);

  ice_stream_handlers handlers_;
  std::unique_ptr<ice_agent> agent_;
  std::optional<ice_selected_pair> pair_;
  link::byte_stream_handler* handler_ = nullptr;
  std::vector<std::uint8_t> early_;  // bytes that came before start()
  std::optional<std::string> ended_;  // the path ended before start()
  std::size_t queued_ = 0;
  bool closed_ = false;
};

}  // namespace p2psip::nat
