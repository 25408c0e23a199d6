// A turn_server on a thread and io_context of its own for the nat suites,
// with a self-signed TLS identity made on the spot.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "nat/turn_server.hpp"

namespace p2psip::nat::test {

inline std::string to_pem(const std::function<void(BIO*)>& write) {
  BIO* bio = BIO_new(BIO_s_mem());
  write(bio);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return out;
}

// A self-signed certificate for 127.0.0.1 with `key` and `serial`, PEM.
inline std::string self_signed(EVP_PKEY* key, long serial) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  auto pem = to_pem([&](BIO* b) { PEM_write_bio_X509(b, cert); });
  X509_free(cert);
  return pem;
}

// A P-256 key and a self-signed certificate for 127.0.0.1 (serial 1), PEM.
inline turn_tls_identity make_identity() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  turn_tls_identity identity{self_signed(key, 1), to_pem([&](BIO* b) {
                               PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr,
                                                        nullptr);
                             })};
  EVP_PKEY_free(key);
  return identity;
}

// Another certificate for the key of `identity`: what a renewal gives.
inline std::string reissue(const turn_tls_identity& identity, long serial) {
  BIO* bio = BIO_new_mem_buf(identity.private_key_pem.data(),
                             static_cast<int>(identity.private_key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  auto pem = self_signed(key, serial);
  EVP_PKEY_free(key);
  return pem;
}

// A server for loopback tests: REST credentials under `secret`, relay ports
// [first_relay_port, +999] (each suite its own range), loopback peers allowed.
inline turn_config loopback_turn_config(const std::string& secret, const std::string& realm,
                                        std::uint16_t first_relay_port) {
  turn_config config;
  config.shared_secret = secret;
  config.realm = realm;
  config.relay_port_min = first_relay_port;
  config.relay_port_max = static_cast<std::uint16_t>(first_relay_port + 999);
  config.peers.allow_loopback = true;
  return config;
}

// The server on its own thread, listening on every transport on loopback;
// the test reads it through the accessors, which wait for that thread.
struct running_server {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
  std::unique_ptr<turn_server> server;
  std::thread thread;
  std::mutex mutex;
  std::vector<allocation_change> changes;

  explicit running_server(const turn_config& config,
                          const turn_tls_identity& identity = make_identity()) {
    const transport_address any(boost::asio::ip::address_v4::loopback(), 0);
    server = std::make_unique<turn_server>(io, config, turn_listeners{any, any, any, identity});
    server->on_allocation_change([this](allocation_change c, const allocation_info&) {
      std::lock_guard lock(mutex);
      changes.push_back(c);
    });
    server->start();
    thread = std::thread([this] { io.run(); });
  }
  ~running_server() {
    boost::asio::post(io, [this] { server->stop(); });
    guard.reset();
    thread.join();
  }

  // `action` on the server's thread, its result here.
  template <class Action>
  auto on_server_thread(Action action) {
    std::promise<decltype(action())> result;
    boost::asio::post(io, [&] { result.set_value(action()); });
    return result.get_future().get();
  }

  std::vector<allocation_info> allocations() {
    return on_server_thread([&] { return server->list_allocations(); });
  }

  std::uint64_t refused(refusal why) {
    return on_server_thread([&] { return server->counters().refused(why); });
  }

  bool saw(allocation_change c) {
    for (int i = 0; i < 100; ++i) {
      {
        std::lock_guard lock(mutex);
        if (std::find(changes.begin(), changes.end(), c) != changes.end()) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
};

}  // namespace p2psip::nat::test
