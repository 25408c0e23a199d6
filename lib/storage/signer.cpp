#include "storage/signer.hpp"

namespace p2psip::storage {

std::string describe(const signer& who) {
  return who.user_name.value_or("(no user name)") + "/" + who.node.hex();
}

}  // namespace p2psip::storage
