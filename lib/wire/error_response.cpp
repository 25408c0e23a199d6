#include "wire/error_response.hpp"

#include <string>

namespace p2psip::wire {

void encode(byte_writer& w, const error_response& v) {
  if (v.error_code == reload_error_code::invalid) {
    w.fail(codec_errc::invalid_value, "ErrorResponse.error_code");
  }
  w.u16(static_cast<std::uint16_t>(v.error_code));
  w.opaque(2, 0, 0xffff, v.error_info, "ErrorResponse.error_info");
}

void decode(byte_reader& r, error_response& v) {
  v.error_code = static_cast<reload_error_code>(r.u16("ErrorResponse.error_code"));
  if (r.ok() && v.error_code == reload_error_code::invalid) {
    r.fail(codec_errc::unknown_type, "ErrorResponse.error_code");
  }
  const auto info = r.opaque(2, 0, 0xffff, "ErrorResponse.error_info");
  v.error_info.assign(info.begin(), info.end());
}

error_response make_error_response(reload_error_code code, std::string_view info) {
  return error_response{code, {info.begin(), info.end()}};
}

error_response to_error_response(const codec_error& error) {
  return make_error_response(to_reload_error(error.code), error.describe());
}

}  // namespace p2psip::wire
