// Sets and maps keyed by Node-ID for the per-peer state that every routed
// message consults (links, attaches, probes). Open addressing keeps a key
// and its value in one cache line: with thousands of nodes in one process
// (the simulator) these lookups are cache misses, and std::unordered_map's
// bucket-then-node walk paid two of them.
#pragma once

#include <functional>

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include "wire/ids.hpp"

namespace p2psip::overlay {

template <class Value>
using node_id_map = boost::unordered_flat_map<wire::node_id, Value, std::hash<wire::node_id>>;
using node_id_set = boost::unordered_flat_set<wire::node_id, std::hash<wire::node_id>>;

}  // namespace p2psip::overlay
