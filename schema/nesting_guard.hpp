#pragma once
// A look at TOML text before toml++ parses it. toml++ recurses once per part
// of a dotted key and once per nested array or inline table, so a hostile file
// (a.a.a... with 50,000 parts) would overflow the stack. This scanner skips
// strings (basic, literal, multi-line) and comments as TOML defines them and
// measures both kinds of nesting without building anything.
#include <optional>
#include <string>
#include <string_view>

namespace schemac {

// A declaration needs 4 key parts (tables.orders.columns.id) and 3 levels of
// inline tables and arrays; these limits leave room and keep toml++ safe.
inline constexpr int kMaxKeyParts = 64;
inline constexpr int kMaxValueNesting = 64;

struct NestingError {
  int line = 0;
  int column = 0;  // 1-based, in characters, as toml++ counts them
  std::string message;
  std::string help;
};

// The first key with more than kMaxKeyParts parts, or the first array or
// inline table nested more than kMaxValueNesting deep; nullopt when neither.
std::optional<NestingError> check_nesting(std::string_view text);

}  // namespace schemac
