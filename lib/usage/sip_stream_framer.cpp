#include "usage/sip_stream_framer.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace p2psip::usage {

namespace {

constexpr std::string_view blank_line = "\r\n\r\n";

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

bool sip_stream_framer::feed(wire::bytes_view bytes) {
  std::size_t at = 0;
  while (at < bytes.size() && !failed_) {
    switch (state_) {
      case state::between: {
        const auto byte = bytes[at];
        if (carriage_return_ && byte == '\n') {
          carriage_return_ = false;
          ++at;
          if (on_keepalive) on_keepalive(1);
          continue;
        }
        if (!carriage_return_ && byte == '\r') {
          carriage_return_ = true;
          ++at;
          continue;
        }
        // Anything else starts a message (a lone CR included, which the
        // front will refuse as it would on any stream).
        state_ = state::headers;
        headers_.clear();
        if (std::exchange(carriage_return_, false)) {
          headers_.push_back('\r');
          static constexpr std::uint8_t cr = '\r';
          if (on_message_bytes) on_message_bytes(wire::bytes_view(&cr, 1));
        }
        continue;
      }
      case state::headers: {
        const auto start = at;
        bool ended = false;
        while (at < bytes.size()) {
          headers_.push_back(static_cast<char>(bytes[at++]));
          if (headers_.size() >= blank_line.size() &&
              std::string_view(headers_).substr(headers_.size() - blank_line.size()) ==
                  blank_line) {
            ended = true;
            break;
          }
          if (headers_.size() > max_header_bytes) {
            failed_ = "SIP header block over " + std::to_string(max_header_bytes) + " bytes";
            return false;
          }
        }
        if (on_message_bytes) on_message_bytes(bytes.subspan(start, at - start));
        if (ended && !headers_done()) return false;
        continue;
      }
      case state::body: {
        const auto take = std::min(body_left_, bytes.size() - at);
        if (on_message_bytes) on_message_bytes(bytes.subspan(at, take));
        at += take;
        body_left_ -= take;
        if (body_left_ == 0) state_ = state::between;
        continue;
      }
    }
  }
  return !failed_;
}

bool sip_stream_framer::headers_done() {
  std::optional<std::size_t> length;
  std::string_view rest(headers_);
  // The start line first, then one header per line (folded lines, obsolete
  // but legal, start with white space and are skipped here).
  bool first = true;
  while (!rest.empty()) {
    const auto end = rest.find("\r\n");
    const auto line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 2);
    if (std::exchange(first, false) || line.empty()) continue;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const auto name = trim(line.substr(0, colon));
    if (!same_name(name, "Content-Length") && !same_name(name, "l")) continue;
    const auto value = trim(line.substr(colon + 1));
    std::size_t n = 0;
    if (value.empty() || value.size() > 9 ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      failed_ = "Content-Length is not a number";
      return false;
    }
    for (const char c : value) n = n * 10 + static_cast<std::size_t>(c - '0');
    if (n > max_body_bytes || (length && *length != n)) {
      failed_ = n > max_body_bytes ? "Content-Length over the bound"
                                   : "two different Content-Length values";
      return false;
    }
    length = n;
  }
  body_left_ = length.value_or(0);
  state_ = body_left_ == 0 ? state::between : state::body;
  return true;
}

}  // namespace p2psip::usage
