// Plan time and memory as the schema grows: N tenant-scoped tables with all
// four flags, each planned by the schemac binary in a child process (wall time
// and peak RSS of that process).
// Run: pg_virtualenv -t -o logging_collector=on build/bench/plan_scale build/schemac 100 500 2000
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "compiler/catalog/introspect.hpp"
#include "compiler/db.hpp"
#include "schema/ident.hpp"

namespace fs = std::filesystem;
using namespace schemac;

namespace {

struct Run {
  double seconds = 0;
  long max_rss_kib = 0;
  int exit_code = -1;
};

Run run(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::fflush(stdout);  // or the child inherits, and later prints, our buffered output
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  Run r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.max_rss_kib = usage.ru_maxrss;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

void write_schema(const fs::path& dir, int tables) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "00_project.toml")
      << "[project]\ntarget = \"postgres\"\n\n[tables.organizations.columns]\n"
         "id = { type = \"uuid\", primary_key = true, default = \"gen_random_uuid()\" }\n"
         "name = { type = \"text\" }\n";
  for (int i = 0; i < tables; ++i) {
    std::ofstream out(dir / fmt::format("t{:04}.toml", i));
    out << fmt::format(
        "[tables.t{0}]\ntenant_scoped = true\nsoft_delete = true\naudited = true\ntouch_updated_at = true\n\n"
        "[tables.t{0}.columns]\n"
        "id = {{ type = \"uuid\", primary_key = true, default = \"gen_random_uuid()\" }}\n"
        "name = {{ type = \"text\", check = \"length(name) > 0\" }}\n"
        "status = {{ type = \"text\", default = \"'new'\" }}\n"
        "amount = {{ type = \"numeric(12,2)\", default = 0 }}\n"
        "created_at = {{ type = \"timestamptz\", default = \"now()\" }}\n\n"
        "[tables.t{0}.indexes]\n"
        "idx_t{0}_recent = {{ columns = [\"organization_id\", \"created_at DESC\"] }}\n"
        "idx_t{0}_open = {{ columns = [\"status\"], where = \"status <> 'done'\" }}\n",
        i);
  }
}

}  // namespace

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
