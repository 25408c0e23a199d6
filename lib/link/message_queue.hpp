// Messages a link has accepted and not yet handed to its transport, bounded
// in count and in bytes (link_config's back-pressure). Empty messages are
// keepalives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace p2psip::link {

class message_queue {
 public:
  message_queue(std::size_t max_messages, std::size_t max_bytes) noexcept
      : max_messages_(max_messages), max_bytes_(max_bytes) {}

  // False, and the message dropped, when it would exceed either bound.
  bool push(std::vector<std::uint8_t> message) {
    if (messages_.size() >= max_messages_ || bytes_ + message.size() > max_bytes_) return false;
    bytes_ += message.size();
    messages_.push_back(std::move(message));
    return true;
  }
  // Precondition: not empty.
  std::vector<std::uint8_t> pop() {
    std::vector<std::uint8_t> message = std::move(messages_.front());
    messages_.pop_front();
    bytes_ -= message.size();
    return message;
  }
  bool empty() const noexcept { return messages_.empty(); }

 private:
  std::size_t max_messages_;
  std::size_t max_bytes_;
  std::deque<std::vector<std::uint8_t>> messages_;
  std::size_t bytes_ = 0;
};

}  // namespace p2psip::link
