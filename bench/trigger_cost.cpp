// What schemac's generated triggers cost writes (issue 11). Four tables:
//   no flags          the same columns, no tenant key, no triggers, no RLS;
//   tenant key only   no flags, with the foreign key to organizations and its
//                     index: what the tenant key alone costs;
//   flags, no trigger the table the four flags make (tenant foreign key and
//                     index, deleted_at, updated_at, RLS, policies) with
//                     schemac's triggers dropped: what the triggers are measured against;
//   all four flags    as schemac makes it;
// and four more, each schemac's flagged table with audit_changes()'s body
// replaced, to show how far below its cost any statement-level trail can go:
//   records nothing   the trigger called with its transition tables, no row written;
//   rows without values  one audit row per changed row, no old_data or new_data;
//   changed columns only  a probe of a per-table function that stores only
//                     what an UPDATE changed (not what schemac generates);
//   whole new row, changed old values  the same probe, with the whole new row.
// Each is built by schemac in a fresh database, and the variants take turns
// within each round (a slow spell of this shared machine hits them all).
// Measured: a 200,000-row INSERT ... SELECT; an UPDATE of every row; a soft
// delete of every row (the flagged table: DELETE as `authenticated` with an
// organization's JWT claim, which the soft-delete trigger turns into marking
// the row; the others: UPDATE ... SET deleted_at = now()); then 10,000
// one-row INSERTs and 10,000 one-row UPDATEs, each its own transaction, the
// way an API writes.
// Run: pg_virtualenv -t -o logging_collector=on build/bench/trigger_cost [rows] [rounds]
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "compiler/deploy/apply.hpp"
#include "compiler/workflow.hpp"

using namespace schemac;
namespace fs = std::filesystem;

namespace {

const char* kProject = R"toml(
[project]
target = "postgres"
[tables.organizations]
[tables.organizations.columns]
id = { type = "uuid", primary_key = true, default = "gen_random_uuid()" }
)toml";

const char* kOrg = "00000000-0000-0000-0000-00000000000a";

struct Variant {
  const char* name;
  const char* flags;
  bool drop_triggers;
  bool tenant_key = false;  // without flags: organization_id references organizations, indexed
  // A floor: schemac's table and triggers, with audit_changes()'s body
  // replaced by this one (same trigger calls, same SECURITY DEFINER and SETs).
  const char* audit_body = nullptr;
};

// What any statement-level trail costs before it writes a thing: PL/pgSQL
// called once per statement with both transition tables filled.
const char* kRecordsNothing = "BEGIN RETURN NULL; END";

// One audit row per changed row, old and new paired by key, without values:
// what writing the trail's rows costs, however values were encoded.
const char* kRowsWithoutValues = R"sql(
DECLARE actor pg_catalog.uuid := auth.uid();
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO public.audit_trail (table_schema, table_name, record_id, action, changed_by, tenant_id)
    SELECT TG_TABLE_SCHEMA, TG_TABLE_NAME, x.id, 'INSERT', actor, x.organization_id FROM new_rows x;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO public.audit_trail (table_schema, table_name, record_id, action, changed_by, tenant_id)
    SELECT TG_TABLE_SCHEMA, TG_TABLE_NAME, n.id, 'UPDATE', actor, n.organization_id
    FROM new_rows n JOIN old_rows o ON o.id = n.id;
  ELSE
    INSERT INTO public.audit_trail (table_schema, table_name, record_id, action, changed_by, tenant_id)
    SELECT TG_TABLE_SCHEMA, TG_TABLE_NAME, x.id, 'DELETE', actor, x.organization_id FROM old_rows x;
  END IF;
  RETURN NULL;
END)sql";

// The changed columns of the items table, with their values from side (o or n).
std::string changed_values(const char* side) {
  std::string chain;
  for (const char* column : {"n", "payload", "organization_id", "deleted_at", "updated_at"})
    chain += fmt::format(
        "{0}CASE WHEN o.{1} IS DISTINCT FROM n.{1} THEN pg_catalog.jsonb_build_object('{1}', {2}.{1}) "
        "ELSE '{{}}' END",
        chain.empty() ? "" : "\n           || ", column, side);
  return chain;
}

// Design probes, not what schemac generates: a function written for this
// table's columns that compares them typed. For an UPDATE it stores old_data
// and new_data as given: the changed columns' old and new values, or the
// changed columns' old values beside the whole new row (so that a reader of
// one record still sees the row after the change). Whole rows on INSERT and
// DELETE.
std::string typed_probe(const std::string& old_data, const std::string& new_data) {
  return fmt::format(R"sql(
DECLARE actor pg_catalog.uuid := auth.uid();
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO public.audit_trail (table_schema, table_name, record_id, action, new_data, changed_by, tenant_id)
    SELECT TG_TABLE_SCHEMA, TG_TABLE_NAME, x.id, 'INSERT', pg_catalog.to_jsonb(x.*), actor, x.organization_id
    FROM new_rows x;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO public.audit_trail (table_schema, table_name, record_id, action, old_data, new_data, changed_by, tenant_id)
    SELECT TG_TABLE_SCHEMA, TG_TABLE_NAME, n.id,
           CASE WHEN o.deleted_at IS NULL AND n.deleted_at IS NOT NULL THEN 'DELETE' ELSE 'UPDATE' END,
           {}, {}, actor, n.organization_id
    FROM new_rows n JOIN old_rows o ON o.id = n.id;
  ELSE
    INSERT INTO public.audit_trail (table_schema, table_name, record_id, action, old_data, changed_by, tenant_id)
    SELECT TG_TABLE_SCHEMA, TG_TABLE_NAME, x.id, 'DELETE', pg_catalog.to_jsonb(x.*), actor, x.organization_id
    FROM old_rows x;
  END IF;
  RETURN NULL;
END)sql",
                     old_data, new_data);
}

const std::string kChangedColumnsOnly = typed_probe(changed_values("o"), changed_values("n"));
const std::string kWholeNewChangedOld = typed_probe(changed_values("o"), "pg_catalog.to_jsonb(n.*)");

double seconds_for(Db& db, const std::string& sql) {
  auto start = std::chrono::steady_clock::now();
  db.exec(sql);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

using Figures = std::map<std::string, double>;  // measurement -> seconds

Figures measure(const Variant& v, long rows, long stream) {
  auto dir = fs::temp_directory_path() / fmt::format("schemac_bench_{}", getpid());
  fs::create_directories(dir);
  const bool flagged = *v.flags != 0;
  std::ofstream(dir / "schema.toml")
      << kProject << "[tables.items]\n"
      << v.flags << "\n[tables.items.columns]\n"
      << "id = { type = \"uuid\", primary_key = true, default = \"gen_random_uuid()\" }\n"
      << (flagged ? ""
          : v.tenant_key
              ? "organization_id = { type = \"uuid\", references = \"organizations(id)\", on_delete = \"cascade\" }\n"
              : "organization_id = { type = \"uuid\" }\n")
      << (flagged ? "" : "deleted_at = { type = \"timestamptz\", nullable = true }\n") << "n = { type = \"integer\" }\n"
      << "payload = { type = \"text\" }\n"
      << (v.tenant_key ? "[tables.items.indexes]\nidx_items_tenant = { columns = [\"organization_id\"] }\n" : "");
  const std::string dbname = fmt::format("schemac_bench_{}", getpid());
  Db admin("");
  admin.exec(fmt::format("DROP DATABASE IF EXISTS {}", quote_ident(dbname)));
  admin.exec(fmt::format("CREATE DATABASE {}", quote_ident(dbname)));
  const auto url = Db::with_database("", dbname);
  Diagnostics diags;
  auto outcome = plan_against_database({(dir / "schema.toml").string(), url, std::nullopt, ""}, diags);
  if (!outcome) {
    std::cerr << diags.render();
    std::exit(1);
  }
  Db db(url);
  std::stringstream log;
  apply_plan(db, outcome->plan, {"", -1, false, true}, log);
  if (v.drop_triggers)
    for (const auto& r :
         db.query("SELECT tgname FROM pg_trigger WHERE tgrelid = 'items'::regclass AND NOT tgisinternal"))
      db.exec(fmt::format("DROP TRIGGER {} ON items", quote_ident(r[0].as<std::string>())));
  if (v.audit_body)
    db.exec(
        fmt::format("CREATE OR REPLACE FUNCTION public.audit_changes() RETURNS trigger LANGUAGE plpgsql "
                    "SECURITY DEFINER SET search_path TO pg_catalog, pg_temp SET jit TO off "
                    "SET enable_nestloop TO off AS $body${}$body$",
                    v.audit_body));
  db.exec(fmt::format("INSERT INTO organizations (id) VALUES ('{}')", kOrg));
  db.exec("CHECKPOINT");
  Figures f;
  f["insert"] = seconds_for(db, fmt::format("INSERT INTO items (organization_id, n, payload) SELECT '{}', g, "
                                            "repeat('x', 100) FROM generate_series(1, {}) g",
                                            kOrg, rows));
  db.exec("VACUUM ANALYZE items");
  f["update"] = seconds_for(db, "UPDATE items SET n = n + 1");
  db.exec("VACUUM ANALYZE items");
  if (flagged && !v.drop_triggers) {
    // As the API deletes: under RLS, where the trigger turns DELETE into marking the row.
    db.exec("BEGIN");
    db.exec("SET LOCAL ROLE authenticated");
    db.exec(fmt::format("SELECT set_config('request.jwt.claims', '{{\"organization_id\": \"{}\"}}', true)", kOrg));
    f["soft delete"] = seconds_for(db, "DELETE FROM items");
    db.exec("COMMIT");
  } else {
    f["soft delete"] = seconds_for(db, "UPDATE items SET deleted_at = now()");
  }
  // One row per statement, each its own transaction (autocommit), as an API writes.
  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < stream; ++i)
    db.exec(
        fmt::format("INSERT INTO items (id, organization_id, n, payload) VALUES "
                    "('00000000-0000-0000-0001-{:012d}', '{}', {}, 'one row')",
                    i, kOrg, i));
  for (long i = 0; i < stream; ++i)
    db.exec(fmt::format("UPDATE items SET n = n + 1 WHERE id = '00000000-0000-0000-0001-{:012d}'", i));
  f["one-row statements"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  admin.exec(fmt::format("DROP DATABASE {} WITH (FORCE)", quote_ident(dbname)));
  fs::remove_all(dir);
  return f;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const long rows = argc > 1 ? std::atol(argv[1]) : 200000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  const long stream = 10000;
  const char* all_flags = "tenant_scoped = true\nsoft_delete = true\naudited = true\ntouch_updated_at = true";
  const std::vector<Variant> variants = {
      {"no flags", "", false},
      {"no flags, tenant foreign key and index", "", false, true},
      {"four flags, schemac's triggers dropped", all_flags, true},
      {"all four flags", all_flags, false},
      {"floor: audit records nothing", all_flags, false, false, kRecordsNothing},
      {"floor: audit rows without values", all_flags, false, false, kRowsWithoutValues},
      {"probe: changed columns only, typed", all_flags, false, false, kChangedColumnsOnly.c_str()},
      {"probe: whole new row, changed old values", all_flags, false, false, kWholeNewChangedOld.c_str()},
  };
  const std::size_t kTriggerless = 2;  // what the triggers are measured against
  const std::vector<std::string> measures = {"insert", "update", "soft delete", "one-row statements"};
  std::vector<std::map<std::string, std::vector<double>>> runs(variants.size());
  for (int round = 0; round < rounds; ++round)
    for (std::size_t i = 0; i < variants.size(); ++i)
      for (const auto& [what, seconds] : measure(variants[i], rows, stream)) runs[i][what].push_back(seconds);
  fmt::print("{} rows in one statement; {} one-row INSERTs then {} one-row UPDATEs; {} rounds\n", rows, stream, stream,
             rounds);
  fmt::print(
      "each cell: median seconds; the median of each round's ratio to the triggerless table [lowest-highest];\n"
      "the ratio of medians to no flags\n");
  fmt::print("{:<42}", "variant");
  for (const auto& m : measures) fmt::print(" {:>30}", m);
  fmt::print("\n");
  for (std::size_t i = 0; i < variants.size(); ++i) {
    fmt::print("{:<42}", variants[i].name);
    for (const auto& m : measures) {
      // Each round's own ratio: the variants of one round ran back to back,
      // where medians taken from different rounds may pair a fast spell of
      // this machine with a slow one.
      std::vector<double> ratios;
      for (std::size_t r = 0; r < runs[i][m].size(); ++r) ratios.push_back(runs[i][m][r] / runs[kTriggerless][m][r]);
      const auto [low, high] = std::minmax_element(ratios.begin(), ratios.end());
      fmt::print(" {:>6.2f} s {:>5.2f}x [{:.2f}-{:.2f}] {:>5.2f}x", median(runs[i][m]), median(ratios), *low, *high,
                 median(runs[i][m]) / median(runs[0][m]));
    }
    fmt::print("\n");
  }
}
