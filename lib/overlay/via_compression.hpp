// Via List compression, RFC 6940 §6.1.2 and §6.1.3: a peer forwarding a
// request may replace the Via List (plus the hop it came from) with one
// 16-bit compressed id that only it can read, and put the list back when the
// response comes through with that id on its Destination List.
//
// Ids index saved state; they are drawn at random (not sequential), so a
// peer that sees one cannot guess another's, and a delayed response is
// unlikely to meet a reused id. Saved lists are kept for `lifetime` (at least
// the overlay-reliability-timer, §6.1.2) and never evicted sooner: when the
// table is full, compress() declines and the caller forwards the list as it
// is. Pure: the caller passes the time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "overlay/timer_service.hpp"
#include "wire/destination.hpp"

namespace p2psip::overlay {

struct via_compression_config {
  // How long a saved list stays expandable: overlay-reliability-timer or more.
  duration lifetime = std::chrono::seconds(3);
  std::size_t max_entries = 4096;                // of the 32768 ids the top bit leaves
  std::size_t max_bytes = std::size_t{1} << 20;  // saved lists, as encoded
};

class via_compressor {
 public:
  // 64 random bits per call. Empty: std::random_device.
  using random_source = std::function<std::uint64_t()>;

  explicit via_compressor(via_compression_config config = {}, random_source random = {});

  // Saves `via_list` and returns the id standing for it; nullopt when the
  // table is full (entries or bytes) or the list cannot be encoded.
  std::optional<wire::compressed_id> compress(std::vector<wire::destination> via_list,
                                              time_point now);
  // The list saved under `id`; nullopt when unknown or expired.
  std::optional<std::vector<wire::destination>> expand(wire::compressed_id id,
                                                       time_point now) const;
  // Drops the lists older than the lifetime; returns how many.
  std::size_t expire(time_point now);

  std::size_t size() const noexcept { return saved_.size(); }
  std::size_t bytes() const noexcept { return bytes_; }

 private:
  struct saved_list {
    std::vector<wire::destination> via_list;
    std::size_t encoded_size;
    time_point expires;
  };

  // A random id not in use; call after expire().
  std::optional<std::uint16_t> unused_id();

  via_compression_config config_;
  random_source random_;
  std::unordered_map<std::uint16_t, saved_list> saved_;
  std::deque<std::pair<time_point, std::uint16_t>> expiry_order_;  // soonest first
  std::size_t bytes_ = 0;
};

}  // namespace p2psip::overlay
