// The UDP ports the phone-facing legs may use (media.port-min..max, say):
// even ports, each with its odd neighbour for RTCP (RFC 3550 §11), handed
// out round-robin so that a port just given back is the last to be reused
// (late packets of an ended call then find nobody). Pure bookkeeping: the
// caller binds, and gives back a port it could not bind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace p2psip::media {

class port_range {
 public:
  // The even ports p with first <= p and p + 1 <= last. Throws
  // std::invalid_argument when there is none (first > last, or one port).
  port_range(std::uint16_t first, std::uint16_t last);

  // An even port not in use, or nothing when all are.
  std::optional<std::uint16_t> acquire();
  // Gives `port` back; a port not from here or not in use is ignored.
  void release(std::uint16_t port);

  std::size_t capacity() const noexcept { return in_use_.size(); }
  std::size_t available() const noexcept { return in_use_.size() - used_; }

 private:
  std::uint16_t first_ = 0;   // even
  std::vector<bool> in_use_;  // by (port - first_) / 2
  std::size_t next_ = 0;      // where the next search starts
  std::size_t used_ = 0;
};

}  // namespace p2psip::media
