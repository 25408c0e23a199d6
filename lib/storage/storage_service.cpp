#include "storage/storage_service.hpp"

#include <algorithm>
#include <array>

#include "identity/digest.hpp"
#include "storage/access_control.hpp"

namespace p2psip::storage {
namespace {

using wire::reload_error_code;

std::string kind_text(wire::kind_id kind) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string text = "0x";
  bool started = false;
  for (int shift = 28; shift >= 0; shift -= 4) {
    const auto digit = (kind.value >> shift) & 0xf;
    if (digit != 0 || started || shift == 0) {
      text += digits[digit];
      started = true;
    }
  }
  return "Kind " + text;
}

std::string value_text(wire::kind_id kind, std::size_t i) {
  return kind_text(kind) + " value " + std::to_string(i) + ": ";
}

// Error_Unknown_Kind's error_info is KindId unknown_kinds<0..2^8-1> (§7.4.1.2);
// 63 Kind-IDs fit, which is more than any request has honestly.
wire::error_response unknown_kinds_error(const std::vector<wire::kind_id>& kinds) {
  wire::error_response error{.error_code = reload_error_code::unknown_kind, .error_info = {}};
  const auto count = std::min<std::size_t>(kinds.size(), 255 / 4);
  error.error_info.push_back(static_cast<std::uint8_t>(count * 4));
  for (std::size_t i = 0; i < count; ++i) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      error.error_info.push_back(static_cast<std::uint8_t>(kinds[i].value >> shift));
    }
  }
  return error;
}

template <class Specifiers>
std::optional<wire::error_response> check_known(const kind_registry& registry,
                                                const Specifiers& specifiers) {
  std::vector<wire::kind_id> unknown;
  for (const auto& s : specifiers) {
    if (registry.find(s.kind) == nullptr ||
        std::holds_alternative<wire::undecoded_specifier>(s.model_specifier)) {
      unknown.push_back(s.kind);
    }
  }
  if (unknown.empty()) return std::nullopt;
  return unknown_kinds_error(unknown);
}

// The StoredDataValue arm of each model: single, array, dictionary.
std::size_t arm_of(wire::data_model model) noexcept { return static_cast<std::size_t>(model); }

// Identity "none" or {anonymous, none} mark values the storing peer
// synthesized; nobody may store them (§7.4.1.1).
bool is_anonymous(const wire::signature& signature) noexcept {
  return signature.identity.type == static_cast<std::uint8_t>(wire::signer_identity_type::none) ||
         (signature.algorithm.signature == wire::signature_algorithm::anonymous &&
          signature.algorithm.hash == wire::hash_algorithm::none);
}

// A nonexistent value "which the node has no knowledge of": exists=False and
// the empty signature of §7.4.2.2.
wire::stored_data synthesized(wire::stored_data_value value) {
  wire::stored_data data;
  data.value = std::move(value);
  data.signature.algorithm = {wire::hash_algorithm::none, wire::signature_algorithm::anonymous};
  data.signature.identity.type = static_cast<std::uint8_t>(wire::signer_identity_type::none);
  return data;
}

// Replaces `old` with `incoming` if its storage_time is newer (§7, §7.4.1.1).
// The same value with the same storage_time is a repeat of the store that
// put it there (a retransmission, or a later replica push whose lifetime
// was adjusted downward) and changes nothing; a different value with the
// same storage_time is refused, since it would not be "greater than" the
// one it replaces. Lifetime is not compared: it is not part of the datum.
std::optional<wire::error_response> overwrite(stored_value& old, stored_value incoming,
                                              bool& changed, const std::string& where) {
  if (incoming.data.storage_time < old.data.storage_time ||
      (incoming.data.storage_time == old.data.storage_time &&
       incoming.data.value != old.data.value)) {
    return make_error(reload_error_code::data_too_old,
                      where + "storage_time " + std::to_string(incoming.data.storage_time) +
                          " is not after the stored " + std::to_string(old.data.storage_time));
  }
  if (incoming.data.storage_time == old.data.storage_time) return std::nullopt;
  old = std::move(incoming);
  changed = true;
  return std::nullopt;
}

// Puts one checked value into the staged Kind entry, enforcing storage_time
// and max-count. Appends (§7.4.1.1) get the index after the last element.
std::optional<wire::error_response> apply(const kind_definition& kind, kind_entry& entry,
                                          const wire::stored_data& value, std::uint64_t now_ms,
                                          bool& changed, const std::string& where) {
  stored_value incoming{value, now_ms + std::uint64_t{value.lifetime} * 1000};
  auto& values = entry.values;
  std::vector<stored_value>::iterator at;
  switch (kind.model) {
    case wire::data_model::single_value: at = values.begin(); break;
    case wire::data_model::array: {
      auto& index = std::get<wire::array_entry>(incoming.data.value.entry).index;
      if (index == wire::array_append_index) {
        index = values.empty() ? 0 : array_index_of(values.back().data) + 1;
      }
      if (index >= kind.max_count) {
        return make_error(reload_error_code::forbidden,
                          where + "array index " + std::to_string(index) + " exceeds max-count " +
                              std::to_string(kind.max_count));
      }
      at = std::lower_bound(
          values.begin(), values.end(), index,
          [](const stored_value& v, std::uint32_t i) { return array_index_of(v.data) < i; });
      if (at == values.end() || array_index_of(at->data) != index) {
        values.insert(at, std::move(incoming));
        changed = true;
        return std::nullopt;
      }
      break;
    }
    case wire::data_model::dictionary: {
      const auto& key = dictionary_key_of(incoming.data);
      at = std::lower_bound(values.begin(), values.end(), key,
                            [](const stored_value& v, const wire::dictionary_key& k) {
                              return dictionary_key_of(v.data) < k;
                            });
      if (at == values.end() || dictionary_key_of(at->data) != key) {
        if (values.size() >= kind.max_count) {
          return make_error(reload_error_code::forbidden,
                            where + "the resource already holds max-count " +
                                std::to_string(kind.max_count) + " values of this Kind");
        }
        values.insert(at, std::move(incoming));
        changed = true;
        return std::nullopt;
      }
      break;
    }
  }
  if (at == values.end()) {
    values.push_back(std::move(incoming));
    changed = true;
    return std::nullopt;
  }
  return overwrite(*at, std::move(incoming), changed, where);
}

wire::meta_data describe_value(const wire::data_value& leaf) {
  wire::meta_data meta{.exists = leaf.exists,
                       .value_length = static_cast<std::uint32_t>(leaf.value.size()),
                       .hash_algorithm = wire::hash_algorithm::sha256,
                       .hash_value = {}};
  // "including its 4 leading length bytes" (§7.4.3.2)
  const auto n = meta.value_length;
  const std::array<std::uint8_t, 4> length{
      static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
      static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  if (auto hash = identity::digest(wire::hash_algorithm::sha256, {length, leaf.value})) {
    meta.hash_value = std::move(*hash);
  }
  return meta;
}

wire::stored_meta_data describe(const wire::stored_data& data) {
  wire::byte_writer measure;
  encode(measure, data);
  wire::stored_meta_data out{.value_length = static_cast<std::uint32_t>(measure.size() - 4),
                             .storage_time = data.storage_time,
                             .lifetime = data.lifetime,
                             .metadata = {}};
  std::visit(
      [&](const auto& e) {
        using entry_type = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<entry_type, wire::data_value>) {
          out.metadata.entry = describe_value(e);
        } else if constexpr (std::is_same_v<entry_type, wire::array_entry>) {
          out.metadata.entry = wire::array_entry_meta{e.index, describe_value(e.value)};
        } else {
          out.metadata.entry = wire::dictionary_entry_meta{e.key, describe_value(e.value)};
        }
      },
      data.value.entry);
  return out;
}

bool ranges_overlap(std::vector<wire::array_range> ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first <= ranges[i - 1].last) return true;
  }
  return false;
}

}  // namespace

wire::error_response make_error(wire::reload_error_code code, const std::string& text) {
  return wire::make_error_response(code, text);
}

std::optional<wire::error_response> storage_service::check_value(const wire::resource_id& resource,
                                                                 const kind_definition& kind,
                                                                 const wire::stored_data& value,
                                                                 bool replica,
                                                                 const store_context& context) {
  if (value.value.entry.index() != arm_of(kind.model)) {
    return make_error(reload_error_code::invalid_message,
                      "the value is not of the Kind's data model");
  }
  if (is_anonymous(value.signature)) {
    return make_error(reload_error_code::forbidden,
                      "unsigned (anonymous) values cannot be stored (RFC 6940 §7.4.1.1)");
  }
  if (data_value_of(value).value.size() > kind.max_size) {
    return make_error(reload_error_code::data_too_large,
                      std::to_string(data_value_of(value).value.size()) +
                          " bytes exceed max-size " + std::to_string(kind.max_size));
  }
  const auto who = verifier_.verify(resource, kind.kind, value, context.certificates, context.now);
  if (!who) return make_error(reload_error_code::forbidden, "signature: " + who.error().describe());
  if (auto refused = check_access(kind, resource, value.value, *who)) {
    return make_error(reload_error_code::forbidden, std::string(to_string(kind.policy)) +
                                                        " refuses signer " + describe(*who) + ": " +
                                                        *refused);
  }
  if (!replica && context.request_signer) {
    if (auto refused = check_access(kind, resource, value.value, *context.request_signer)) {
      return make_error(reload_error_code::forbidden,
                        std::string(to_string(kind.policy)) + " refuses the StoreReq signer " +
                            describe(*context.request_signer) + ": " + *refused);
    }
  }
  return std::nullopt;
}

std::optional<wire::error_response> storage_service::check_generations(
    const wire::store_req& request) const {
  wire::store_ans current;
  bool mismatch = false;
  for (const auto& block : request.kind_data) {
    const auto* entry = store_.find(request.resource, block.kind);
    const auto generation = entry != nullptr ? entry->generation : wire::generation_counter{0};
    current.kind_responses.push_back({block.kind, generation, {}});
    mismatch = mismatch || (block.generation.value != 0 && block.generation != generation);
  }
  if (!mismatch) return std::nullopt;
  auto info = wire::to_bytes(current);
  return wire::error_response{reload_error_code::generation_counter_too_low,
                              info ? std::move(*info) : std::vector<std::uint8_t>{}};
}

answer<wire::store_ans> storage_service::store(const wire::store_req& request,
                                               const store_context& context) {
  std::vector<wire::kind_id> unknown;
  for (const auto& block : request.kind_data) {
    if (kinds_.find(block.kind) == nullptr || !block.decoded()) unknown.push_back(block.kind);
  }
  if (!unknown.empty()) return unknown_kinds_error(unknown);
  if (wire::has_repeated_kind(request.kind_data, [](const auto& b) { return b.kind; })) {
    return make_error(reload_error_code::invalid_message, "a Kind-ID appears twice (§7.4.1.1)");
  }
  const bool replica = request.replica_number != 0;

  // Signatures, policies and sizes of every value first: nothing is staged
  // for a request that any of them refuses.
  for (const auto& block : request.kind_data) {
    const auto& kind = *kinds_.find(block.kind);
    if (replica && block.generation.value == 0) {
      return make_error(reload_error_code::invalid_message,
                        kind_text(block.kind) + ": replica Stores must not use generation 0");
    }
    const auto& values = std::get<0>(block.values);
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (auto refused = check_value(request.resource, kind, values[i], replica, context)) {
        const auto prefix = value_text(block.kind, i);
        refused->error_info.insert(refused->error_info.begin(), prefix.begin(), prefix.end());
        return *refused;
      }
    }
  }
  // Replica Stores take the sender's generation unchecked (§7.4.1.1).
  if (!replica) {
    if (auto stale = check_generations(request)) return *stale;
  }

  const auto now_ms = to_ms(context.now);
  std::vector<kind_entry> staged;
  staged.reserve(request.kind_data.size());
  for (const auto& block : request.kind_data) {
    const auto& kind = *kinds_.find(block.kind);
    const auto* existing = store_.find(request.resource, block.kind);
    kind_entry entry = existing != nullptr ? *existing : kind_entry{block.kind, {}, {}};
    std::erase_if(entry.values, [now_ms](const stored_value& v) { return v.expired(now_ms); });
    bool changed = false;
    const auto& values = std::get<0>(block.values);
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (auto refused =
              apply(kind, entry, values[i], now_ms, changed, value_text(block.kind, i))) {
        return *refused;
      }
    }
    if (replica) {
      entry.generation = block.generation;
    } else if (changed || entry.generation.value == 0) {
      // Every stored value has a generation of at least 1.
      ++entry.generation.value;
    }
    staged.push_back(std::move(entry));
  }

  wire::store_ans ans;
  for (auto& entry : staged) {
    ans.kind_responses.push_back({entry.kind, entry.generation, context.replicas});
    store_.replace(request.resource, std::move(entry));
  }
  return ans;
}

answer<std::vector<wire::stored_data>> storage_service::select(
    const wire::stored_data_specifier& specifier, const kind_definition& kind,
    const kind_entry* entry, std::uint64_t now_ms) const {
  if (specifier.model_specifier.index() != arm_of(kind.model)) {
    return make_error(reload_error_code::invalid_message,
                      kind_text(kind.kind) + ": the specifier does not match the data model");
  }
  std::vector<const wire::stored_data*> live;
  if (entry != nullptr) {
    for (const auto& v : entry->values) {
      if (!v.expired(now_ms)) live.push_back(&v.data);
    }
  }
  std::vector<wire::stored_data> out;
  switch (kind.model) {
    case wire::data_model::single_value:
      out.push_back(live.empty() ? synthesized({wire::data_value{}}) : *live.front());
      break;
    case wire::data_model::array: {
      const auto& ranges = std::get<std::vector<wire::array_range>>(specifier.model_specifier);
      if (ranges_overlap(ranges)) {
        return make_error(reload_error_code::invalid_message,
                          kind_text(kind.kind) + ": ArrayRanges overlap (§7.4.2.1)");
      }
      if (live.empty()) break;
      const std::uint32_t last_index = array_index_of(*live.back());
      for (const auto& range : ranges) {
        if (range.first > last_index) continue;
        auto at = std::lower_bound(
            live.begin(), live.end(), range.first,
            [](const wire::stored_data* d, std::uint32_t i) { return array_index_of(*d) < i; });
        const auto last = std::min(range.last, last_index);
        for (std::uint32_t i = range.first;; ++i) {
          if (at != live.end() && array_index_of(**at) == i) {
            out.push_back(**at++);
          } else {
            out.push_back(synthesized({wire::array_entry{i, {}}}));
          }
          if (i == last) break;
        }
      }
      break;
    }
    case wire::data_model::dictionary: {
      const auto& keys = std::get<std::vector<wire::dictionary_key>>(specifier.model_specifier);
      if (keys.empty()) {  // a wildcard fetch
        for (const auto* d : live) out.push_back(*d);
        break;
      }
      for (const auto& key : keys) {
        const auto at = std::find_if(live.begin(), live.end(), [&](const wire::stored_data* d) {
          return dictionary_key_of(*d) == key;
        });
        out.push_back(at != live.end() ? **at : synthesized({wire::dictionary_entry{key, {}}}));
      }
      break;
    }
  }
  return out;
}

answer<wire::fetch_ans> storage_service::fetch(const wire::fetch_req& request,
                                               time_point now) const {
  if (auto unknown = check_known(kinds_, request.specifiers)) return *unknown;
  const auto now_ms = to_ms(now);
  wire::fetch_ans ans;
  for (const auto& specifier : request.specifiers) {
    const auto* entry = store_.find(request.resource, specifier.kind);
    wire::fetch_kind_response response{
        specifier.kind, entry != nullptr ? entry->generation : wire::generation_counter{0},
        std::vector<wire::stored_data>{}};
    // The requester already has this generation: no values (§7.4.2.1).
    if (specifier.generation.value == 0 || specifier.generation != response.generation) {
      auto values = select(specifier, *kinds_.find(specifier.kind), entry, now_ms);
      if (!values) return values.error();
      response.values = std::move(*values);
    }
    ans.kind_responses.push_back(std::move(response));
  }
  return ans;
}

answer<wire::stat_ans> storage_service::stat(const wire::stat_req& request, time_point now) const {
  const wire::fetch_req as_fetch{request.resource, request.specifiers};
  auto fetched = fetch(as_fetch, now);
  if (!fetched) return fetched.error();
  wire::stat_ans ans;
  for (const auto& response : fetched->kind_responses) {
    std::vector<wire::stored_meta_data> metas;
    for (const auto& data : std::get<0>(response.values)) metas.push_back(describe(data));
    ans.kind_responses.push_back({response.kind, response.generation, std::move(metas)});
  }
  return ans;
}

answer<wire::find_ans> storage_service::find(const wire::find_req& request, time_point now) const {
  if (wire::has_repeated_kind(request.kinds, [](wire::kind_id k) { return k; })) {
    return make_error(reload_error_code::invalid_message, "a Kind-ID appears twice (§7.4.4.1)");
  }
  static const auto zero =
      *wire::resource_id::from_span(std::array<std::uint8_t, wire::node_id_length>{});
  wire::find_ans ans;
  for (const auto kind : request.kinds) {
    const auto* definition = kinds_.find(kind);
    if (definition == nullptr) {
      ans.results.push_back({kind, zero});
    } else if (definition->findable) {
      ans.results.push_back(
          {kind, store_.closest_with_kind(request.resource, kind, now).value_or(zero)});
    }
  }
  return ans;
}

}  // namespace p2psip::storage
