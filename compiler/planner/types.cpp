// Enums, domains and composite types: what can change in place, and how.
#include <fmt/format.h>

#include <algorithm>

#include "compiler/planner/object_changes.hpp"

namespace schemac::objects {

namespace {

const char* kTypeLock = "brief lock on the type (rows are not read or rewritten)";

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// "\"my col\" integer" -> {"\"my col\"", "integer"}
std::pair<std::string, std::string> name_and_type(const std::string& attribute) {
  std::size_t end = 0;
  if (!attribute.empty() && attribute[0] == '"') {
    end = 1;
    while (end < attribute.size() &&
           !(attribute[end] == '"' && (end + 1 == attribute.size() || attribute[end + 1] != '"')))
      end += attribute[end] == '"' ? 2 : 1;
    ++end;
  } else {
    end = attribute.find(' ');
  }
  if (end == std::string::npos || end >= attribute.size()) return {attribute, ""};
  return {attribute.substr(0, end), attribute.substr(end + 1)};
}

}  // namespace

// New labels are added where they belong (ADD VALUE ... BEFORE/AFTER), each in
// its own transaction so the next step may use it. A label removed or moved
// cannot be: the type is swapped for a new one, which rewrites every table
// that uses it (blocking hazard enum-value-removed).
Change change_enum(const SchemaObject& want, const SchemaObject& live, const Catalog& live_catalog, StepBuilder& b) {
  Change out;
  std::vector<std::string> kept;
  for (const auto& v : want.values)
    if (contains(live.values, v)) kept.push_back(v);
  if (kept == live.values) {
    for (std::size_t i = 0; i < want.values.size(); ++i) {
      const auto& v = want.values[i];
      if (contains(live.values, v)) continue;
      std::string where = i + 1 < want.values.size() && contains(live.values, want.values[i + 1])
                              ? "BEFORE " + quote_literal(want.values[i + 1])
                          : i > 0 ? "AFTER " + quote_literal(want.values[i - 1])
                                  : "";
      if (where.empty() && !live.values.empty()) where = "BEFORE " + quote_literal(live.values.front());
      b.add(out.steps, fmt::format("add value {} to enum {}", quote_literal(v), want.name.display()),
            fmt::format("ALTER TYPE {} ADD VALUE IF NOT EXISTS {}{}", want.name.sql(), quote_literal(v),
                        where.empty() ? "" : " " + where),
            kTypeLock);
    }
    return out;
  }
  // The swap, in one transaction: rename the old type, create the new one,
  // convert each column through text, drop the old type.
  const auto old_name = QualifiedName{want.name.schema, want.name.name + "__schemac_old"};
  const int g = b.group();
  auto step = [&](std::string summary, std::string sql, std::string lock, std::vector<std::string> hazards = {}) {
    auto& s = b.add(out.steps, std::move(summary), std::move(sql), std::move(lock), false);
    s.group = g;
    s.transactional = true;
    s.hazards = std::move(hazards);
    return &s;
  };
  std::vector<std::string> removed;
  for (const auto& v : live.values)
    if (!contains(want.values, v)) removed.push_back(quote_literal(v));
  step(fmt::format("swap enum {} for one without {}", want.name.display(),
                   removed.empty() ? std::string("its old order") : fmt::format("{}", fmt::join(removed, ", "))),
       fmt::format("ALTER TYPE {} RENAME TO {}", want.name.sql(), quote_ident(old_name.name)), kTypeLock,
       {"enum-value-removed"});
  step("create enum " + want.name.display() + " anew", want.definition, "none");
  for (const auto& t : live_catalog.tables)
    for (const auto& c : t.columns) {
      const bool array = c.type == want.name.display() + "[]";
      if (c.type != want.name.display() && !array) continue;
      const auto type = want.name.sql() + (array ? "[]" : "");
      if (c.default_expr)
        step(fmt::format("drop the default of {}.{} while its type changes", t.name.display(), c.name),
             fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT", t.name.sql(), quote_ident(c.name)),
             "ACCESS EXCLUSIVE (brief)");
      step(fmt::format("convert {}.{} to the new enum", t.name.display(), c.name),
           fmt::format("ALTER TABLE {} ALTER COLUMN {} TYPE {} USING {}::text{}::{}", t.name.sql(), quote_ident(c.name),
                       type, quote_ident(c.name), array ? "[]" : "", type),
           "ACCESS EXCLUSIVE on the table while every row is rewritten", {"table-rewrite"});
      // The same default text names the new type now (the table's own steps
      // compare it as unchanged, so nothing else would set it back).
      if (c.default_expr)
        step(fmt::format("set the default of {}.{} back", t.name.display(), c.name),
             fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}", t.name.sql(), quote_ident(c.name),
                         *c.default_expr),
             "ACCESS EXCLUSIVE (brief)");
    }
  step("drop the old enum " + old_name.display(), fmt::format("DROP TYPE {}", old_name.sql()), kTypeLock);
  return out;
}

// The base type cannot change in place; the default, NOT NULL and constraints
// can. A new check is added NOT VALID and validated after, without blocking writes.
Change change_domain(const SchemaObject& want, const SchemaObject& live, StepBuilder& b) {
  Change out;
  if (want.shape != live.shape) {
    out.recreate = true;
    return out;
  }
  const auto name = want.name.sql();
  auto option = [](const SchemaObject& o, const std::string& prefix) -> std::string {
    for (const auto& x : o.options)
      if (x.rfind(prefix, 0) == 0) return x;
    return {};
  };
  const auto want_default = option(want, "DEFAULT "), live_default = option(live, "DEFAULT ");
  if (want_default != live_default)
    b.add(out.steps, "set the default of domain " + want.name.display(),
          fmt::format("ALTER DOMAIN {} {}", name, want_default.empty() ? "DROP DEFAULT" : "SET " + want_default),
          kTypeLock);
  for (const auto& c : live.values)
    if (!contains(want.values, c)) {
      auto constraint = c.substr(11, c.find(' ', 11) - 11);  // "CONSTRAINT name CHECK ..."
      b.add(out.steps, "drop a check of domain " + want.name.display(),
            fmt::format("ALTER DOMAIN {} DROP CONSTRAINT {}", name, constraint), kTypeLock);
    }
  for (const auto& c : want.values)
    if (!contains(live.values, c)) {
      auto constraint = c.substr(11, c.find(' ', 11) - 11);
      b.add(out.steps, "add a check to domain " + want.name.display() + " (not validated yet)",
            fmt::format("ALTER DOMAIN {} ADD {} NOT VALID", name, c), kTypeLock);
      auto& v = b.add(out.steps, "validate the check of domain " + want.name.display(),
                      fmt::format("ALTER DOMAIN {} VALIDATE CONSTRAINT {}", name, constraint),
                      "SHARE UPDATE EXCLUSIVE on the tables using it while their rows are checked (reads and writes "
                      "continue)");
      v.validates = constraint;
    }
  const bool want_not_null = !option(want, "NOT NULL").empty(), live_not_null = !option(live, "NOT NULL").empty();
  if (want_not_null != live_not_null)
    b.add(out.steps, fmt::format("{} NOT NULL on domain {}", want_not_null ? "set" : "drop", want.name.display()),
          fmt::format("ALTER DOMAIN {} {} NOT NULL", name, want_not_null ? "SET" : "DROP"),
          want_not_null ? "scans every column of the domain for NULLs under lock (brief on small tables)" : kTypeLock);
  return out;
}

// Attributes are added, dropped and retyped in place; a new order cannot be.
Change change_composite(const SchemaObject& want, const SchemaObject& live, StepBuilder& b) {
  Change out;
  std::vector<std::pair<std::string, std::string>> w, l;
  for (const auto& a : want.values) w.push_back(name_and_type(a));
  for (const auto& a : live.values) l.push_back(name_and_type(a));
  std::vector<std::string> common_w, common_l;
  for (const auto& [n, t] : w)
    if (std::any_of(l.begin(), l.end(), [&](const auto& x) { return x.first == n; })) common_w.push_back(n);
  for (const auto& [n, t] : l)
    if (std::any_of(w.begin(), w.end(), [&](const auto& x) { return x.first == n; })) common_l.push_back(n);
  if (common_w != common_l) {
    out.recreate = true;
    return out;
  }
  std::vector<std::string> actions;
  for (const auto& [n, t] : l)
    if (std::none_of(w.begin(), w.end(), [&](const auto& x) { return x.first == n; }))
      actions.push_back("DROP ATTRIBUTE " + n);
  for (const auto& [n, t] : w) {
    auto it = std::find_if(l.begin(), l.end(), [&](const auto& x) { return x.first == n; });
    if (it == l.end())
      actions.push_back(fmt::format("ADD ATTRIBUTE {} {}", n, t));
    else if (it->second != t)
      actions.push_back(fmt::format("ALTER ATTRIBUTE {} TYPE {}", n, t));
  }
  if (!actions.empty())
    b.add(out.steps, "change the attributes of type " + want.name.display(),
          fmt::format("ALTER TYPE {} {}", want.name.sql(), fmt::join(actions, ", ")), kTypeLock);
  return out;
}

}  // namespace schemac::objects
