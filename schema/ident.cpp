#include "schema/ident.hpp"

namespace schemac {

namespace {
std::string quote_with(std::string_view text, char q) {
  std::string out;
  out.reserve(text.size() + 2);
  out += q;
  for (char c : text) {
    if (c == q) out += q;
    out += c;
  }
  out += q;
  return out;
}

bool letter(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
}  // namespace

std::string quote_ident(std::string_view name) {
  return quote_with(name, '"');
}
std::string quote_literal(std::string_view text) {
  return quote_with(text, '\'');
}

std::string quote_dollar(std::string_view body, std::string_view tag) {
  std::string delimiter = "$" + std::string(tag) + "$";
  for (int n = 1; body.find(delimiter) != std::string_view::npos; ++n)
    delimiter = "$" + std::string(tag) + "_" + std::to_string(n) + "$";
  return delimiter + std::string(body) + delimiter;
}

bool is_plain_identifier(std::string_view name) {
  if (name.empty() || name.size() > kMaxIdentifierBytes) return false;
  if (!letter(static_cast<unsigned char>(name.front()))) return false;
  for (unsigned char c : name)
    if (!letter(c) && !(c >= '0' && c <= '9') && c != '$') return false;
  return true;
}

}  // namespace schemac
