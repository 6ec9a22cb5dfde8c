// What the generated triggers cost bulk writes: 200,000-row INSERT ... SELECT
// and UPDATE of every row, per table variant, each in a fresh database.
// Run: pg_virtualenv -t -o logging_collector=on build/bench/trigger_cost [rows]
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
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

struct Variant {
  const char* name;
  const char* flags;
  const char* extra_sql;  // applied after schemac, e.g. the seed's row-level audit trigger
};

double seconds_for(Db& db, const std::string& sql) {
  auto start = std::chrono::steady_clock::now();
  db.exec(sql);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::pair<double, double> measure(const Variant& v, long rows) {
  auto dir = fs::temp_directory_path() / fmt::format("schemac_bench_{}", getpid());
  fs::create_directories(dir);
  std::ofstream(dir / "schema.toml")
      << kProject << "[tables.items]\n"
      << v.flags << "\n[tables.items.columns]\n"
      << "id = { type = \"uuid\", primary_key = true, default = \"gen_random_uuid()\" }\n"
      << "org = { type = \"uuid\", nullable = true }\n"
      << "n = { type = \"integer\" }\n"
      << "payload = { type = \"text\" }\n";
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
  if (*v.extra_sql) db.exec(v.extra_sql);
  db.exec("INSERT INTO organizations DEFAULT VALUES");
  const std::string org_column =
      std::string(v.flags).find("tenant_scoped") != std::string::npos ? "organization_id" : "org";
  db.exec("CHECKPOINT");
  double insert =
      seconds_for(db, fmt::format("INSERT INTO items ({}, n, payload) SELECT (SELECT id FROM organizations), g, "
                                  "repeat('x', 100) FROM generate_series(1, {}) g",
                                  org_column, rows));
  db.exec("VACUUM ANALYZE items");
  double update = seconds_for(db, "UPDATE items SET n = n + 1");
  admin.exec(fmt::format("DROP DATABASE {} WITH (FORCE)", quote_ident(dbname)));
  fs::remove_all(dir);
  return {insert, update};
}

}  // namespace

int main(int argc, char** argv) {
  const long rows = argc > 1 ? std::atol(argv[1]) : 200000;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 3;
  const Variant variants[] = {
      {"no flags", "", ""},
      {"touch_updated_at", "touch_updated_at = true", ""},
      {"audited (schemac: statement-level, transition tables)", "audited = true", ""},
      {"audited, audit table without its secondary indexes", "audited = true",
       "DROP INDEX audit_trail_record_idx, audit_trail_changed_at_idx"},
      {"seed's audit trigger (row-level, row_to_json)", "", R"sql(
        CREATE TABLE seed_audit (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), table_name text NOT NULL,
          record_id uuid NOT NULL, action text NOT NULL, old_data jsonb, new_data jsonb, changed_by uuid,
          changed_at timestamptz NOT NULL DEFAULT now());
        CREATE FUNCTION seed_audit_changes() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
        BEGIN
          INSERT INTO seed_audit (table_name, record_id, action, old_data, new_data, changed_by)
          VALUES (TG_TABLE_NAME, COALESCE(NEW.id, OLD.id), TG_OP,
                  CASE WHEN TG_OP != 'INSERT' THEN row_to_json(OLD) END,
                  CASE WHEN TG_OP != 'DELETE' THEN row_to_json(NEW) END, auth.uid());
          RETURN NEW;
        END $$;
        CREATE TRIGGER t_items_audit AFTER INSERT OR UPDATE OR DELETE ON items
          FOR EACH ROW EXECUTE FUNCTION seed_audit_changes();)sql"},
      {"all four flags (tenant_scoped, soft_delete, audited, touch_updated_at)",
       "tenant_scoped = true\nsoft_delete = true\naudited = true\ntouch_updated_at = true", ""},
  };
  fmt::print("{:<72} {:>12} {:>12} {:>12} {:>12}\n", fmt::format("variant ({} rows, median of {})", rows, repeats),
             "insert s", "rows/s", "update s", "rows/s");
  double base_insert = 0, base_update = 0;
  for (const auto& v : variants) {
    std::vector<double> inserts, updates;
    for (int r = 0; r < repeats; ++r) {
      auto [insert, update] = measure(v, rows);
      inserts.push_back(insert);
      updates.push_back(update);
    }
    // The median of the runs: this machine is shared and noisy.
    std::sort(inserts.begin(), inserts.end());
    std::sort(updates.begin(), updates.end());
    double insert = inserts[inserts.size() / 2], update = updates[updates.size() / 2];
    if (base_insert == 0) {
      base_insert = insert;
      base_update = update;
    }
    fmt::print("{:<72} {:>12.2f} {:>12.0f} {:>12.2f} {:>12.0f}   ({:.1f}x / {:.1f}x)\n", v.name, insert,
               static_cast<double>(rows) / insert, update, static_cast<double>(rows) / update, insert / base_insert,
               update / base_update);
    std::fflush(stdout);
  }
}
