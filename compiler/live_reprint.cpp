#include "compiler/live_reprint.hpp"

#include <fmt/format.h>

#include <functional>

#include "compiler/ddl.hpp"

namespace schemac {

namespace {

// Runs `change` and reads `read` under a savepoint that is rolled back; nullopt
// when PostgreSQL refuses the live text here (a function only the live database has).
std::optional<std::string> probe(Db& db, const std::string& change, const std::string& read) {
  db.exec("SAVEPOINT schemac_reprint");
  std::optional<std::string> out;
  try {
    db.exec(change);
    out = db.scalar(read);
  } catch (const pqxx::sql_error&) {
    out.reset();
  }
  db.exec("ROLLBACK TO SAVEPOINT schemac_reprint");
  return out;
}

std::string without_not_valid(std::string definition) {
  const std::string suffix = " NOT VALID";
  if (definition.ends_with(suffix)) definition.resize(definition.size() - suffix.size());
  return definition;
}

void equate_checks(Db& db, const Table& live, Table& t) {
  for (auto& c : t.constraints) {
    const Constraint* lc = live.constraint(c.name);
    if (c.kind != ConstraintKind::Check || !lc || lc->kind != ConstraintKind::Check || lc->definition == c.definition)
      continue;
    const auto again = probe(
        db, fmt::format("ALTER TABLE {} ADD CONSTRAINT schemac_reprint {} NOT VALID", t.name.sql(), lc->definition),
        fmt::format("SELECT pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint WHERE conrelid = "
                    "{}::regclass AND conname = 'schemac_reprint'",
                    quote_literal(t.name.sql())));
    if (again && without_not_valid(*again) == c.definition) {
      c.definition = lc->definition;
      c.expression = lc->expression;
    }
  }
}

void equate_defaults(Db& db, const Table& live, Table& t) {
  for (auto& c : t.columns) {
    const Column* lc = live.column(c.name);
    if (!lc || !c.default_expr || !lc->default_expr || *lc->default_expr == *c.default_expr || !c.generated.empty() ||
        !lc->generated.empty())
      continue;
    const auto again =
        probe(db,
              fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}", t.name.sql(), quote_ident(c.name),
                          ddl::default_expression(*lc->default_expr)),
              fmt::format("SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d JOIN "
                          "pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE "
                          "d.adrelid = {}::regclass AND a.attname = {}",
                          quote_literal(t.name.sql()), quote_literal(c.name)));
    if (again && *again == *c.default_expr) c.default_expr = lc->default_expr;
  }
}

void equate_policies(Db& db, const Table& live, Table& t) {
  for (auto& p : t.policies) {
    const Policy* lp = live.policy(p.name);
    if (!lp) continue;
    auto equate = [&](std::string& expr, const std::string& live_expr, const char* clause, const char* column) {
      if (expr.empty() || live_expr.empty() || expr == live_expr) return;
      const auto again =
          probe(db, fmt::format("ALTER POLICY {} ON {} {} ({})", quote_ident(p.name), t.name.sql(), clause, live_expr),
                fmt::format("SELECT pg_catalog.pg_get_expr({}, polrelid) FROM pg_catalog.pg_policy WHERE polrelid = "
                            "{}::regclass AND polname = {}",
                            column, quote_literal(t.name.sql()), quote_literal(p.name)));
      if (again && *again == expr) expr = live_expr;
    };
    equate(p.using_expr, lp->using_expr, "USING", "polqual");
    equate(p.check_expr, lp->check_expr, "WITH CHECK", "polwithcheck");
  }
}

}  // namespace

void equate_reprinted(Db& db, const Catalog& live, Catalog& normalized, const Catalog& skip) {
  for (auto& t : normalized.tables)
    if (const Table* lt = live.table(t.name); lt && !skip.table(t.name)) {
      equate_checks(db, *lt, t);
      equate_defaults(db, *lt, t);
      equate_policies(db, *lt, t);
    }
}

}  // namespace schemac
