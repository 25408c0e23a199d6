// The registrar's bindings file (STATE_DIR/sip-bindings): the live bindings
// of the SIP front, so that a restarted daemon (a crash, kill -9, a reboot)
// serves its softphones again and re-stores their SIP-REGISTRATION values
// without waiting for each to REGISTER again.
//
// Format: one JSON object, {"format": "p2psipd-sip-bindings", "version": 1,
// "saved": UNIX-SECONDS, "aors": [{"aor", "contacts": [{"uri", "expires",
// "instance", "reg-id", "q", "params", "call-id", "cseq"}]}]}. "expires" is
// absolute wall-clock time (Unix seconds): the steady clock starts again at
// a reboot. The AORs' signing keys are not saved: sip_directory derives them
// from its seed. GRUUs are not saved either: they derive from Node-ID, AOR
// and instance. Users' contacts are private: mode 0600, replaced atomically.
//
// Reading is strict: a file that is not exactly this is refused whole (the
// daemon wrote it; anything else is damage), and the daemon starts with no
// bindings, moving the file aside rather than deleting what it cannot read.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/bindings.hpp"

namespace p2psip::usage {

// The file's name in the state directory.
inline constexpr const char* bindings_file_name = "sip-bindings";

// Each AOR is normalized, as the front names it.
using saved_aor = sip::registration_info;

// The two clocks at one moment: bindings expire on the steady one, the file
// holds wall-clock times.
struct clock_reading {
  sip::sip_clock::time_point steady;
  std::chrono::system_clock::time_point wall;
  static clock_reading now();
};

std::string format_saved_bindings(const std::vector<saved_aor>& aors, clock_reading now);

struct parsed_bindings {
  std::vector<saved_aor> aors;  // with at least one live contact each
  std::size_t expired = 0;      // contacts dropped for having expired
  std::string error;            // non-empty: the file was refused, aors is empty
};
parsed_bindings parse_saved_bindings(std::string_view text, clock_reading now);

// Atomic, mode 0600. An empty string on success, else the reason.
std::string save_bindings(const std::filesystem::path& file, const std::vector<saved_aor>& aors,
                          clock_reading now);

struct loaded_bindings {
  parsed_bindings parsed;
  // Where a refused file was moved (FILE.bad-UNIXTIME); unset when it was
  // read, missing, or could not be moved.
  std::optional<std::filesystem::path> set_aside;
};
// A missing file is no bindings and no error. A file that cannot be read or
// parsed is refused (parsed.error) and renamed aside.
loaded_bindings load_bindings(const std::filesystem::path& file, clock_reading now);

}  // namespace p2psip::usage
