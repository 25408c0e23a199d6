// A TURN server for the interoperability scripts: turn_server on loopback
// with ephemeral ports, which it prints ("udp=P tcp=P tls=P"). Each
// allocation change prints a line; SIGUSR1 prints the counters; SIGTERM
// stops it. `--mint ID TTL` prints REST credentials instead and exits.
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <boost/asio/signal_set.hpp>

#include "nat/turn_credentials.hpp"
#include "nat/turn_server.hpp"

using namespace p2psip::nat;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  if (!in) throw std::runtime_error("cannot read " + path);
  return out.str();
}

void print_counters(const turn_server& server) {
  const auto& c = server.counters();
  std::cout << "counters allocations=" << server.list_allocations().size()
            << " created=" << c.allocations_created << " ended=" << c.allocations_ended
            << " to_peers=" << c.to_peers.packets << " from_peers=" << c.from_peers.packets;
  for (std::size_t i = 0; i < refusal_count; ++i) {
    std::cout << " " << to_string(static_cast<refusal>(i)) << "=" << c.refusals[i];
  }
  std::cout << std::endl;
}

int usage() {
  std::cerr << "usage: turn_server_main --secret S [--realm R] [--allow-loopback] [--deny CIDR]...\n"
               "         [--max-per-user N] [--max-allocations N] [--bandwidth BYTES]\n"
               "         [--tls-cert PEM --tls-key PEM]\n"
               "       turn_server_main --mint ID TTL --secret S\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  turn_config config;
  config.relay_address = boost::asio::ip::address_v4::loopback();
  std::string cert, key, mint_id;
  long mint_ttl = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--secret") config.shared_secret = value();
    else if (arg == "--realm") config.realm = value();
    else if (arg == "--allow-loopback") config.peers.allow_loopback = true;
    else if (arg == "--deny") {
      const auto range = address_range::parse(value());
      if (!range) return usage();
      config.peers.deny.push_back(*range);
    } else if (arg == "--max-per-user") config.max_allocations_per_user = std::stoul(value());
    else if (arg == "--max-allocations") config.max_allocations = std::stoul(value());
    else if (arg == "--bandwidth") config.bandwidth_per_allocation = std::stoull(value());
    else if (arg == "--tls-cert") cert = value();
    else if (arg == "--tls-key") key = value();
    else if (arg == "--mint") {
      mint_id = value();
      mint_ttl = std::stol(value());
    } else return usage();
  }
  if (config.shared_secret.empty()) return usage();
  if (!mint_id.empty()) {
    const auto minted = mint_turn_credentials(config.shared_secret, mint_id,
                                              std::chrono::seconds(mint_ttl),
                                              default_turn_clock().unix_seconds(), {});
    std::cout << minted.username << "\n" << minted.password << std::endl;
    return 0;
  }

  boost::asio::io_context io;
  const transport_address any_port(boost::asio::ip::address_v4::loopback(), 0);
  turn_listeners listeners{any_port, any_port, std::nullopt, {}};
  if (!cert.empty()) {
    listeners.tls = any_port;
    listeners.tls_identity = {read_file(cert), read_file(key)};
  }
  // TCP on the UDP port, as a real deployment's 3478, when it is free.
  {
    turn_server probe(io, config, {any_port, std::nullopt, std::nullopt, {}});
    listeners.udp = *probe.udp_endpoint();
    listeners.tcp = *probe.udp_endpoint();
  }
  turn_server server(io, config, listeners);
  server.on_allocation_change([](allocation_change change, const allocation_info& info) {
    std::cout << "allocation " << to_string(change) << " " << to_string(info.client.transport)
              << " " << info.client.client << " relayed " << info.relayed << " user "
              << info.username << " to_peer " << info.to_peer.packets << " from_peer "
              << info.from_peer.packets << std::endl;
  });
  server.start();
  std::cout << "udp=" << server.udp_endpoint()->port() << " tcp=" << server.tcp_endpoint()->port()
            << " tls=" << (server.tls_endpoint() ? server.tls_endpoint()->port() : 0) << std::endl;

  boost::asio::signal_set signals(io, SIGTERM, SIGINT, SIGUSR1);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        print_counters(server);
        if (signal == SIGUSR1) return signals.async_wait(on_signal);
        server.stop();
      };
  signals.async_wait(on_signal);
  io.run();
  return 0;
}
