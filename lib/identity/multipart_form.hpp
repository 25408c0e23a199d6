// multipart/form-data (RFC 2388, RFC 7578) as the §11.3 enrollment POST uses
// it: building it on the node, parsing it, bounded, on the server.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "identity/identity_error.hpp"

namespace p2psip::identity {

struct form_part {
  std::string name;          // Content-Disposition: form-data; name="..."
  std::string content_type;  // empty when the part has no Content-Type
  std::string data;
};

struct multipart_body {
  std::string content_type;  // "multipart/form-data; boundary=..."
  std::string body;
};

// A random boundary that cannot occur in the parts.
result<multipart_body> encode_multipart(const std::vector<form_part>& parts);

// Refuses (malformed_request, with the reason) anything but multipart/form-data
// with a boundary, and more than max_parts parts.
result<std::vector<form_part>> parse_multipart(std::string_view content_type,
                                               std::string_view body, std::size_t max_parts = 16);

// The first part called `name`.
const form_part* find_part(const std::vector<form_part>& parts, std::string_view name) noexcept;

}  // namespace p2psip::identity
