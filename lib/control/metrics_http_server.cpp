#include "control/metrics_http_server.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace p2psip::control {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct metrics_http_server::state : std::enable_shared_from_this<state> {
  state(asio::io_context& io, metrics_http_config c, std::function<std::string()> e)
      : config(c), exposition(std::move(e)), acceptor(io, c.listen) {}

  void accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
      if (!ec && self->open < self->config.max_connections) serve(self, std::move(socket));
      self->accept();
    });
  }

  // One request, one answer, then the connection closes.
  static void serve(const std::shared_ptr<state>& self, tcp::socket socket) {
    struct exchange {
      beast::tcp_stream stream;
      beast::flat_buffer buffer;
      http::request_parser<http::empty_body> parser;
      http::response<http::string_body> response;
      explicit exchange(tcp::socket s) : stream(std::move(s)) {}
    };
    auto x = std::make_shared<exchange>(std::move(socket));
    ++self->open;
    x->parser.header_limit(8 * 1024);
    x->stream.expires_after(self->config.timeout);
    http::async_read(x->stream, x->buffer, x->parser, [self, x](beast::error_code ec, std::size_t) {
      if (ec) {
        --self->open;
        return;
      }
      const auto& request = x->parser.get();
      auto& response = x->response;
      response.version(request.version());
      response.keep_alive(false);
      response.set(http::field::server, "p2psipd");
      if (request.method() != http::verb::get && request.method() != http::verb::head) {
        response.result(http::status::method_not_allowed);
        response.set(http::field::allow, "GET, HEAD");
      } else if (request.target() != "/metrics") {
        response.result(http::status::not_found);
        response.body() = "only /metrics is served here\n";
      } else {
        response.result(http::status::ok);
        response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
        if (request.method() == http::verb::get) response.body() = self->exposition();
      }
      response.prepare_payload();
      http::async_write(x->stream, response, [self, x](beast::error_code, std::size_t) {
        beast::error_code ignored;
        x->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        --self->open;
      });
    });
  }

  metrics_http_config config;
  std::function<std::string()> exposition;
  tcp::acceptor acceptor;
  std::size_t open = 0;
};

metrics_http_server::metrics_http_server(asio::io_context& io, metrics_http_config config,
                                         std::function<std::string()> exposition)
    : state_(std::make_shared<state>(io, config, std::move(exposition))) {
  state_->accept();
}

metrics_http_server::~metrics_http_server() {
  beast::error_code ignored;
  state_->acceptor.close(ignored);
}

tcp::endpoint metrics_http_server::endpoint() const { return state_->acceptor.local_endpoint(); }

}  // namespace p2psip::control
