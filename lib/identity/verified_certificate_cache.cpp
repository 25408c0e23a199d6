#include "identity/verified_certificate_cache.hpp"

namespace p2psip::identity {
namespace {

std::string_view as_text(byte_span der) noexcept {
  return {reinterpret_cast<const char*>(der.data()), der.size()};
}

}  // namespace

const verified_identity* verified_certificate_cache::find(byte_span der, time_point now) const {
  const auto it = by_der_.find(as_text(der));
  if (it == by_der_.end()) return nullptr;
  // check_validity compares whole seconds, as certificate times are.
  const auto second = std::chrono::floor<std::chrono::seconds>(now);
  const auto& verified = it->second;
  if (second < verified.valid_from || second > verified.valid_until) return nullptr;
  return &verified;
}

void verified_certificate_cache::add(const verified_identity& verified) {
  if (capacity_ == 0) return;
  auto [it, inserted] =
      by_der_.try_emplace(std::string(as_text(verified.certificate.der())), verified);
  if (!inserted) {
    it->second = verified;  // a later verdict, e.g. after a root or an intermediate changed
    return;
  }
  if (order_.size() >= capacity_) {
    by_der_.erase(by_der_.find(order_.front()));
    order_.pop_front();
  }
  order_.push_back(it->first);
}

}  // namespace p2psip::identity
