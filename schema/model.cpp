#include "schema/model.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace schemac {

std::string Origin::describe() const {
  if (!known()) return {};
  if (flag.empty()) return fmt::format("declared at {}", pos.str());
  if (flag == "audit") return fmt::format("the audit trail ([audit], needed by audited tables), {}", pos.str());
  if (flag == "undeclared") return fmt::format("no file declares it (its table is declared at {})", pos.str());
  return fmt::format("{} = true at {}", flag, pos.str());
}

namespace {
template <class T>
auto find_named(T& items, const std::string& n) -> decltype(&items.front()) {
  auto it = std::find_if(items.begin(), items.end(), [&](const auto& x) { return x.name == n; });
  return it == items.end() ? nullptr : &*it;
}
}  // namespace

const Column* Table::column(const std::string& n) const {
  return find_named(columns, n);
}
Column* Table::column(const std::string& n) {
  return find_named(columns, n);
}
const Constraint* Table::constraint(const std::string& n) const {
  return find_named(constraints, n);
}
const Index* Table::index(const std::string& n) const {
  return find_named(indexes, n);
}
const Trigger* Table::trigger(const std::string& n) const {
  return find_named(triggers, n);
}
const Policy* Table::policy(const std::string& n) const {
  return find_named(policies, n);
}
const Constraint* Table::primary_key() const {
  auto it = std::find_if(constraints.begin(), constraints.end(),
                         [](const Constraint& c) { return c.kind == ConstraintKind::PrimaryKey; });
  return it == constraints.end() ? nullptr : &*it;
}

const Table* Catalog::table(const QualifiedName& n) const {
  auto it = std::find_if(tables.begin(), tables.end(), [&](const Table& t) { return t.name == n; });
  return it == tables.end() ? nullptr : &*it;
}
Table* Catalog::table(const QualifiedName& n) {
  auto it = std::find_if(tables.begin(), tables.end(), [&](const Table& t) { return t.name == n; });
  return it == tables.end() ? nullptr : &*it;
}
const Function* Catalog::function(const QualifiedName& n) const {
  auto it = std::find_if(functions.begin(), functions.end(), [&](const Function& f) { return f.name == n; });
  return it == functions.end() ? nullptr : &*it;
}

std::string to_string(ConstraintKind kind) {
  switch (kind) {
    case ConstraintKind::PrimaryKey:
      return "primary key";
    case ConstraintKind::Unique:
      return "unique constraint";
    case ConstraintKind::Check:
      return "check";
    case ConstraintKind::ForeignKey:
      return "foreign key";
  }
  return "constraint";
}

std::string index_shape(const std::string& definition) {
  auto at = definition.find(" USING ");
  return (definition.rfind("CREATE UNIQUE", 0) == 0 ? "UNIQUE" : "") +
         (at == std::string::npos ? definition : definition.substr(at));
}

}  // namespace schemac
