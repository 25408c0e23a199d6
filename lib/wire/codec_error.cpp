#include "wire/codec_error.hpp"

namespace p2psip::wire {

const char* to_string(reload_error_code code) noexcept {
  switch (code) {
    case reload_error_code::invalid: return "invalidErrorCode";
    case reload_error_code::forbidden: return "Error_Forbidden";
    case reload_error_code::not_found: return "Error_Not_Found";
    case reload_error_code::request_timeout: return "Error_Request_Timeout";
    case reload_error_code::generation_counter_too_low: return "Error_Generation_Counter_Too_Low";
    case reload_error_code::incompatible_with_overlay: return "Error_Incompatible_with_Overlay";
    case reload_error_code::unsupported_forwarding_option: return "Error_Unsupported_Forwarding_Option";
    case reload_error_code::data_too_large: return "Error_Data_Too_Large";
    case reload_error_code::data_too_old: return "Error_Data_Too_Old";
    case reload_error_code::ttl_exceeded: return "Error_TTL_Exceeded";
    case reload_error_code::message_too_large: return "Error_Message_Too_Large";
    case reload_error_code::unknown_kind: return "Error_Unknown_Kind";
    case reload_error_code::unknown_extension: return "Error_Unknown_Extension";
    case reload_error_code::response_too_large: return "Error_Response_Too_Large";
    case reload_error_code::config_too_old: return "Error_Config_Too_Old";
    case reload_error_code::config_too_new: return "Error_Config_Too_New";
    case reload_error_code::in_progress: return "Error_In_Progress";
    case reload_error_code::exp_a: return "Error_Exp_A";
    case reload_error_code::exp_b: return "Error_Exp_B";
    case reload_error_code::invalid_message: return "Error_Invalid_Message";
  }
  return "unassigned";
}

const char* to_string(codec_errc code) noexcept {
  switch (code) {
    case codec_errc::truncated: return "truncated";
    case codec_errc::length_past_end: return "length_past_end";
    case codec_errc::length_out_of_range: return "length_out_of_range";
    case codec_errc::unknown_type: return "unknown_type";
    case codec_errc::invalid_value: return "invalid_value";
    case codec_errc::trailing_bytes: return "trailing_bytes";
    case codec_errc::bad_token: return "bad_token";
    case codec_errc::unsupported_version: return "unsupported_version";
    case codec_errc::message_too_large: return "message_too_large";
    case codec_errc::too_long_to_encode: return "too_long_to_encode";
  }
  return "unknown";
}

reload_error_code to_reload_error(codec_errc code) noexcept {
  switch (code) {
    case codec_errc::message_too_large: return reload_error_code::message_too_large;
    // §6.3.2: a wrong version "MUST be rejected"; the overlay is incompatible.
    case codec_errc::unsupported_version: return reload_error_code::incompatible_with_overlay;
    default: return reload_error_code::invalid_message;
  }
}

std::string codec_error::describe() const {
  std::string s = to_string(code);
  s += " at byte ";
  s += std::to_string(offset);
  if (field != nullptr && *field != '\0') {
    s += " (";
    s += field;
    s += ')';
  }
  return s;
}

}  // namespace p2psip::wire
