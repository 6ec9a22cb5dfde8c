// Plan time and memory as the schema grows: N tenant-scoped tables with all
// four flags, each command run by the schemac binary in a child process (wall
// time and peak RSS of that process). After apply, the no-op plans are
// interleaved over ROUNDS (medians) with pg_dump --schema-only of the same
// database and migra diffing it against a copy of itself (two ready databases:
// migra's best case):
//   no-op, cache        the developer's machine, its cache warm
//   no-op, fresh runner a CI runner: an empty cache, the record apply left in the database
//   no-op, --no-cache   nothing remembered: every table materialized in a scratch database
// then plans with 1 and 10 changed tables (with the cache; 1 also on a fresh runner).
// Run: pg_virtualenv -t -o logging_collector=on build/bench/plan_scale build/schemac 100 500 2000
//      (PG_DUMP=/usr/lib/postgresql/15/bin/pg_dump: the binary, not the wrapper;
//       MIGRA=.ci/tools/node_modules/.bin/migra; without it, no migra column)
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench/scale_common.hpp"
#include "compiler/catalog/introspect.hpp"
#include "compiler/db.hpp"
#include "schema/ident.hpp"

namespace fs = std::filesystem;
using namespace schemac;
using bench::median;
using bench::run;
using bench::write_schema;

namespace {

constexpr int kRounds = 3;

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// For migra, which takes URLs; two host spellings, or it warns that both sides are one database.
std::string url_for(const std::string& host, const std::string& db) {
  return fmt::format("postgresql://{}:{}@{}:{}/{}", env_or("PGUSER", "postgres"), env_or("PGPASSWORD", ""), host,
                     env_or("PGPORT", "5432"), db);
}

// Medians of seconds, the largest peak RSS, and whether any run failed.
struct Measured {
  std::vector<double> seconds;
  long max_rss_kib = 0;
  bool failed = false;
  void add(const bench::Run& r, bool ok) {
    seconds.push_back(r.seconds);
    max_rss_kib = std::max(max_rss_kib, r.max_rss_kib);
    failed = failed || !ok;
  }
  std::string show() const {
    return fmt::format("{:7.2f} s {:6.1f} MiB{}", median(seconds), static_cast<double>(max_rss_kib) / 1024.0,
                       failed ? "  (failed)" : "");
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fmt::print(stderr, "usage: plan_scale SCHEMAC_BINARY N...\n");
    return 2;
  }
  const std::string schemac = fs::absolute(argv[1]).string();
  const std::string pg_dump = env_or("PG_DUMP", "/usr/bin/pg_dump");
  const std::string migra = env_or("MIGRA", "");
  for (int i = 2; i < argc; ++i) {
    const int n = std::atoi(argv[i]);
    const auto base = fs::temp_directory_path() / fmt::format("schemac_scale_{}", getpid());
    const auto dir = base / "schema";
    const auto cache = base / "cache";
    fs::remove_all(base);
    write_schema(dir, n);
    const std::string db = fmt::format("schemac_scale_{}", n);
    const std::string copy = db + "_copy";
    Db admin("");
    for (const auto& d : {db, copy}) admin.exec("DROP DATABASE IF EXISTS " + quote_ident(d));
    admin.exec("CREATE DATABASE " + quote_ident(db));
    const std::string url = Db::with_database("", db);
    int runner = 0;
    // A plan with the developer's cache, on a fresh runner (an empty cache of its own), or remembering nothing.
    enum class Memory { Cache, FreshRunner, Nothing };
    auto plan = [&](Memory memory) {
      std::vector<std::string> args = {schemac, "plan", "--schema", dir.string(), "--database-url", url};
      if (memory == Memory::Nothing) {
        args.push_back("--no-cache");
      } else {
        const auto c = memory == Memory::Cache ? cache : base / fmt::format("runner_{}", ++runner);
        args.insert(args.end(), {"--cache-dir", c.string()});
      }
      return run(args);
    };
    // In the order they are measured, which is the order they are printed.
    std::vector<std::pair<std::string, Measured>> measured;
    auto m = [&](const std::string& what) -> Measured& {
      for (auto& [w, x] : measured)
        if (w == what) return x;
      return measured.emplace_back(what, Measured{}).second;
    };
    m("cold plan (empty database, empty cache)").add(plan(Memory::Cache), true);
    auto applied = run({schemac, "apply", "--schema", dir.string(), "--database-url", url, "--auto-approve", "--quiet",
                        "--cache-dir", cache.string()});
    m("apply").add(applied, applied.exit_code == 0);
    // A database in service has its catalogs' statistics kept by autovacuum.
    Db(url).exec("ANALYZE");
    admin.exec(fmt::format("CREATE DATABASE {} TEMPLATE {}", quote_ident(copy), quote_ident(db)));
    for (int round = 0; round < kRounds; ++round) {
      auto warm = plan(Memory::Cache);
      m("no-op plan, cache").add(warm, warm.exit_code == 0);
      auto fresh = plan(Memory::FreshRunner);
      m("no-op plan, fresh runner (record)").add(fresh, fresh.exit_code == 0);
      auto nothing = plan(Memory::Nothing);
      m("no-op plan, --no-cache").add(nothing, nothing.exit_code == 0);
      auto dump = run({pg_dump, "--schema-only", "--file", (base / "dump.sql").string(), url});
      m("pg_dump --schema-only").add(dump, dump.exit_code == 0);
      if (!migra.empty()) {
        auto diff = run({migra, url_for("127.0.0.1", db), url_for("localhost", copy), "--unsafe"});
        m("migra, two ready databases").add(diff, diff.exit_code == 0);
      }
    }
    auto checked = run({schemac, "check", "--schema", dir.string()});
    m("of the no-op: compiling (check)").add(checked, checked.exit_code == 0);
    {
      Db live(url);
      const auto started = std::chrono::steady_clock::now();
      read_catalog(live, {{"public"}, {}, {}});
      m("of the no-op: reading the catalog")
          .seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    // One changed table, then ten; each plan leaves the cache knowing them, so every round changes another.
    for (int round = 0; round < kRounds; ++round) {
      std::ofstream(dir / fmt::format("t{:04}.toml", round), std::ios::app)
          << fmt::format("idx_t{}_name = {{ columns = [\"name\"] }}\n", round);
      auto one = plan(Memory::Cache);
      m("1 table changed, cache").add(one, one.exit_code == 0);
      std::ofstream(dir / fmt::format("t{:04}.toml", kRounds + round), std::ios::app)
          << fmt::format("idx_t{}_name = {{ columns = [\"name\"] }}\n", kRounds + round);
      auto one_fresh = plan(Memory::FreshRunner);
      m("1 more table changed, fresh runner").add(one_fresh, one_fresh.exit_code == 0);
    }
    for (int k = 2 * kRounds; k < 2 * kRounds + 10; ++k)
      std::ofstream(dir / fmt::format("t{:04}.toml", k), std::ios::app)
          << fmt::format("idx_t{}_name = {{ columns = [\"name\"] }}\n", k);
    auto ten = plan(Memory::Cache);
    m("10 more tables changed, cache").add(ten, ten.exit_code == 0);

    fmt::print("{} tables (medians of {} interleaved rounds where repeated)\n", n, kRounds);
    for (const auto& [what, x] : measured) fmt::print("  {:<42} {}\n", what, x.show());
    const double dump_s = median(m("pg_dump --schema-only").seconds);
    fmt::print("  ratios to pg_dump: no-op cache {:.2f}x, fresh runner {:.2f}x, --no-cache {:.2f}x\n",
               median(m("no-op plan, cache").seconds) / dump_s,
               median(m("no-op plan, fresh runner (record)").seconds) / dump_s,
               median(m("no-op plan, --no-cache").seconds) / dump_s);
    if (!migra.empty()) {
      const double migra_s = median(m("migra, two ready databases").seconds);
      fmt::print("  migra / schemac: fresh runner {:.2f}x faster, --no-cache {:.2f}x\n",
                 migra_s / median(m("no-op plan, fresh runner (record)").seconds),
                 migra_s / median(m("no-op plan, --no-cache").seconds));
    }
    fmt::print("  1 changed table / no-op (cache): {:.2f}x\n",
               median(m("1 table changed, cache").seconds) / median(m("no-op plan, cache").seconds));
    std::fflush(stdout);
    for (const auto& d : {db, copy}) admin.exec(fmt::format("DROP DATABASE {} WITH (FORCE)", quote_ident(d)));
    fs::remove_all(base);
  }
}
