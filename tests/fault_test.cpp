// Recovery: apply killed at every transaction boundary of the seed-audit plan,
// at random points inside its steps, its connection cut and its statement
// cancelled. Every time, the next plan shows what is left, the next apply
// finishes it, and no row changed.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "tests/process.hpp"
#include "tests/test_database.hpp"

namespace schemac::test {
namespace {

namespace fs = std::filesystem;

const std::string kSchema = source_path("examples/saas/schema");
const char* kTables[] = {"organizations", "people", "api_keys", "webhooks", "automation_rules", "outbox"};

std::string cli(const std::string& args, const std::string& url, int& code) {
  auto r = run_schemac(args + " --schema " + kSchema, url);
  code = r.code;
  return r.out;
}

// The seed-audit database with enough rows that builds and validations take a
// moment, made once; every run starts from a copy.
class SeedCopies {
 public:
  SeedCopies() {
    Db db = template_.connect();
    load_seed_audit(db, 60000);
    // What the rows say now, in the columns they have now.
    for (const char* t : kTables) {
      columns_[t] = db.scalar(fmt::format("SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) "
                                          "FROM information_schema.columns WHERE table_name = '{}'",
                                          t))
                        .value_or("");
    }
    contents_ = contents(db);
  }

  // A fresh copy of the template.
  std::string copy(int run) {
    const auto name = fmt::format("{}_run{}", template_.name(), run);
    Db admin("");
    admin.exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name)));
    admin.exec(fmt::format("CREATE DATABASE {} TEMPLATE {}", quote_ident(name), quote_ident(template_.name())));
    copies_.push_back(name);
    return Db::with_database("", name);
  }

  ~SeedCopies() {
    try {
      Db admin("");
      for (const auto& c : copies_) admin.exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(c)));
    } catch (const std::exception&) {
    }
  }

  // Per table: row count and an md5 of every row's original columns.
  std::map<std::string, std::string> contents(Db& db) {
    std::map<std::string, std::string> out;
    for (const char* t : kTables)
      out[t] = db.scalar(fmt::format("SELECT count(*) || ' ' || md5(string_agg(row({})::text, '|' ORDER BY id)) "
                                     "FROM {}",
                                     columns_[t], t))
                   .value_or("");
    return out;
  }
  const std::map<std::string, std::string>& original() const { return contents_; }

 private:
  TestDatabase template_;
  std::map<std::string, std::string> columns_;
  std::map<std::string, std::string> contents_;
  std::vector<std::string> copies_;
};

// The next plan has work left (unless the fault hit after the last commit),
// the next apply finishes it, the plan after that is empty, no row changed,
// and no index is left INVALID.
void converges(SeedCopies& seed, const std::string& url, std::size_t full_plan_steps) {
  int code = 0;
  auto remaining = cli("plan --format json", url, code);
  REQUIRE_MESSAGE(code == 0, remaining);
  const auto steps = nlohmann::json::parse(remaining).at("steps").size();
  CHECK(steps <= full_plan_steps);
  // --wait: a killed apply's server session may still be finishing its statement.
  auto applied = cli("apply --auto-approve --allow-hazard drops-undeclared --quiet --wait", url, code);
  INFO(applied);
  REQUIRE(code == 0);
  auto again = cli("plan --detailed-exitcode", url, code);
  INFO(again);
  CHECK(code == 0);
  Db db(url);
  CHECK(seed.contents(db) == seed.original());
  CHECK(db.scalar("SELECT count(*) FROM pg_index WHERE NOT indisvalid") == "0");
  // The killed apply is on record as interrupted (unless it died before it began).
  CHECK(db.scalar("SELECT count(*) FROM schemac.apply_history WHERE outcome = 'running'") == "0");
}

// First step of every transaction (and every CONCURRENTLY step): where a kill
// lands between two commits.
std::vector<std::size_t> boundaries(const nlohmann::json& plan) {
  std::vector<std::size_t> out;
  nlohmann::json previous;
  std::size_t i = 0;
  for (const auto& s : plan.at("steps")) {
    ++i;
    const auto& g = s.at("transaction");
    if (i == 1 || g.is_null() || g != previous) out.push_back(i);
    previous = g;
  }
  return out;
}

// The seed-audit plan against a fresh copy: its steps as JSON.
nlohmann::json full_plan(SeedCopies& seed) {
  int code = 0;
  auto out = cli("plan --format json", seed.copy(0), code);
  REQUIRE_MESSAGE(code == 0, out);
  return nlohmann::json::parse(out);
}

std::string apply_command(const std::string& url, const std::string& env = "", const std::string& flags = "--quiet") {
  return fmt::format("env {} {} apply --schema {} --auto-approve --allow-hazard drops-undeclared {} --database-url {}",
                     env, SCHEMAC_BIN, kSchema, flags, shell_quote(url));
}

std::string output_file(int run) {
  return temp_path(fmt::format("fault_{}", run));
}

// Kills at the boundaries numbered part, part + parts, ... (so the runs split across test cases).
void kill_at_boundaries(int part, int parts) {
  SeedCopies seed;
  const auto plan = full_plan(seed);
  const auto full = plan.at("steps").size();
  const auto kill_points = boundaries(plan);
  MESSAGE(fmt::format("{} steps, {} transaction boundaries", full, kill_points.size()));
  CHECK(kill_points.size() >= 30);
  for (std::size_t i = static_cast<std::size_t>(part); i < kill_points.size(); i += static_cast<std::size_t>(parts)) {
    const auto k = kill_points[i];
    CAPTURE(k);
    const int run = static_cast<int>(i) + 1;
    const auto url = seed.copy(run);
    Process p(apply_command(url, fmt::format("SCHEMAC_TEST_KILL_AT_STEP={}", k)), output_file(run));
    CHECK(p.wait() == 128 + SIGKILL);
    converges(seed, url, full);
    fs::remove(output_file(run));
  }
}

// An apply that something ends from outside while it runs: once its log
// shows a random step k (of the 171) starting, after a random 0-20 ms more.
// Timed from the log rather than the clock, so that the fault lands inside
// the apply however fast this machine is. Returns how many runs the fault
// interrupted (a cancel that lands while no statement runs changes nothing).
template <class Fault>
int fault_at_random_points(int runs, unsigned seed_value, Fault fault, const std::string& says = "") {
  SeedCopies seed;
  const auto full = full_plan(seed).at("steps").size();
  std::mt19937 rng(seed_value);
  int interrupted = 0;
  for (int run = 1; run <= runs; ++run) {
    // In the first half: the concurrent builds and validations come after it,
    // so the fault lands while apply still has long steps to run. (The last
    // steps are quick policy and drop statements: 40 of them can finish in the
    // time it takes to notice one started.)
    const auto k = std::uniform_int_distribution<std::size_t>(1, full / 2)(rng);
    const auto offset = std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 20)(rng));
    CAPTURE(k);
    CAPTURE(offset.count());
    const auto url = seed.copy(run);
    const auto dbname = Db(url).scalar("SELECT current_database()").value_or("");
    Process p(apply_command(url, "", ""), output_file(run));
    REQUIRE(p.wait_for_output(fmt::format("[{}/{}] ", k, full), std::chrono::seconds(60)));
    std::this_thread::sleep_for(offset);
    fault(p, dbname);
    const int code = p.wait();
    INFO(p.output());
    if (code != 0) ++interrupted;
    if (code != 0 && !says.empty()) CHECK(p.output().find(says) != std::string::npos);
    converges(seed, url, full);
    fs::remove(output_file(run));
  }
  return interrupted;
}

}  // namespace

TEST_CASE("apply killed with SIGKILL at each transaction boundary of the seed-audit plan converges (odd ones)") {
  kill_at_boundaries(0, 2);
}

TEST_CASE("apply killed with SIGKILL at each transaction boundary of the seed-audit plan converges (even ones)") {
  kill_at_boundaries(1, 2);
}

TEST_CASE("apply killed with SIGKILL at random points inside its steps converges") {
  CHECK(fault_at_random_points(10, 20261126, [](Process& p, const std::string&) { p.signal(SIGKILL); }) == 10);
}

TEST_CASE("apply whose connection is cut, or whose statement is cancelled, converges when run again") {
  // Connected before the runs, so that the fault is one statement away when apply reaches its step.
  Db admin("");
  auto backend = [&](const std::string& dbname, const char* function) {
    admin.exec(fmt::format("SELECT {}(pid) FROM pg_stat_activity WHERE application_name = 'schemac' AND datname = {}",
                           function, quote_literal(dbname)));
  };
  SUBCASE("connection cut (pg_terminate_backend)") {
    CHECK(fault_at_random_points(
              5, 7, [&](Process&, const std::string& dbname) { backend(dbname, "pg_terminate_backend"); },
              "schemac apply: the connection to the database was lost during step") == 5);
  }
  SUBCASE("statement cancelled (pg_cancel_backend)") {
    const int hit = fault_at_random_points(
        5, 11, [&](Process&, const std::string& dbname) { backend(dbname, "pg_cancel_backend"); });
    MESSAGE(fmt::format("{} of 5 cancels landed on a running statement", hit));
    CHECK(hit >= 1);
  }
}

}  // namespace schemac::test

namespace schemac::test {

TEST_CASE("a half-done NOT NULL conversion and a half-done backfill are completed by the next apply") {
  TestDatabase tdb;
  const std::string v1 =
      "[project]\ntarget = \"postgres\"\n[tables.items.columns]\n"
      "id = { type = \"bigint\", primary_key = true }\nname = { type = \"text\" }\n"
      "note = { type = \"text\", nullable = true }\n";
  const std::string v2 =
      "[project]\ntarget = \"postgres\"\n[tables.items.columns]\n"
      "id = { type = \"bigint\", primary_key = true }\nname = { type = \"text\" }\nnote = { type = \"text\" }\n"
      "public_id = { type = \"uuid\", default = \"gen_random_uuid()\" }\n";
  const auto dir = fs::temp_directory_path() / fmt::format("schemac_halfdone_{}", getpid());
  fs::create_directories(dir);
  std::ofstream(dir / "v1.toml") << v1;
  std::ofstream(dir / "v2.toml") << v2;
  auto run = [&](const std::string& schema, const std::string& url, const std::string& extra = "") {
    std::string out;
    int code = run_command(fmt::format("{} apply --schema {} --auto-approve --allow-hazard drops-undeclared --quiet "
                                       "--wait {} --database-url {} 2>&1",
                                       SCHEMAC_BIN, (dir / schema).string(), extra, shell_quote(url)),
                           out);
    INFO(out);
    return code;
  };
  REQUIRE(run("v1.toml", tdb.url()) == 0);
  {
    Db db = tdb.connect();
    db.exec("INSERT INTO items SELECT g, 'item ' || g, 'note ' || g FROM generate_series(1, 60000) g");
  }
  // Every run starts from a copy of this database.
  Db admin("");
  auto copy = [&](const std::string& suffix) {
    const auto name = tdb.name() + suffix;
    admin.exec(fmt::format("CREATE DATABASE {} TEMPLATE {}", quote_ident(name), quote_ident(tdb.name())));
    return name;
  };
  auto check = [&](const std::string& url) {
    std::string out;
    CHECK(run("v2.toml", url) == 0);
    CHECK(run_command(fmt::format("{} plan --schema {} --detailed-exitcode --database-url {} 2>&1", SCHEMAC_BIN,
                                  (dir / "v2.toml").string(), shell_quote(url)),
                      out) == 0);
    INFO(out);
    Db db(url);
    CHECK(
        db.scalar("SELECT count(*) || ' ' || md5(string_agg(row(id, name, note)::text, '|' ORDER BY id)) FROM items") ==
        db.scalar("SELECT '60000 ' || md5(string_agg(row(g, 'item ' || g, 'note ' || g)::text, '|' ORDER BY g)) "
                  "FROM generate_series(1, 60000) g"));
    CHECK(db.scalar("SELECT count(DISTINCT public_id) FROM items") == "60000");
    CHECK(db.scalar("SELECT count(*) FROM pg_constraint WHERE conname LIKE '%not_null'") == "0");
    CHECK(db.scalar("SELECT string_agg(attname, ',' ORDER BY attname) FROM pg_attribute WHERE attrelid = "
                    "'items'::regclass AND attnum > 0 AND attnotnull") == "id,name,note,public_id");
  };
  std::vector<std::string> made;
  std::string plan_json;
  REQUIRE(run_command(fmt::format("{} plan --schema {} --format json --database-url {}", SCHEMAC_BIN,
                                  (dir / "v2.toml").string(), shell_quote(tdb.url())),
                      plan_json) == 0);
  // Killed between every two transactions (the backfill commits inside its step).
  for (auto k : boundaries(nlohmann::json::parse(plan_json))) {
    if (k == 1) continue;
    CAPTURE(k);
    const auto name = copy(fmt::format("_k{}", k));
    made.push_back(name);
    const auto url = Db::with_database("", name);
    Process p(fmt::format("env SCHEMAC_TEST_KILL_AT_STEP={} {} apply --schema {} --auto-approve --allow-hazard "
                          "drops-undeclared --quiet "
                          "--database-url {}",
                          k, SCHEMAC_BIN, (dir / "v2.toml").string(), shell_quote(url)),
              (dir / fmt::format("out{}", k)).string());
    CHECK(p.wait() == 128 + SIGKILL);
    check(url);
  }
  // Killed in the middle of the backfill: some rows filled, some not.
  {
    const auto name = copy("_mid");
    made.push_back(name);
    const auto url = Db::with_database("", name);
    Process p(fmt::format("{} apply --schema {} --auto-approve --allow-hazard drops-undeclared --database-url {}",
                          SCHEMAC_BIN, (dir / "v2.toml").string(), shell_quote(url)),
              (dir / "mid").string());
    REQUIRE(p.wait_for_output("fill public_id", std::chrono::seconds(30)));
    Db db(url);
    for (int i = 0; i < 500 && db.scalar("SELECT count(public_id) > 0 FROM items") != "t"; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    p.signal(SIGKILL);
    p.wait();
    const auto filled = std::stol(db.scalar("SELECT count(public_id) FROM items").value_or("0"));
    MESSAGE(fmt::format("killed with {} of 60000 rows filled", filled));
    CHECK(filled > 0);
    CHECK(filled < 60000);
    check(url);
  }
  for (const auto& name : made) admin.exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name)));
  fs::remove_all(dir);
}

}  // namespace schemac::test
