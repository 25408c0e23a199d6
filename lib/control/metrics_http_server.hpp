// The optional Prometheus scrape endpoint (metrics.http-listen): plain HTTP
// on a TCP address, GET /metrics answered with the text exposition format,
// as coturn and Kamailio offer. Off unless configured; meant for localhost.
// Bounded: at most max_connections at once, each closed after one answer or
// after `timeout` without a complete request, requests of at most 8 KiB.
// Threading: the io_context it is given.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace p2psip::control {

struct metrics_http_config {
  boost::asio::ip::tcp::endpoint listen;
  std::size_t max_connections = 16;
  std::chrono::milliseconds timeout{5000};
};

class metrics_http_server {
 public:
  // `exposition` renders the metrics (metrics_registry::to_prometheus).
  // Binds at once; throws boost::system::system_error when it cannot.
  metrics_http_server(boost::asio::io_context& io, metrics_http_config config,
                      std::function<std::string()> exposition);
  ~metrics_http_server();
  metrics_http_server(const metrics_http_server&) = delete;
  metrics_http_server& operator=(const metrics_http_server&) = delete;

  // The bound address (the real port when 0 was asked).
  boost::asio::ip::tcp::endpoint endpoint() const;

  struct state;

 private:
  std::shared_ptr<state> state_;
};

}  // namespace p2psip::control
