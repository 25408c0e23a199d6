#include "identity/multipart_form.hpp"

#include <algorithm>
#include <cctype>

#include <openssl/rand.h>

#include "wire/ids.hpp"

namespace p2psip::identity {
namespace {

constexpr std::string_view crlf = "\r\n";
constexpr std::size_t max_boundary = 70;  // RFC 2046 §5.1.1

identity_error malformed(std::string what) {
  return identity_error{identity_errc::malformed_request, std::move(what)};
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of `param` in a header value "type; a=b; param="value"".
std::optional<std::string> header_parameter(std::string_view value, std::string_view param) {
  std::size_t pos = value.find(';');
  while (pos != std::string_view::npos) {
    auto rest = trim(value.substr(pos + 1));
    const auto eq = rest.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const auto key = lower(trim(rest.substr(0, eq)));
    rest = trim(rest.substr(eq + 1));
    std::string_view v;
    std::size_t consumed;
    if (!rest.empty() && rest.front() == '"') {
      const auto close = rest.find('"', 1);
      if (close == std::string_view::npos) return std::nullopt;
      v = rest.substr(1, close - 1);
      consumed = close + 1;
    } else {
      consumed = std::min(rest.find(';'), rest.size());
      v = trim(rest.substr(0, consumed));
    }
    if (key == param) return std::string(v);
    rest.remove_prefix(consumed);
    const auto next = rest.find(';');
    if (next == std::string_view::npos) return std::nullopt;
    value = rest;
    pos = next;
  }
  return std::nullopt;
}

std::string_view media_type(std::string_view value) {
  return trim(value.substr(0, value.find(';')));
}

result<form_part> parse_part(std::string_view part) {
  const auto header_end = part.find("\r\n\r\n");
  if (header_end == std::string_view::npos) return malformed("part without a header block");
  form_part out;
  out.data = std::string(part.substr(header_end + 4));
  auto headers = part.substr(0, header_end);
  bool disposition = false;
  while (!headers.empty()) {
    const auto end = std::min(headers.find(crlf), headers.size());
    const auto line = headers.substr(0, end);
    headers.remove_prefix(std::min(end + crlf.size(), headers.size()));
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return malformed("bad part header line");
    const auto name = lower(trim(line.substr(0, colon)));
    const auto value = trim(line.substr(colon + 1));
    if (name == "content-disposition") {
      if (lower(media_type(value)) != "form-data") return malformed("part is not form-data");
      auto field = header_parameter(value, "name");
      if (!field) return malformed("form-data part without a name");
      out.name = std::move(*field);
      disposition = true;
    } else if (name == "content-type") {
      out.content_type = lower(media_type(value));
    } else if (name == "content-transfer-encoding" && lower(value) != "binary" &&
               lower(value) != "8bit" && lower(value) != "7bit") {
      return malformed("unsupported Content-Transfer-Encoding " + std::string(value));
    }
  }
  if (!disposition) return malformed("part without Content-Disposition");
  return out;
}

}  // namespace

result<multipart_body> encode_multipart(const std::vector<form_part>& parts) {
  unsigned char random[16];
  if (RAND_bytes(random, sizeof random) != 1) {
    return openssl_error(identity_errc::crypto_failure, "no randomness for boundary");
  }
  const std::string boundary = "p2psip-" + wire::to_hex(random);
  multipart_body out{"multipart/form-data; boundary=" + boundary, {}};
  for (const auto& part : parts) {
    out.body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + part.name + "\"";
    if (!part.content_type.empty()) out.body += "\r\nContent-Type: " + part.content_type;
    out.body += "\r\n\r\n" + part.data + "\r\n";
  }
  out.body += "--" + boundary + "--\r\n";
  return out;
}

result<std::vector<form_part>> parse_multipart(std::string_view content_type,
                                               std::string_view body, std::size_t max_parts) {
  if (lower(media_type(content_type)) != "multipart/form-data") {
    return malformed("Content-Type must be multipart/form-data (RFC 2388), not " +
                     std::string(media_type(content_type)));
  }
  const auto boundary = header_parameter(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > max_boundary) {
    return malformed("multipart/form-data without a valid boundary");
  }
  const std::string delimiter = "--" + *boundary;
  const std::string separator = "\r\n" + delimiter;

  auto pos = body.find(delimiter);  // anything before it is preamble
  if (pos == std::string_view::npos) return malformed("body has no multipart boundary");
  pos += delimiter.size();
  std::vector<form_part> parts;
  for (;;) {
    if (body.substr(pos, 2) == "--") return parts;  // close delimiter
    if (body.substr(pos, 2) != crlf) return malformed("bad multipart boundary line");
    pos += 2;
    const auto end = body.find(separator, pos);
    if (end == std::string_view::npos) return malformed("multipart body is truncated");
    if (parts.size() == max_parts) return malformed("too many form parts");
    auto part = parse_part(body.substr(pos, end - pos));
    if (!part) return part.error();
    parts.push_back(std::move(*part));
    pos = end + separator.size();
  }
}

const form_part* find_part(const std::vector<form_part>& parts, std::string_view name) noexcept {
  const auto it = std::find_if(parts.begin(), parts.end(),
                               [&](const form_part& p) { return p.name == name; });
  return it == parts.end() ? nullptr : &*it;
}

}  // namespace p2psip::identity
