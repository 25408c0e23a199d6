// libFuzzer target for turn_core: the TURN logic behind the parser, on input
// from a client that holds an allocation with a permission and a channel,
// from a stranger, from a TCP client and from the permitted peer. The first
// byte picks which. Every answer the core sends a client must parse as
// STUN or ChannelData.
#include <cstdlib>
#include <memory>

#include "nat/channel_data.hpp"
#include "nat/stun_crypto.hpp"
#include "nat/turn_core.hpp"
#include "nat/turn_credentials.hpp"

using namespace p2psip::nat;

namespace {

class fixed_clock final : public turn_clock {
 public:
  turn_time now() const override { return {}; }
  std::int64_t unix_seconds() const override { return 1'800'000'000; }
};

class checking_io final : public relay_io {
 public:
  std::optional<transport_address> open_relay(relay_port) override {
    return transport_address(boost::asio::ip::address_v4::loopback(), next_port++);
  }
  bool open_relay_at(const transport_address&) override { return true; }
  void close_relay(const transport_address&) override {}
  void send_to_peer(const transport_address&, const transport_address&, bytes_view) override {}
  void send_to_client(const five_tuple&, bytes_view bytes) override {
    if (looks_like_channel_data(bytes) ? !parse_channel_data(bytes) : !parse_stun(bytes)) {
      std::abort();
    }
    last.assign(bytes.begin(), bytes.end());
  }
  std::uint16_t next_port = 50000;
  std::vector<std::uint8_t> last;
};

const transport_address server(boost::asio::ip::address_v4::loopback(), 3478);
const transport_address peer(boost::asio::ip::address_v4::loopback(), 9);
const five_tuple holder{client_transport::udp, {boost::asio::ip::make_address("192.0.2.1"), 1}, server};

struct world {
  fixed_clock clock;
  checking_io io;
  std::unique_ptr<turn_core> core;
  transport_address relayed;

  world() {
    turn_config config;
    config.shared_secret = "fuzz";
    config.realm = "fuzz";
    config.peers.allow_loopback = true;
    core = std::make_unique<turn_core>(config, io, clock);
    const auto credentials = mint_turn_credentials("fuzz", "fuzzer", std::chrono::hours(1),
                                                   clock.unix_seconds(), {});
    const auto key = long_term_key(credentials.username, "fuzz", credentials.password);
    std::string nonce;
    std::uint8_t id_seed = 0;
    // Sends a request, signed once the server has named its nonce.
    const auto call = [&](std::uint16_t method, auto add) {
      transaction_id id{};
      id[0] = ++id_seed;
      stun_writer w(stun_class::request, method, id);
      add(w, id);
      if (!nonce.empty()) {
        add_string(w, attribute::username, credentials.username);
        add_string(w, attribute::realm, "fuzz");
        add_string(w, attribute::nonce, nonce);
        w.add_message_integrity(key);
      }
      core->on_client_message(holder, w.bytes());
      return parse_stun(io.last);
    };
    const auto allocate = [](stun_writer& w, const transaction_id&) {
      add_requested_transport(w, protocol_udp);
    };
    nonce = read_string(*call(stun_method::allocate, allocate)->find(attribute::nonce));
    const auto allocated = call(stun_method::allocate, allocate);
    relayed = *read_xor_address(*allocated->find(attribute::xor_relayed_address), allocated->id);
    const auto bound = call(stun_method::channel_bind, [](stun_writer& w, const transaction_id& id) {
      add_channel_number(w, 0x4000);
      add_xor_address(w, attribute::xor_peer_address, peer, id);
    });
    if (!bound || bound->klass != stun_class::success) std::abort();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static world w;
  if (size == 0) return 0;
  const bytes_view input(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0: w.core->on_client_message(holder, input); break;
    case 1:
      w.core->on_client_message(
          {client_transport::udp, {boost::asio::ip::make_address("192.0.2.2"), 2}, server}, input);
      break;
    case 2:
      w.core->on_client_message(
          {client_transport::tcp, {boost::asio::ip::make_address("192.0.2.3"), 3}, server}, input);
      break;
    default: w.core->on_peer_datagram(w.relayed, peer, input); break;
  }
  return 0;
}
