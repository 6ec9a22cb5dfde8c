// Columns of existing tables (and the table's comment): added (hazard
// backfill-required for NOT NULL without a default on a table with rows; a
// volatile default without a rewrite, then backfilled in batches), default,
// NULL and comment changes, type changes (hazard table-rewrite where
// PostgreSQL must rewrite; the policies using the column recreated around
// it), NOT NULL set online through a validated check, and dropped when no file
// declares them (hazard deletes-data).
#include <fmt/format.h>

#include <algorithm>

#include "compiler/ddl.hpp"
#include "compiler/planner/planner.hpp"
#include "compiler/planner/type_change.hpp"

namespace schemac::planner {

void Planner::existing_table_phase1(const Table& t, const Table& norm, const Table& live) {
  const auto name = t.name.display();
  int g = 0;
  auto tx = [&] { return g ? g : (g = group()); };
  for (const auto& c : t.columns) {
    const Column* lc = live.column(c.name);
    const Column* nc = norm.column(c.name);
    if (!lc && nc && nc->volatile_default) {
      add_column_with_volatile_default(t, c, tx());
      continue;
    }
    if (!lc) {
      std::vector<std::string> hazards;
      if (!c.nullable && !c.default_expr && c.generated.empty() && c.identity.empty() && live.row_estimate != 0)
        hazards.push_back("backfill-required");
      // Every existing row gets a computed value or a number: the table is rewritten.
      if ((!c.generated.empty() || !c.identity.empty()) && live.row_estimate != 0) hazards.push_back("table-rewrite");
      add(Phase::Infrastructure, name, "add column " + c.name,
          fmt::format("ALTER TABLE {} ADD COLUMN {}", t.name.sql(), ddl::column_definition(c)), kAccessExclusive, tx(),
          c.origin, hazards);
      if (c.comment)
        add(Phase::Infrastructure, name, "comment on column " + c.name, ddl::comment_on_column(t.name, c),
            kShareUpdateExclusive, tx(), c.origin);
      continue;
    }
    if (nc->generated != lc->generated) {
      generation(t, c, *lc, tx());
      continue;
    }
    if (nc->type != lc->type) change_type(t, live, c, *lc, *nc, tx());
    if (!lc->identity.empty() && nc->identity.empty())
      add(Phase::Infrastructure, name, "stop numbering " + c.name + " (identity)",
          fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP IDENTITY IF EXISTS", t.name.sql(), quote_ident(c.name)),
          kAccessExclusive, tx(), c.origin);
    if (nc->default_expr != lc->default_expr)
      add(Phase::Infrastructure, name, nc->default_expr ? "set default of " + c.name : "drop default of " + c.name,
          nc->default_expr
              ? fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}", t.name.sql(), quote_ident(c.name),
                            ddl::default_expression(*c.default_expr))
              : fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT", t.name.sql(), quote_ident(c.name)),
          kAccessExclusive, tx(), c.origin);
    if (!nc->identity.empty() && nc->identity != lc->identity)
      add(Phase::Infrastructure, name, fmt::format("number {} as identity ({})", c.name, nc->identity),
          lc->identity.empty() ? fmt::format("ALTER TABLE {} ALTER COLUMN {} ADD GENERATED {} AS IDENTITY",
                                             t.name.sql(), quote_ident(c.name), nc->identity)
                               : fmt::format("ALTER TABLE {} ALTER COLUMN {} SET GENERATED {}", t.name.sql(),
                                             quote_ident(c.name), nc->identity),
          kAccessExclusive, tx(), c.origin);
    if (nc->nullable && !lc->nullable)
      add(Phase::Infrastructure, name, "allow NULL in " + c.name,
          fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL", t.name.sql(), quote_ident(c.name)),
          kAccessExclusive, tx(), c.origin);
    if (nc->comment != lc->comment)
      add(Phase::Infrastructure, name, "comment on column " + c.name, ddl::comment_on_column(t.name, c),
          kShareUpdateExclusive, tx(), c.origin);
  }
  if (norm.unlogged != live.unlogged)
    // Both directions copy every row into a new file (and SET LOGGED writes it all to the WAL).
    add(Phase::Infrastructure, name, norm.unlogged ? "stop logging the table (unlogged)" : "log the table again",
        fmt::format("ALTER TABLE {} SET {}", t.name.sql(), norm.unlogged ? "UNLOGGED" : "LOGGED"),
        "ACCESS EXCLUSIVE while every row is rewritten", tx(), t.origin,
        live.row_estimate != 0 ? std::vector<std::string>{"table-rewrite"} : std::vector<std::string>{});
  if (norm.comment != live.comment)
    add(Phase::Infrastructure, name, "comment on table", ddl::comment_on_table(t), kShareUpdateExclusive, tx(),
        t.origin);
}

// A generated column's expression cannot change in place (PostgreSQL 15):
// the column is dropped and added again, computed anew for every row. A
// column that stops being generated keeps its values (DROP EXPRESSION).
void Planner::generation(const Table& t, const Column& c, const Column& lc, int g) {
  const auto name = t.name.display();
  if (c.generated.empty()) {
    add(Phase::Infrastructure, name, "stop computing " + c.name + " (its values stay)",
        fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP EXPRESSION", t.name.sql(), quote_ident(c.name)),
        kAccessExclusive, g, c.origin);
    return;
  }
  add(Phase::Infrastructure, name, fmt::format("compute {} from its new expression: drop and add it again", c.name),
      fmt::format("ALTER TABLE {} DROP COLUMN {}", t.name.sql(), quote_ident(c.name)), kAccessExclusive, g, c.origin,
      lc.generated.empty() ? std::vector<std::string>{"deletes-data", "table-rewrite"}
                           : std::vector<std::string>{"table-rewrite"});
  add(Phase::Infrastructure, name, "add generated column " + c.name,
      fmt::format("ALTER TABLE {} ADD COLUMN {}", t.name.sql(), ddl::column_definition(c)),
      "ACCESS EXCLUSIVE while every row is rewritten", g, c.origin, {"table-rewrite"});
}

// ADD COLUMN with a volatile default rewrites the table under ACCESS
// EXCLUSIVE. Instead: add it without the default, set the default for new
// rows, fill existing rows in small committed batches (row locks only), and
// for NOT NULL take the online route of phase 3 after the backfill.
// Existing rows get the column's (volatile) default in committed batches.
void Planner::backfill(const Table& t, const Column& c) {
  const auto name = t.name.display();
  add(Phase::Constraints, name, "fill " + c.name + " in existing rows, 5,000 rows per transaction",
      // schemac.backfill: the touch_updated_at and audit triggers leave these
      // updates alone (runtime/); it lasts one transaction, so it is set in each.
      "DO " + quote_dollar(fmt::format("\nDECLARE\n  filled bigint;\nBEGIN\n  LOOP\n"
                                       "    PERFORM set_config('schemac.backfill', 'on', true);\n"
                                       "    UPDATE {0} SET {1} = DEFAULT WHERE ctid = ANY (ARRAY(SELECT ctid FROM {0} "
                                       "WHERE {1} IS NULL LIMIT 5000));\n"
                                       "    GET DIAGNOSTICS filled = ROW_COUNT;\n    EXIT WHEN filled = 0;\n    "
                                       "COMMIT;\n  END LOOP;\nEND\n",
                                       t.name.sql(), quote_ident(c.name)),
                           "backfill"),
      "ROW EXCLUSIVE (row locks on 5,000 rows at a time; reads and writes continue)", 0, c.origin);
}

void Planner::add_column_with_volatile_default(const Table& t, const Column& c, int g) {
  const auto name = t.name.display();
  Column bare = c;
  bare.nullable = true;
  bare.default_expr.reset();
  add(Phase::Infrastructure, name, "add column " + c.name + " without its volatile default (no rewrite)",
      fmt::format("ALTER TABLE {} ADD COLUMN {}", t.name.sql(), ddl::column_definition(bare)), kAccessExclusive, g,
      c.origin);
  add(Phase::Infrastructure, name, "set the default of " + c.name + " for new rows",
      fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}", t.name.sql(), quote_ident(c.name),
                  ddl::default_expression(*c.default_expr)),
      kAccessExclusive, g, c.origin);
  backfill(t, c);
  if (!c.nullable) set_not_null_online(t, c);
}

// PostgreSQL refuses to change the type of a column a policy uses (and
// CASCADE would drop the policy): drop those policies, change the type and
// recreate them, in one transaction, so the table is never without them.
void Planner::change_type(const Table& t, const Table& live, const Column& c, const Column& lc, const Column& nc,
                          int g) {
  const auto name = t.name.display();
  std::vector<const Policy*> dependent;
  for (const auto& p : live.policies)
    if (std::find(p.columns_used.begin(), p.columns_used.end(), c.name) != p.columns_used.end())
      dependent.push_back(&p);
  for (const auto* p : dependent)
    add(Phase::Infrastructure, name, fmt::format("drop policy {} while {} changes type", p->name, c.name),
        fmt::format("DROP POLICY {} ON {}", quote_ident(p->name), t.name.sql()), kAccessExclusive, g, c.origin,
        {"authz-change"});
  // The old default may not cast to the new type (text 'a' to an enum):
  // dropped first; the default step after this one sets the declared one.
  if (lc.default_expr && lc.default_expr != nc.default_expr)
    add(Phase::Infrastructure, name, fmt::format("drop the default of {} while it changes type", c.name),
        fmt::format("ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT", t.name.sql(), quote_ident(c.name)), kAccessExclusive,
        g, c.origin);
  const bool rewrites = type_change_rewrites(lc.type, nc.type);
  std::string sql = fmt::format("ALTER TABLE {} ALTER COLUMN {} TYPE {}", t.name.sql(), quote_ident(c.name), c.type);
  if (rewrites) sql += fmt::format(" USING {}::{}", quote_ident(c.name), c.type);
  add(Phase::Infrastructure, name, fmt::format("change type of {} from {} to {}", c.name, lc.type, nc.type), sql,
      rewrites ? "ACCESS EXCLUSIVE for as long as the table is rewritten" : kAccessExclusive, g, c.origin,
      rewrites ? std::vector<std::string>{"table-rewrite"} : std::vector<std::string>{});
  for (const auto* p : dependent) {
    policies_done_.insert({name, p->name});
    if (const Policy* declared = t.policy(p->name))
      add(Phase::Infrastructure, name, "recreate policy " + p->name, ddl::create_policy(t.name, *declared),
          kAccessExclusive, g, declared->origin, {"authz-change"});
  }
}

// NOT NULL on an existing column without a scan under ACCESS EXCLUSIVE:
// a validated CHECK lets SET NOT NULL skip its scan (PostgreSQL 12+).
void Planner::set_not_null_existing(const Table& t, const Table& norm, const Table& live) {
  for (const auto& c : t.columns) {
    const Column* lc = live.column(c.name);
    const Column* nc = norm.column(c.name);
    if (!lc || !nc || nc->nullable || !lc->nullable) continue;
    // A volatile default already in place on a nullable column: an
    // interrupted apply added the column and stopped during its backfill.
    if (nc->volatile_default && lc->default_expr && nc->default_expr && *lc->default_expr == *nc->default_expr)
      backfill(t, c);
    set_not_null_online(t, c, &live);
  }
}

// NOT NULL on an existing column without a scan under ACCESS EXCLUSIVE:
// a validated CHECK lets SET NOT NULL skip its scan (PostgreSQL 12+); the
// helper is dropped in a statement of its own (dropping it in the same
// ALTER TABLE as SET NOT NULL would scan anyway).
// An interrupted apply may have left the helper (NOT VALID, or validated):
// the conversion resumes from there instead of failing on "already exists".
void Planner::set_not_null_online(const Table& t, const Column& c, const Table* live) {
  const auto name = t.name.display();
  const auto helper_name = fmt::format("{}_{}_not_null", t.name.name, c.name).substr(0, kMaxIdentifierBytes);
  const auto helper = quote_ident(helper_name);
  const Constraint* left = live ? live->constraint(helper_name) : nullptr;
  if (left) renamed_objects_.insert({name, helper_name});  // not an undeclared check to drop
  if (!left)
    add(Phase::Constraints, name, "check that " + c.name + " has no NULLs, without a scan under lock",
        fmt::format("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID", t.name.sql(), helper,
                    quote_ident(c.name)),
        kAccessExclusive, group(), c.origin);
  if (!left || !left->validated)
    add(Phase::Constraints, name, "validate that " + c.name + " has no NULLs",
        fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}", t.name.sql(), helper), kShareUpdateExclusive, group(),
        c.origin, {"validation-may-fail"})
        .validates = helper_name;
  add(Phase::Constraints, name, "set NOT NULL on " + c.name + " (instant: the check proves it)",
      fmt::format("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL", t.name.sql(), quote_ident(c.name)), kAccessExclusive,
      group(), c.origin);
  add(Phase::Constraints, name, "drop the helper check",
      fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", t.name.sql(), helper), kAccessExclusive, group(), c.origin);
}

void Planner::drop_undeclared_columns(const Table& t, const Table& live) {
  const auto name = t.name.display();
  for (const auto& lc : live.columns)
    if (!t.column(lc.name))
      add(Phase::Contract, name, "drop undeclared column " + lc.name,
          fmt::format("ALTER TABLE {} DROP COLUMN {}", t.name.sql(), quote_ident(lc.name)), kAccessExclusive, group(),
          t.origin, {"deletes-data"})
          .origin.flag = "undeclared";
}

}  // namespace schemac::planner
