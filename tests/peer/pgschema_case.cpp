// One case of pgschema's diff suite (github.com/pgplex/pgschema, testdata/diff),
// read where it lies (SCHEMAC_PEER_SUITES; never copied into this repository),
// run the way pgschema runs it (cmd/migrate_integration_test.go) and judged as
// tests/acceptance_test.cpp judges a result:
//  1. a fresh database with setup.sql (if any), then old.sql;
//  2. a declaration folder in the temporary directory holding new.sql, as schema.sql, and a
//     schemac.toml that says what pgschema assumes: plain PostgreSQL (target = "postgres"),
//     and what no file declares is dropped (undeclared_tables and undeclared_objects = "drop");
//  3. schemac plan --format json, then apply with every hazard the plan reports allowed;
//  4. a second plan is empty (--detailed-exitcode exits 0);
//  5. the result equals a database built directly from setup.sql and new.sql,
//     by schemac's catalog reader and by migra;
//  6. squawk finds no zero-downtime violation in the plan's SQL that the step
//     does not flag with a hazard.
// With --import, the round trip of `schemac import` instead (issue 10):
//  1. a fresh database with setup.sql (if any), then new.sql;
//  2. schemac import writes its declarations into a folder;
//  3. schemac plan of that folder against the same database is empty, with
//     undeclared_tables and undeclared_objects = "drop" added to the schemac.toml
//     import wrote, so that anything import left out shows as a drop.
// Usage: pgschema_case [--import] CASE_DIR   (on the server the PG* variables name)
// Prints "FAIL: ..." for each check that fails and exits 1; "ok ..." and 0 when all pass.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "compiler/catalog/introspect.hpp"
#include "tests/process.hpp"
#include "tests/result_checks.hpp"
#include "tests/run_command.hpp"

using namespace schemac;
namespace fs = std::filesystem;

namespace {

using test::fail;

std::string read(const fs::path& p) {
  return test::read_text(p.string());
}

// A folder in the temporary directory, removed with everything in it.
struct TempFolder {
  fs::path path = fs::temp_directory_path() / fmt::format("schemac_peer_{}", getpid());
  TempFolder() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempFolder() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

struct Run {
  int code;
  std::string out, err;
};

// schemac with args, run in folder (so that it names the declarations
// schema/schema.sql); stdout and stderr apart, stderr through a file there.
Run schemac(const std::string& args, const fs::path& folder) {
  Run r{0, {}, {}};
  r.code = test::run_command(
      fmt::format("cd {} && {} {} 2>stderr", test::shell_quote(folder.string()), SCHEMAC_BIN, args), r.out);
  r.err = read(folder / "stderr");
  return r;
}

// Runs the case's SQL files in a database; false (with a FAIL) when PostgreSQL refuses one.
bool load(const std::string& url, const fs::path& dir, const std::vector<std::string>& files) {
  Db db(url, "schemac peer suite");
  for (const auto& f : files) {
    if (!fs::exists(dir / f)) continue;
    try {
      db.exec(read(dir / f));
    } catch (const std::exception& e) {
      fail(fmt::format("the case does not load on PostgreSQL {}: {}: {}", db.server_major_version(), f, e.what()));
      return false;
    }
  }
  return true;
}

// Step 1, and the reference database of step 5. Roles belong to the server and
// the cases create theirs behind IF NOT EXISTS checks, which race: one case at
// a time loads, under a lock in the admin database (released as it disconnects).
bool load_case(const fs::path& dir, const std::string& applied_url, const std::string& reference_url) {
  Db admin("", "schemac peer suite");
  admin.exec("SELECT pg_advisory_lock(hashtext('schemac peer suite: roles'))");
  admin.exec(
      "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'testuser') THEN CREATE ROLE testuser; "
      "END IF; END $$");
  return load(applied_url, dir, {"setup.sql", "old.sql"}) && load(reference_url, dir, {"setup.sql", "new.sql"});
}

// The plan as render_json wrote it, back into the fields render_sql and the judges read.
Plan plan_from_json(const nlohmann::json& j) {
  Plan plan;
  plan.lock_timeout = j.value("lock_timeout", plan.lock_timeout);
  plan.search_path = j.value("search_path", std::vector<std::string>{});
  for (const auto& s : j.at("steps")) {
    Step step;
    step.phase = static_cast<Phase>(s.at("phase").get<int>());
    step.table = s.value("table", "");
    step.summary = s.value("summary", "");
    step.sql = s.at("sql").get<std::string>();
    step.transactional = !s.at("transaction").is_null();
    step.group = step.transactional ? s.at("transaction").get<int>() : 0;
    step.hazards = s.value("hazards", std::vector<std::string>{});
    plan.steps.push_back(std::move(step));
  }
  return plan;
}

void compare(Db& applied, Db& reference) {
  const IntrospectScope scope{{"public"}, {}, {}};
  const auto a = read_catalog(applied, scope), b = read_catalog(reference, scope);
  for (const auto& d : test::catalog_differences(a, b)) fail(d);
  // Views, functions, types and sequences: the reader lists them by kind and name.
  const std::set<std::string> x(a.unmanaged.begin(), a.unmanaged.end()), y(b.unmanaged.begin(), b.unmanaged.end());
  for (const auto& o : x)
    if (!y.count(o)) fail(o + " only in the applied database");
  for (const auto& o : y)
    if (!x.count(o)) fail(o + " only in the database built from new.sql");
}

void run_case(const fs::path& dir) {
  test::ScratchDatabase applied(fmt::format("schemac_peer_{}_applied", getpid()), "TEMPLATE template0");
  test::ScratchDatabase reference(fmt::format("schemac_peer_{}_reference", getpid()), "TEMPLATE template0");
  if (!load_case(dir, applied.url(), reference.url())) return;

  TempFolder temp;
  fs::create_directories(temp.path / "schema");
  fs::copy_file(dir / "new.sql", temp.path / "schema" / "schema.sql");
  // pgschema plans a schema as a whole: what new.sql does not declare goes.
  // The same with schemac is a choice a project writes down.
  std::ofstream(temp.path / "schema" / "schemac.toml")
      << "[project]\ntarget = \"postgres\"\nundeclared_tables = \"drop\"\nundeclared_objects = \"drop\"\n";
  const auto target = "--schema schema --no-cache --database-url " + test::shell_quote(applied.url());

  auto planned = schemac("plan --format json " + target, temp.path);
  if (planned.code != 0)
    return fail(fmt::format("schemac plan exited {}: {}{}", planned.code, planned.err, planned.out));
  auto json = nlohmann::json::parse(planned.out, nullptr, false);
  if (json.is_discarded()) return fail("schemac plan --format json printed no JSON:\n" + planned.out);
  const auto plan = plan_from_json(json);

  if (!*SQUAWK)
    fail("squawk was not found when the build was configured (.ci/install-deps installs it)");
  else
    for (const auto& v : test::squawk_violations(SQUAWK, plan)) fail(v);

  std::string allow;
  for (const auto& h : plan.hazards()) allow += " --allow-hazard " + test::shell_quote(h);
  auto applied_run = schemac("apply --auto-approve --quiet" + allow + " " + target, temp.path);
  if (applied_run.code != 0)
    return fail(fmt::format("schemac apply exited {}: {}{}", applied_run.code, applied_run.err, applied_run.out));

  auto second = schemac("plan --detailed-exitcode " + target, temp.path);
  if (second.code != 0)
    fail(fmt::format("the second plan is not empty (exit {}):\n{}{}", second.code, second.err, second.out));

  Db a(applied.url()), b(reference.url());
  compare(a, b);
  if (!*MIGRA) return fail("migra was not found when the build was configured (.ci/install-deps installs it)");
  // schemac keeps its apply history in schema schemac, which the reference never
  // met; grants are part of the result (the privilege groups), so migra compares them.
  for (const auto& line : test::migra_differences(MIGRA, applied.name(), reference.name(), {},
                                                  "--exclude-schema schemac --with-privileges"))
    fail("migra sees a difference: " + line);
}

void run_import_case(const fs::path& dir) {
  test::ScratchDatabase imported(fmt::format("schemac_peer_{}_imported", getpid()), "TEMPLATE template0");
  {
    Db admin("", "schemac peer suite");  // the roles lock, as load_case takes it
    admin.exec("SELECT pg_advisory_lock(hashtext('schemac peer suite: roles'))");
    admin.exec(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'testuser') THEN CREATE ROLE testuser; "
        "END IF; END $$");
    if (!load(imported.url(), dir, {"setup.sql", "new.sql"})) return;
  }
  TempFolder temp;
  const auto url = "--database-url " + test::shell_quote(imported.url());
  auto written = schemac("import --schema-dir schema " + url, temp.path);
  if (written.code != 0)
    return fail(fmt::format("schemac import exited {}: {}{}", written.code, written.err, written.out));
  std::ofstream(temp.path / "schema" / "schemac.toml", std::ios::app)
      << "undeclared_tables = \"drop\"\nundeclared_objects = \"drop\"\n";
  auto planned = schemac("plan --detailed-exitcode --no-cache --schema schema " + url, temp.path);
  if (planned.code != 0)
    fail(fmt::format("the plan after import is not empty (exit {}):\n{}{}", planned.code, planned.err, planned.out));
}

}  // namespace

int main(int argc, char** argv) {
  const bool import = argc == 3 && std::string(argv[1]) == "--import";
  if (argc != 2 && !import) {
    std::cerr << "usage: pgschema_case [--import] CASE_DIR\n";
    return 2;
  }
  const fs::path dir = argv[argc - 1];
  const auto name = dir.parent_path().filename().string() + "/" + dir.filename().string();
  try {
    if (import)
      run_import_case(dir);
    else
      run_case(dir);
  } catch (const std::exception& e) {
    fail(std::string("exception: ") + e.what());
  }
  const char* known = std::getenv("SCHEMAC_KNOWN_FAILURE");
  const std::string list = import ? "pgschema-import-known-failures.txt" : "pgschema-known-failures.txt";
  if (test::failure_count()) {
    if (known) std::cout << "(a known failure, tests/peer/" << list << ": " << known << ")\n";
    return 1;
  }
  std::cout << "ok pgschema/" << name << "\n";
  if (known)
    std::cout << "pgschema/" << name << " passes now: remove it from tests/peer/" << list << " (listed as: " << known
              << ")\n";
  return 0;
}
