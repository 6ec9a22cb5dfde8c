#include "compiler/deploy/fingerprint.hpp"

#include <fmt/format.h>

namespace schemac {

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + ",";
  return out;
}

std::string grants_text(const Grants& grants) {
  std::string out;
  for (const auto& [role, privileges] : grants) {
    out += role + ":";
    for (const auto& p : privileges) out += p + ",";
    out += ";";
  }
  return out;
}

}  // namespace

ObjectHashes object_hashes(const Catalog& catalog, const std::set<std::string>& tables) {
  ObjectHashes out;
  // \x1f separates fields so that no two different objects hash the same text.
  auto put = [&](const std::string& key, const std::vector<std::string>& fields) {
    std::string text;
    for (const auto& f : fields) text += f + "\x1f";
    out[key] = hash_text(text);
  };
  for (const auto& t : catalog.tables) {
    const auto name = t.name.display();
    if (!tables.count(name)) continue;
    put("table " + name, {t.rls_enabled ? "rls" : "", t.rls_forced ? "forced" : "", t.comment.value_or("\x1e")});
    std::vector<std::string> grants = {grants_text(t.grants)};
    for (const auto& c : t.columns)
      if (!c.grants.empty()) grants.push_back(c.name + "(" + grants_text(c.grants) + ")");
    put("grants on " + name, grants);
    for (const auto& c : t.columns)
      put(fmt::format("column {}.{}", name, c.name),
          {c.type, c.nullable ? "null" : "not null", c.default_expr.value_or("\x1e"), c.comment.value_or("\x1e")});
    for (const auto& c : t.constraints)
      put(fmt::format("constraint {}.{}", name, c.name), {c.definition, c.validated ? "valid" : "not valid"});
    for (const auto& i : t.indexes)
      put(fmt::format("index {}.{}", name, i.name), {i.definition, i.valid ? "valid" : "invalid"});
    for (const auto& g : t.triggers) put(fmt::format("trigger {}.{}", name, g.name), {g.definition});
    for (const auto& p : t.policies)
      put(fmt::format("policy {}.{}", name, p.name),
          {p.command, join(p.roles), p.using_expr, p.check_expr, p.permissive ? "permissive" : "restrictive"});
  }
  for (const auto& f : catalog.functions) put("function " + f.name.display() + "()", {f.definition});
  return out;
}

bool same_outcome(const ObjectHashes& after, const ObjectHashes& actual) {
  auto it = after.begin();
  auto jt = actual.begin();
  auto skip = [](auto& i, const ObjectHashes& m) {
    while (i != m.end() && i->first.rfind("grants on ", 0) == 0) ++i;
  };
  for (;;) {
    skip(it, after);
    skip(jt, actual);
    if (it == after.end() || jt == actual.end()) return it == after.end() && jt == actual.end();
    if (*it != *jt) return false;
    ++it, ++jt;
  }
}

std::vector<std::string> describe_changes(const ObjectHashes& expected, const ObjectHashes& actual) {
  std::vector<std::string> out;
  for (const auto& [key, hash] : expected) {
    auto it = actual.find(key);
    if (it == actual.end())
      out.push_back(key + " is gone");
    else if (it->second != hash)
      out.push_back(key + " changed");
  }
  for (const auto& [key, hash] : actual)
    if (!expected.count(key)) out.push_back(key + " was added");
  return out;
}

}  // namespace schemac
