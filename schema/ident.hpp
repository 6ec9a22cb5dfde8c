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
// A dollar-quoted body ($tag$...$tag$) whose tag does not occur in the text,
// so nothing inside (a name with "$tag$" in it, say) can end the quote early.
std::string quote_dollar(std::string_view body, std::string_view tag);

struct QualifiedName {
  std::string schema;
  std::string name;

  std::string sql() const { return quote_ident(schema) + "." + quote_ident(name); }
  std::string display() const { return schema + "." + name; }
  auto operator<=>(const QualifiedName&) const = default;
};

constexpr std::size_t kMaxIdentifierBytes = 63;

// A name a setting or a role list may hold: 1 to 63 bytes, a letter or "_"
// first, then letters, digits, "_" or "$" (bytes of UTF-8 letters count as
// letters). Everything else (spaces, quotes, parentheses, semicolons) is
// refused at check time, before it could reach SQL.
bool is_plain_identifier(std::string_view name);

// Rows for a query's `(schema, name) IN (VALUES ...)`: ('', '') first, which
// names nothing, so the list is never empty.
template <class Names>
std::string name_rows(const Names& names) {
  std::string out = "('', '')";
  for (const QualifiedName& n : names) out += ", (" + quote_literal(n.schema) + ", " + quote_literal(n.name) + ")";
  return out;
}

}  // namespace schemac
