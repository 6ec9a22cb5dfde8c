#pragma once
// Reading libpg_query's JSON parse tree: a member that may be missing, a
// string field. Shared by the readers of .sql declarations.
#include <nlohmann/json.hpp>
#include <string>

namespace schemac::parse_tree {

using Json = nlohmann::json;

// The member, or null when the node is not an object or lacks it.
inline const Json& member(const Json& node, const char* key) {
  static const Json none;
  if (!node.is_object()) return none;
  auto it = node.find(key);
  return it == node.end() ? none : *it;
}

// A string member's text, or "" when it is missing or not a string.
inline std::string text_of(const Json& node, const char* key) {
  const auto& v = member(node, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

}  // namespace schemac::parse_tree
