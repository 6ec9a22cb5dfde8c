// A 1,000,000-row table gets a new index, a new check and NOT NULL on an
// existing column while another connection inserts and selects without pause.
// Reports how long apply took, how many of the other connection's statements
// ran, whether any failed, and the longest any of them waited.
// Run: pg_virtualenv -t -o logging_collector=on build/bench/online_change [rows]
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

#include "compiler/deploy/apply.hpp"
#include "compiler/render.hpp"
#include "compiler/workflow.hpp"

using namespace schemac;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {
const char* kBefore = R"toml([project]
target = "postgres"
[tables.big.columns]
id   = { type = "uuid", primary_key = true, default = "gen_random_uuid()" }
n    = { type = "integer" }
note = { type = "text", nullable = true }
)toml";

const char* kAfter = R"toml([project]
target = "postgres"
[tables.big.columns]
id   = { type = "uuid", primary_key = true, default = "gen_random_uuid()" }
n    = { type = "integer" }
note = { type = "text" }
[tables.big.checks]
big_n_not_negative = "n >= 0"
[tables.big.indexes]
idx_big_n = { columns = ["n"] }
)toml";

Plan plan(const std::string& toml, const std::string& url) {
  auto file = fs::temp_directory_path() / fmt::format("schemac_online_{}.toml", getpid());
  std::ofstream(file) << toml;
  Diagnostics diags;
  auto outcome = plan_against_database({file.string(), url, std::nullopt, ""}, diags);
  fs::remove(file);
  if (!outcome) {
    std::cerr << diags.render();
    std::exit(1);
  }
  return outcome->plan;
}
}  // namespace

int main(int argc, char** argv) {
  const long rows = argc > 1 ? std::atol(argv[1]) : 1000000;
  const std::string dbname = fmt::format("schemac_online_{}", getpid());
  Db admin("");
  admin.exec("CREATE DATABASE " + quote_ident(dbname));
  const auto url = Db::with_database("", dbname);
  {
    Db db(url);
    std::stringstream log;
    apply_plan(db, plan(kBefore, url), {"", -1, false, true}, log);
    db.exec(fmt::format("INSERT INTO big (n, note) SELECT g, 'row ' || g FROM generate_series(1, {}) g", rows));
    db.exec("VACUUM ANALYZE big");
  }
  auto change = plan(kAfter, url);
  std::cout << render_text(change) << "\n";

  std::atomic<bool> stop{false};
  std::vector<double> waits;
  long failures = 0;
  std::string first_failure;
  std::thread load([&] {
    Db db(url, "load");
    db.exec("SET statement_timeout = 0");
    auto id = db.query("SELECT id::text FROM big LIMIT 1")[0][0].as<std::string>();
    for (long i = 0; !stop; ++i) {
      for (int kind = 0; kind < 2; ++kind) {
        auto start = Clock::now();
        try {
          if (kind == 0)
            db.exec(fmt::format("INSERT INTO big (n, note) VALUES ({}, 'load')", i));
          else
            db.query(fmt::format("SELECT n FROM big WHERE id = '{}'", id));
        } catch (const std::exception& e) {
          if (!failures++) first_failure = e.what();
        }
        waits.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));  // load running before the change starts
  auto start = Clock::now();
  {
    Db db(url);
    apply_plan(db, change, {"", -1, false, true}, std::cerr);
  }
  double apply_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  stop = true;
  load.join();
  auto sorted = waits;
  std::sort(sorted.begin(), sorted.end());
  fmt::print("rows: {}; apply took {:.2f} s\n", rows, apply_seconds);
  fmt::print("other connection: {} statements, {} failed{}\n", waits.size(), failures,
             failures ? " (first: " + first_failure + ")" : "");
  fmt::print("its statement latency: median {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms\n", sorted[sorted.size() / 2],
             sorted[sorted.size() * 99 / 100], sorted.back());
  {
    Db db(url);
    fmt::print(
        "invalid indexes: {}; NOT NULL on note: {}\n",
        db.query("SELECT count(*) FROM pg_index WHERE NOT indisvalid")[0][0].as<int>(),
        db.query("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'big'::regclass AND attname = 'note'")[0][0]
            .as<bool>());
  }
  admin.exec(fmt::format("DROP DATABASE {} WITH (FORCE)", quote_ident(dbname)));
  return failures ? 1 : 0;
}
