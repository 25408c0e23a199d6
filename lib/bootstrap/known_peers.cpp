#include "bootstrap/known_peers.hpp"

#include <charconv>
#include <sstream>

#include "identity/atomic_file.hpp"

namespace p2psip::bootstrap {

namespace {

// Far above max_known_peers lines; a bigger file is not ours.
constexpr std::size_t max_file_bytes = 64 * 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> out;
  while (!(line = trim(line)).empty()) {
    const auto end = line.find_first_of(" \t");
    out.push_back(line.substr(0, end));
    line = end == std::string_view::npos ? std::string_view{} : line.substr(end);
  }
  return out;
}

}  // namespace

std::string format_known_peers(const std::vector<known_peer>& peers) {
  std::ostringstream out;
  out << "# p2psipd last-known peers: node-id address port\n";
  std::size_t written = 0;
  for (const auto& p : peers) {
    if (written++ == max_known_peers) break;
    out << p.node_id.hex() << ' ' << p.address.address().to_string() << ' ' << p.address.port()
        << '\n';
  }
  return out.str();
}

parsed_known_peers parse_known_peers(std::string_view text) {
  parsed_known_peers out;
  std::size_t number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const auto line = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++number;
    if (line.empty() || line.front() == '#') continue;
    auto skip = [&](const std::string& why) {
      out.warnings.push_back("line " + std::to_string(number) + ": " + why);
    };
    if (out.peers.size() == max_known_peers) {
      skip("more than " + std::to_string(max_known_peers) + " peers");
      break;
    }
    const auto fields = fields_of(line);
    if (fields.size() != 3) {
      skip("expected \"<node-id> <address> <port>\"");
      continue;
    }
    const auto id = wire::node_id::from_hex(fields[0]);
    if (!id) {
      skip("not a Node-ID: " + std::string(fields[0]));
      continue;
    }
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(std::string(fields[1]), ec);
    if (ec) {
      skip("not an IP address: " + std::string(fields[1]));
      continue;
    }
    unsigned port = 0;
    const auto [ptr, parsed] =
        std::from_chars(fields[2].data(), fields[2].data() + fields[2].size(), port);
    if (parsed != std::errc{} || ptr != fields[2].data() + fields[2].size() || port == 0 ||
        port > 65535) {
      skip("not a port: " + std::string(fields[2]));
      continue;
    }
    out.peers.push_back({*id, {address, static_cast<std::uint16_t>(port)}});
  }
  return out;
}

std::string save_known_peers(const std::filesystem::path& file,
                             const std::vector<known_peer>& peers) {
  const auto written = identity::write_file_atomically(file, format_known_peers(peers),
                                                       identity::secret_file_mode);
  return written ? std::string{} : written.error().describe();
}

parsed_known_peers load_known_peers(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return {};
  auto text = identity::read_file(file, max_file_bytes);
  if (!text) return {{}, {file.string() + ": " + text.error().describe()}};
  return parse_known_peers(*text);
}

}  // namespace p2psip::bootstrap
