#pragma once
// What the scale benchmarks share: a command timed in a child process, and a
// schema of N tenant-scoped tables with all four flags.
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace schemac::bench {

namespace fs = std::filesystem;

// Wall time and peak RSS of the child process; its output goes to /dev/null.
struct Run {
  double seconds = 0;
  long max_rss_kib = 0;
  int exit_code = -1;
};

inline Run run(const std::vector<std::string>& args) {
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

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// N flagged tables t0000..., in one file each, beside 00_project.toml.
inline void write_schema(const fs::path& dir, int tables) {
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

}  // namespace schemac::bench
