// Prints p2psip-rpc(7) in roff from the method schemas; meson runs it at
// build time so the page cannot disagree with what the daemon validates.
#include <iostream>

#include "control/rpc_docs.hpp"
#include "control/standard_methods.hpp"

int main() {
  std::cout << p2psip::control::render_rpc_man_page(p2psip::control::standard_catalog(),
                                                    P2PSIP_VERSION);
  return 0;
}
