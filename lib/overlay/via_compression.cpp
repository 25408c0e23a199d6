#include "overlay/via_compression.hpp"

#include <algorithm>
#include <memory>
#include <random>
#include <utility>

namespace p2psip::overlay {

namespace {

constexpr std::uint16_t compressed_bit = 0x8000;
// Draws of four ids each before giving up: at the default cap, the table is
// at most 1/8 full, so all 64 ids are taken with probability 2^-192.
constexpr int id_attempts = 16;

}  // namespace

via_compressor::via_compressor(via_compression_config config, random_source random)
    : config_(config), random_(std::move(random)) {
  config_.max_entries = std::min<std::size_t>(config_.max_entries, compressed_bit);
  if (!random_) {
    random_ = [device = std::make_shared<std::random_device>()] {
      return (std::uint64_t{(*device)()} << 32) | (*device)();
    };
  }
}

std::optional<wire::compressed_id> via_compressor::compress(std::vector<wire::destination> via_list,
                                                            time_point now) {
  expire(now);
  if (saved_.size() >= config_.max_entries) return std::nullopt;
  wire::byte_writer measure;
  wire::encode_destination_list(measure, via_list);
  if (!measure.ok() || bytes_ + measure.size() > config_.max_bytes) return std::nullopt;
  const auto id = unused_id();
  if (!id) return std::nullopt;
  const time_point expires = now + config_.lifetime;
  saved_.emplace(*id, saved_list{std::move(via_list), measure.size(), expires});
  expiry_order_.emplace_back(expires, *id);
  bytes_ += measure.size();
  return wire::compressed_id{*id};
}

std::optional<std::vector<wire::destination>> via_compressor::expand(wire::compressed_id id,
                                                                     time_point now) const {
  const auto found = saved_.find(id.value);
  if (found == saved_.end() || now >= found->second.expires) return std::nullopt;
  return found->second.via_list;
}

std::size_t via_compressor::expire(time_point now) {
  std::size_t expired = 0;
  while (!expiry_order_.empty() && now >= expiry_order_.front().first) {
    const auto [expires, id] = expiry_order_.front();
    expiry_order_.pop_front();
    const auto found = saved_.find(id);
    // An id is drawn again only once its list has gone, so this is its list.
    if (found == saved_.end() || found->second.expires != expires) continue;
    bytes_ -= found->second.encoded_size;
    saved_.erase(found);
    ++expired;
  }
  return expired;
}

std::optional<std::uint16_t> via_compressor::unused_id() {
  for (int attempt = 0; attempt < id_attempts; ++attempt) {
    std::uint64_t bits = random_();
    for (int part = 0; part < 4; ++part, bits >>= 16) {
      const auto id = static_cast<std::uint16_t>(compressed_bit | (bits & 0x7fff));
      if (!saved_.contains(id)) return id;  // expire(now) ran: what is left is live
    }
  }
  return std::nullopt;
}

}  // namespace p2psip::overlay
