#include "schema/declaration_text.hpp"

#include <algorithm>
#include <sstream>
#include <tuple>
#include <vector>

#include "schema/toml_text.hpp"

namespace schemac {

std::vector<std::pair<const toml::key*, const toml::node*>> in_file_order(const toml::table& t) {
  std::vector<std::pair<const toml::key*, const toml::node*>> out;
  for (auto&& [k, v] : t) out.emplace_back(&k, &v);
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    const auto& pa = a.first->source().begin;
    const auto& pb = b.first->source().begin;
    return std::tie(pa.line, pa.column) < std::tie(pb.line, pb.column);
  });
  return out;
}

namespace {

std::string inline_value(const toml::node& n) {
  if (const auto* t = n.as_table()) {
    std::string out = "{";
    bool first = true;
    for (auto [k, v] : in_file_order(*t)) {
      out += (first ? " " : ", ") + toml_key(std::string(k->str())) + " = " + inline_value(*v);
      first = false;
    }
    return out + (first ? "}" : " }");
  }
  if (const auto* a = n.as_array()) {
    std::string out = "[";
    for (std::size_t i = 0; i < a->size(); ++i) out += (i ? ", " : "") + inline_value(*a->get(i));
    return out + "]";
  }
  if (const auto* s = n.as_string()) return toml_string(s->get());
  std::ostringstream os;
  n.visit([&](const auto& scalar) {
    if constexpr (!toml::is_table<decltype(scalar)> && !toml::is_array<decltype(scalar)>)
      os << toml::toml_formatter{scalar, toml::format_flags::none};
  });
  return os.str();
}

}  // namespace

std::string declaration_text(std::string_view name, const toml::table& body) {
  const std::string head = "tables." + toml_key(std::string(name));
  std::vector<std::pair<std::string, std::string>> own;
  std::string sections;
  for (auto [k, v] : in_file_order(body)) {
    const std::string key = toml_key(std::string(k->str()));
    if (const auto* t = v->as_table()) {
      std::vector<std::pair<std::string, std::string>> entries;
      for (auto [ek, ev] : in_file_order(*t)) entries.emplace_back(toml_key(std::string(ek->str())), inline_value(*ev));
      sections += "\n[" + head + "." + key + "]\n" + toml_lines(entries);
    } else {
      own.emplace_back(key, inline_value(*v));
    }
  }
  return "[" + head + "]\n" + toml_lines(own) + sections;
}

}  // namespace schemac
