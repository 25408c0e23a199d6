#include "overlay/fragment_reassembler.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace p2psip::overlay {

namespace {

// What every fragment of one message shares: the header without the fields
// that change per hop (ttl) or per fragment (fragment, length).
std::optional<std::vector<std::uint8_t>> message_key(const wire::forwarding_header& header) {
  wire::forwarding_header shared = header;
  shared.ttl = 0;
  shared.fragment = wire::unfragmented;
  shared.length = 0;
  auto bytes = wire::to_bytes(shared);
  if (!bytes) return std::nullopt;
  return std::move(bytes).value();
}

}  // namespace

fragment_reassembler::fragment_reassembler(reassembler_config config) : config_(config) {}

std::optional<std::vector<std::uint8_t>> fragment_reassembler::add(
    const wire::forwarded_message& fragment, time_point now) {
  expire(now);
  const wire::forwarding_header& header = fragment.header;
  const wire::bytes_view chunk = fragment.payload;
  const std::uint32_t offset = wire::fragment_offset(header.fragment);
  const bool last = wire::is_last_fragment(header.fragment);
  const std::size_t end = std::size_t{offset} + chunk.size();

  auto key = message_key(header);
  if (!key || (!last && chunk.empty())) {
    ++stats_.discarded_fragments;
    return std::nullopt;
  }
  const auto found = index_.find(*key);
  if (key->size() + end > config_.max_message_size) {
    std::vector<std::uint8_t> start;
    if (offset == 0) {
      start.assign(chunk.begin(), chunk.end());
    } else if (found != index_.end() && !found->second->pieces.empty() &&
               found->second->pieces.begin()->first == 0) {
      start = found->second->pieces.begin()->second;
    }
    if (found != index_.end()) {
      drop(found->second);
    } else {
      ++stats_.dropped;
    }
    ++stats_.discarded_fragments;
    if (too_large_) too_large_(header, start);
    return std::nullopt;
  }

  partial_list::iterator p;
  if (found != index_.end()) {
    p = found->second;
    p->ttl = std::min(p->ttl, header.ttl);
  } else if (offset == 0 && last) {
    // Not fragmented after all: nothing to hold.
    auto whole = wire::encode_forwarded(header, chunk);
    if (!whole) return std::nullopt;
    return std::move(whole).value();
  } else if (partials_.size() >= config_.max_partial_messages ||
             buffered_ + key->size() + chunk.size() > config_.max_buffered_bytes) {
    ++stats_.dropped;
    ++stats_.discarded_fragments;
    return std::nullopt;
  } else {
    const auto slot = index_.emplace(std::move(*key), partials_.end()).first;
    p = partials_.insert(partials_.end(), partial{slot, now, header.ttl, {}, 0, std::nullopt});
    slot->second = p;
    buffered_ += slot->first.size();
  }

  switch (merge(*p, offset, last, chunk)) {
    case merge_result::inconsistent:
    case merge_result::no_room:
      drop(p);
      ++stats_.discarded_fragments;
      return std::nullopt;
    case merge_result::duplicate: ++stats_.duplicate_fragments; break;
    case merge_result::stored: break;
  }
  if (!p->total || p->received != *p->total) return std::nullopt;
  auto whole = assemble(*p);
  remove(p);
  if (!whole) {
    ++stats_.dropped;
    return std::nullopt;
  }
  ++stats_.completed;
  return whole;
}

fragment_reassembler::merge_result fragment_reassembler::merge(partial& p, std::uint32_t offset,
                                                               bool last, wire::bytes_view chunk) {
  const std::size_t end = std::size_t{offset} + chunk.size();
  if (last) {
    if (p.total && *p.total != end) return merge_result::inconsistent;
    if (!p.pieces.empty()) {
      const auto& [start, bytes] = *p.pieces.rbegin();
      if (start + bytes.size() > end) return merge_result::inconsistent;
    }
  } else if (p.total && end > *p.total) {
    return merge_result::inconsistent;
  }

  // Compare the bytes already held under the chunk, and find the gaps.
  auto piece = p.pieces.upper_bound(offset);
  if (piece != p.pieces.begin()) {
    const auto before = std::prev(piece);
    if (before->first + before->second.size() > offset) piece = before;
  }
  std::vector<std::pair<std::size_t, std::size_t>> gaps;
  std::size_t cursor = offset;
  std::size_t fresh = 0;
  for (; piece != p.pieces.end() && piece->first < end; ++piece) {
    const std::size_t start = piece->first;
    const std::size_t from = std::max(start, std::size_t{offset});
    const std::size_t to = std::min(start + piece->second.size(), end);
    if (!std::equal(chunk.begin() + (from - offset), chunk.begin() + (to - offset),
                    piece->second.begin() + (from - start))) {
      return merge_result::inconsistent;
    }
    if (start > cursor) {
      gaps.emplace_back(cursor, start);
      fresh += start - cursor;
    }
    cursor = std::max(cursor, start + piece->second.size());
  }
  if (cursor < end) {
    gaps.emplace_back(cursor, end);
    fresh += end - cursor;
  }

  if (last) p.total = end;
  if (fresh == 0) return merge_result::duplicate;
  if (buffered_ + fresh > config_.max_buffered_bytes) return merge_result::no_room;
  for (const auto& [from, to] : gaps) {
    p.pieces.emplace(
        static_cast<std::uint32_t>(from),
        std::vector<std::uint8_t>(chunk.begin() + (from - offset), chunk.begin() + (to - offset)));
  }
  p.received += fresh;
  buffered_ += fresh;
  return merge_result::stored;
}

std::optional<std::vector<std::uint8_t>> fragment_reassembler::assemble(const partial& p) const {
  wire::forwarding_header header;
  wire::byte_reader r(p.key->first);
  decode(r, header);
  if (!r.ok()) return std::nullopt;
  header.ttl = p.ttl;
  header.fragment = wire::unfragmented;
  std::vector<std::uint8_t> payload;
  payload.reserve(p.received);
  for (const auto& [start, bytes] : p.pieces)
    payload.insert(payload.end(), bytes.begin(), bytes.end());
  auto whole = wire::encode_forwarded(header, payload);
  if (!whole) return std::nullopt;
  return std::move(whole).value();
}

std::size_t fragment_reassembler::expire(time_point now) {
  std::size_t expired = 0;
  while (!partials_.empty() && now - partials_.front().first_seen >= config_.lifetime) {
    remove(partials_.begin());
    ++stats_.timed_out;
    ++expired;
  }
  return expired;
}

void fragment_reassembler::drop(partial_list::iterator p) {
  remove(p);
  ++stats_.dropped;
}

void fragment_reassembler::remove(partial_list::iterator p) {
  buffered_ -= p->key->first.size() + p->received;
  index_.erase(p->key);
  partials_.erase(p);
}

}  // namespace p2psip::overlay
