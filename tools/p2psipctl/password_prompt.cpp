#include "password_prompt.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

namespace p2psip::ctl {

std::optional<std::string> prompt_password(std::string_view prompt) {
  const int tty = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (tty < 0) return std::nullopt;
  termios saved{};
  if (::tcgetattr(tty, &saved) != 0) {
    ::close(tty);
    return std::nullopt;
  }
  termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  (void)::write(tty, prompt.data(), prompt.size());
  std::optional<std::string> password;
  if (::tcsetattr(tty, TCSAFLUSH, &quiet) == 0) {
    std::string line;
    char c = 0;
    ssize_t got = 0;
    while ((got = ::read(tty, &c, 1)) == 1 && c != '\n') line += c;
    if (got == 1) password = std::move(line);
    ::tcsetattr(tty, TCSAFLUSH, &saved);
  }
  ::close(tty);
  return password;
}

}  // namespace p2psip::ctl
