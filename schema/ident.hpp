#pragma once
// The one place where identifiers and literals become SQL text.
#include <compare>
#include <string>
#include <string_view>

namespace schemac {

// Always double-quotes, doubling any embedded quote: "Api""Keys".
std::string quote_ident(std::string_view name);
// A standard-conforming string literal: 'it''s'.
std::string quote_literal(std::string_view text);

struct QualifiedName {
  std::string schema;
  std::string name;

  std::string sql() const { return quote_ident(schema) + "." + quote_ident(name); }
  std::string display() const { return schema + "." + name; }
  auto operator<=>(const QualifiedName&) const = default;
};

constexpr std::size_t kMaxIdentifierBytes = 63;

}  // namespace schemac
