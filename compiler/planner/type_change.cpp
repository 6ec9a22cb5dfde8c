#include "compiler/planner/type_change.hpp"

#include <optional>
#include <sstream>
#include <vector>

namespace schemac {

namespace {

struct TypeName {
  std::string base;
  std::vector<long> modifiers;  // empty: unconstrained
  bool array = false;
};

std::optional<TypeName> parse(std::string t) {
  TypeName out;
  if (t.size() > 2 && t.compare(t.size() - 2, 2, "[]") == 0) {
    out.array = true;
    t.erase(t.size() - 2);
  }
  auto open = t.find('(');
  out.base = t.substr(0, open);
  if (open != std::string::npos) {
    auto close = t.find(')', open);
    if (close == std::string::npos) return std::nullopt;
    std::stringstream mods(t.substr(open + 1, close - open - 1));
    std::string m;
    while (std::getline(mods, m, ',')) {
      try {
        out.modifiers.push_back(std::stol(m));
      } catch (...) {
        return std::nullopt;
      }
    }
  }
  return out;
}

}  // namespace

bool type_change_rewrites(const std::string& from, const std::string& to) {
  if (from == to) return false;
  auto a = parse(from), b = parse(to);
  if (!a || !b || a->array || b->array) return true;
  const std::string varchar = "character varying";
  if (a->base == varchar && b->base == "text") return false;
  if (a->base == "text" && b->base == varchar && b->modifiers.empty()) return false;
  if (a->base == varchar && b->base == varchar)
    return !(b->modifiers.empty() || (!a->modifiers.empty() && b->modifiers[0] >= a->modifiers[0]));
  if (a->base == "numeric" && b->base == "numeric") {
    if (b->modifiers.empty()) return false;
    if (a->modifiers.size() == 2 && b->modifiers.size() == 2)
      return !(b->modifiers[0] >= a->modifiers[0] && b->modifiers[1] == a->modifiers[1]);
    return true;
  }
  if (a->base == "cidr" && b->base == "inet") return false;
  if (a->base == "character varying" && b->base == "character varying") return false;
  return true;
}

}  // namespace schemac
