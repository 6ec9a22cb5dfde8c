// Plan time and memory as the schema grows: N tenant-scoped tables with all
// four flags, each planned by the schemac binary in a child process (wall time
// and peak RSS of that process).
// Run: pg_virtualenv -t -o logging_collector=on build/bench/plan_scale build/schemac 100 500 2000
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
using bench::run;
using bench::write_schema;

int main(int argc, char** argv) {
  if (argc < 3) {
    fmt::print(stderr, "usage: plan_scale SCHEMAC_BINARY N...\n");
    return 2;
  }
  const std::string schemac = fs::absolute(argv[1]).string();
  fmt::print("{:>7}  {:>22}  {:>14}  {:>22}  {:>22}  {:>22}  {:>16}  {:>18}\n", "tables", "cold plan (s, MiB)",
             "apply (s)", "no-op plan (s, MiB)", "no-op, no cache (s)", "10 tables changed (s)", "of which: check",
             "catalog read (s)");
  for (int i = 2; i < argc; ++i) {
    const int n = std::atoi(argv[i]);
    auto dir = fs::temp_directory_path() / fmt::format("schemac_scale_{}", getpid());
    auto cache = fs::temp_directory_path() / fmt::format("schemac_scale_cache_{}", getpid());
    fs::remove_all(cache);
    write_schema(dir, n);
    const std::string db = fmt::format("schemac_scale_{}", n);
    Db admin("");
    admin.exec("DROP DATABASE IF EXISTS " + quote_ident(db));
    admin.exec("CREATE DATABASE " + quote_ident(db));
    const std::string url = Db::with_database("", db);
    auto plan = [&](bool use_cache) {
      std::vector<std::string> args = {schemac, "plan", "--schema", dir.string(), "--database-url", url};
      if (use_cache)
        args.insert(args.end(), {"--cache-dir", cache.string()});
      else
        args.push_back("--no-cache");
      return run(args);
    };
    auto cold = plan(true);
    auto applied = run({schemac, "apply", "--schema", dir.string(), "--database-url", url, "--auto-approve", "--quiet",
                        "--cache-dir", cache.string()});
    auto noop = plan(true);
    auto uncached = plan(false);
    // What a no-op plan is made of: compiling the declarations (schemac check)
    // and reading the catalog (in this process, the reader plan uses).
    auto checked = run({schemac, "check", "--schema", dir.string()});
    double catalog_seconds = 0;
    {
      Db live(url);
      const auto started = std::chrono::steady_clock::now();
      read_catalog(live, {{"public"}, {}, {}});
      catalog_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    }
    for (int k = 0; k < 10; ++k)
      std::ofstream(dir / fmt::format("t{:04}.toml", k), std::ios::app)
          << fmt::format("idx_t{}_name = {{ columns = [\"name\"] }}\n", k);
    auto changed = plan(true);
    fmt::print(
        "{:>7}  {:>12.2f} {:>9.1f}  {:>14.2f}  {:>12.2f} {:>9.1f}  {:>22.2f}  {:>22.2f}  {:>16.2f}  {:>18.2f}{}\n", n,
        cold.seconds, static_cast<double>(cold.max_rss_kib) / 1024.0, applied.seconds, noop.seconds,
        static_cast<double>(noop.max_rss_kib) / 1024.0, uncached.seconds, changed.seconds, checked.seconds,
        catalog_seconds,
        cold.exit_code || applied.exit_code || noop.exit_code || changed.exit_code ? "  (a command failed)" : "");
    std::fflush(stdout);
    admin.exec(fmt::format("DROP DATABASE {} WITH (FORCE)", quote_ident(db)));
    fs::remove_all(dir);
    fs::remove_all(cache);
  }
}
