// schemac import against pg_dump --schema-only as the database grows (issue 10:
// import of a 2,000-table database takes no more than twice pg_dump). The
// database is N tenant-scoped tables with all four flags, applied by schemac;
// then, each in a child process (wall time, peak RSS), interleaved over ROUNDS:
// pg_dump --schema-only, schemac import (with an empty cache: the plan that
// checks the flags it recognizes starts cold), the tables it declared with
// their flags, and the plan of what import wrote, with its exit code (0: "No
// changes"), cold (--no-cache) and with the cache import filled. import
// writes one file per table, pg_dump one file: TMPDIR decides the file system
// both write to (on this machine's ext4 creating a file costs about 1 ms).
// Run: pg_virtualenv -t -o logging_collector=on build/bench/import_scale build/schemac 100 500 2000
//      (PG_DUMP=/usr/lib/postgresql/15/bin/pg_dump: the binary, not the wrapper; TMPDIR=/dev/shm: tmpfs)
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench/scale_common.hpp"
#include "compiler/db.hpp"
#include "schema/ident.hpp"

namespace fs = std::filesystem;
using namespace schemac;
using bench::median;
using bench::run;

namespace {

constexpr int kRounds = 3;

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fmt::print(stderr, "usage: import_scale SCHEMAC_BINARY N...\n");
    return 2;
  }
  const std::string schemac = fs::absolute(argv[1]).string();
  const char* pg_dump_env = std::getenv("PG_DUMP");
  const std::string pg_dump = pg_dump_env ? pg_dump_env : "/usr/bin/pg_dump";
  fmt::print("{:>7}  {:>20}  {:>22}  {:>8}  {:>8}  {:>18}  {:>18}\n", "tables", "pg_dump -s (s, MiB)",
             "schemac import (s, MiB)", "ratio", "flagged", "plan --no-cache", "plan, import's cache");
  for (int i = 2; i < argc; ++i) {
    const int n = std::atoi(argv[i]);
    const auto base = fs::temp_directory_path() / fmt::format("schemac_import_scale_{}", getpid());
    const auto declared = base / "declared", imported = base / "imported";
    bench::write_schema(declared, n);
    const std::string db = fmt::format("schemac_import_scale_{}", n);
    Db admin("");
    admin.exec("DROP DATABASE IF EXISTS " + quote_ident(db));
    admin.exec("CREATE DATABASE " + quote_ident(db));
    const std::string url = Db::with_database("", db);
    auto applied = run({schemac, "apply", "--schema", declared.string(), "--database-url", url, "--auto-approve",
                        "--quiet", "--no-cache"});
    if (applied.exit_code != 0) {
      fmt::print(stderr, "schemac apply failed at {} tables\n", n);
      return 1;
    }
    // A database in service has its catalogs' statistics kept by autovacuum;
    // right after 40,000 DDL statements they are stale, and both tools read them.
    Db(url).exec("ANALYZE");
    std::vector<double> dump_s, import_s;
    long dump_kib = 0, import_kib = 0;
    bool failed = false;
    for (int round = 0; round < kRounds; ++round) {
      auto dump = run({pg_dump, "--schema-only", "--file", (base / "dump.sql").string(), url});
      fs::remove_all(imported);
      // A fresh runner's: the plan that checks the flags import recognizes starts with no cache.
      const auto cache = base / fmt::format("cache_{}", round);
      fs::remove_all(cache);
      auto import = run(
          {schemac, "import", "--schema-dir", imported.string(), "--database-url", url, "--cache-dir", cache.string()});
      failed = failed || dump.exit_code != 0 || import.exit_code != 0;
      dump_s.push_back(dump.seconds);
      import_s.push_back(import.seconds);
      dump_kib = std::max(dump_kib, dump.max_rss_kib);
      import_kib = std::max(import_kib, import.max_rss_kib);
    }
    // Tables import declared with their flags (the rest: their objects).
    int flagged = 0;
    for (const auto& f : fs::directory_iterator(imported / "tables")) {
      std::ifstream in(f.path());
      const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      flagged += text.find("\ntenant_scoped    = true\n") != std::string::npos;
    }
    auto planned = run(
        {schemac, "plan", "--schema", imported.string(), "--database-url", url, "--no-cache", "--detailed-exitcode"});
    auto warm = run({schemac, "plan", "--schema", imported.string(), "--database-url", url, "--cache-dir",
                     (base / fmt::format("cache_{}", kRounds - 1)).string(), "--detailed-exitcode"});
    fmt::print("{:>7}  {:>10.2f} {:>9.1f}  {:>12.2f} {:>9.1f}  {:>7.2f}x  {:>8}  {:>13.2f} {:>4}  {:>13.2f} {:>4}{}\n",
               n, median(dump_s), static_cast<double>(dump_kib) / 1024.0, median(import_s),
               static_cast<double>(import_kib) / 1024.0, median(import_s) / median(dump_s), flagged, planned.seconds,
               planned.exit_code, warm.seconds, warm.exit_code, failed ? "  (a command failed)" : "");
    std::fflush(stdout);
    admin.exec(fmt::format("DROP DATABASE {} WITH (FORCE)", quote_ident(db)));
    fs::remove_all(base);
  }
}
