// The holding buffer of RFC 6940 §6.7: fragments addressed to this node wait
// here until their message is complete, which then goes on whole. Memory is
// bounded three ways (per message, in total, in partial messages) and an
// incomplete message is dropped after the maximum request lifetime. Pure: the
// caller passes the time, so nothing runs between calls.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <vector>

#include "overlay/timer_service.hpp"
#include "wire/message.hpp"

namespace p2psip::overlay {

struct reassembler_config {
  // The overlay's max-message-size (§11.1 default): a fragment reaching past
  // it drops its message.
  std::size_t max_message_size = 5000;
  // Bytes held by all partial messages together: their chunks and headers.
  std::size_t max_buffered_bytes = std::size_t{1} << 20;
  std::size_t max_partial_messages = 256;
  // §6.7: incomplete messages time out after the maximum request lifetime,
  // counted from their first fragment.
  duration lifetime = std::chrono::seconds(15);
};

struct reassembler_stats {
  std::uint64_t completed = 0;  // messages handed back whole
  // Messages given up: past max_message_size, out of room (a new message
  // refused, or a partial one that would overflow the byte cap), or sent
  // inconsistent fragments (overlapping bytes or last fragments disagree).
  std::uint64_t dropped = 0;
  std::uint64_t timed_out = 0;            // partial messages older than the lifetime
  std::uint64_t duplicate_fragments = 0;  // fragments that brought no new byte
  // Fragments refused: malformed (empty and not last), or their message was
  // dropped on arrival.
  std::uint64_t discarded_fragments = 0;
};

class fragment_reassembler {
 public:
  explicit fragment_reassembler(reassembler_config config = {});

  // One fragment addressed to this node, as wire::decode_forwarding_part
  // split it. Fragments belong to the same message when their headers match
  // in everything but ttl, fragment and length, so a request and its response
  // (same transaction id, other lists) never mix. Returns the whole message
  // when this fragment completes it: the header with fragment = unfragmented,
  // the lowest TTL seen and the length recomputed, then the payload, ready
  // for wire::decode_message. An unfragmented message comes straight back.
  // Expires old partial messages first.
  std::optional<std::vector<std::uint8_t>> add(const wire::forwarded_message& fragment,
                                               time_point now);
  // Drops the partial messages that have outlived the lifetime at `now`;
  // returns how many. add() does this too, so call it only to free memory
  // while no fragments arrive.
  std::size_t expire(time_point now);

  // Called when a fragment makes its message exceed max_message_size, with
  // that fragment's header and the message's first payload bytes when they
  // came (empty otherwise), so that a request can be answered with
  // Error_Message_Too_Large (§6.6) instead of timing out.
  using too_large_handler =
      std::function<void(const wire::forwarding_header& header, wire::bytes_view message_start)>;
  void on_too_large(too_large_handler handler) { too_large_ = std::move(handler); }

  std::size_t partial_messages() const noexcept { return partials_.size(); }
  std::size_t buffered_bytes() const noexcept { return buffered_; }
  const reassembler_stats& stats() const noexcept { return stats_; }

 private:
  struct partial;
  using partial_list = std::list<partial>;
  // The header with ttl, fragment and length zeroed, encoded.
  using partial_index = std::map<std::vector<std::uint8_t>, partial_list::iterator>;
  struct partial {
    partial_index::iterator key;
    time_point first_seen;
    std::uint8_t ttl;
    std::map<std::uint32_t, std::vector<std::uint8_t>> pieces;  // disjoint, by offset
    std::size_t received = 0;                                   // payload bytes held
    std::optional<std::size_t> total;  // payload size, once the last fragment came
  };
  enum class merge_result { stored, duplicate, inconsistent, no_room };

  merge_result merge(partial& p, std::uint32_t offset, bool last, wire::bytes_view chunk);
  std::optional<std::vector<std::uint8_t>> assemble(const partial& p) const;
  void remove(partial_list::iterator p);
  void drop(partial_list::iterator p);  // remove() that counts a dropped message

  reassembler_config config_;
  partial_list partials_;  // oldest first
  partial_index index_;
  std::size_t buffered_ = 0;
  reassembler_stats stats_;
  too_large_handler too_large_;
};

}  // namespace p2psip::overlay
