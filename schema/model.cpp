#include "schema/model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <utility>

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

void Catalog::index_tables() {
  table_positions.clear();
  for (std::size_t i = 0; i < tables.size(); ++i) table_positions.emplace(tables[i].name, i);  // the first of a name
}
const Table* Catalog::table(const QualifiedName& n) const {
  if (auto it = table_positions.find(n);
      it != table_positions.end() && it->second < tables.size() && tables[it->second].name == n)
    return &tables[it->second];
  auto it = std::find_if(tables.begin(), tables.end(), [&](const Table& t) { return t.name == n; });
  return it == tables.end() ? nullptr : &*it;
}
Table* Catalog::table(const QualifiedName& n) {
  return const_cast<Table*>(std::as_const(*this).table(n));
}
const Function* Catalog::function(const QualifiedName& n) const {
  auto it = std::find_if(functions.begin(), functions.end(), [&](const Function& f) { return f.name == n; });
  return it == functions.end() ? nullptr : &*it;
}

const SchemaObject* Catalog::object(const std::string& key) const {
  auto it = std::lower_bound(objects.begin(), objects.end(), key,
                             [](const SchemaObject& o, const std::string& k) { return o.key() < k; });
  return it != objects.end() && it->key() == key ? &*it : nullptr;
}

const char* object_kind_name(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Enum:
      return "enum";
    case ObjectKind::Domain:
      return "domain";
    case ObjectKind::CompositeType:
      return "composite type";
    case ObjectKind::Sequence:
      return "sequence";
    case ObjectKind::Function:
      return "function";
    case ObjectKind::Procedure:
      return "procedure";
    case ObjectKind::Aggregate:
      return "aggregate";
    case ObjectKind::View:
      return "view";
    case ObjectKind::MaterializedView:
      return "materialized view";
  }
  return "object";
}

namespace {
bool is_routine(ObjectKind kind) {
  return kind == ObjectKind::Function || kind == ObjectKind::Procedure || kind == ObjectKind::Aggregate;
}
}  // namespace

std::string SchemaObject::key() const {
  return fmt::format("{} {}{}", object_kind_name(kind), name.display(),
                     is_routine(kind) ? "(" + arguments + ")" : std::string{});
}

std::string SchemaObject::sql_name() const {
  return name.sql() + (is_routine(kind) ? "(" + arguments + ")" : std::string{});
}

std::string table_key(const QualifiedName& name) {
  return "table " + name.display();
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
    case ConstraintKind::Exclusion:
      return "exclusion constraint";
  }
  return "constraint";
}

std::string index_shape(const std::string& definition) {
  auto at = definition.find(" USING ");
  return (definition.rfind("CREATE UNIQUE", 0) == 0 ? "UNIQUE" : "") +
         (at == std::string::npos ? definition : definition.substr(at));
}

}  // namespace schemac

namespace schemac {

std::string DefaultPrivileges::describe() const {
  std::string what = objects;
  for (auto& c : what) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return fmt::format("default privileges of role {} {} on {}", role,
                     schema.empty() ? std::string("in every schema") : "in schema " + schema, what);
}

}  // namespace schemac
