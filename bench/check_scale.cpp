// How `schemac check` scales with hostile or huge input: a file of 100,000
// mistakes, 70,000 tables that reference each other, one table of 100,000
// checked columns. Wall time of the schemac binary in a child process.
// Run: build/bench/check_scale build/schemac
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

namespace fs = std::filesystem;

namespace {

std::string mistakes() {
  std::string out = "[tables.t.columns]\nid = { type = \"uuid\", primary_key = true }\n[tables.t]\n";
  for (int i = 0; i < 100000; ++i) out += fmt::format("k{} = 1\n", i);
  return out;
}

std::string linked_tables() {
  std::string out;
  for (int i = 0; i < 70000; ++i) {
    out += fmt::format("[tables.t{}.columns]\nid = {{ type = \"uuid\", primary_key = true }}\n", i);
    if (i > 0)
      out += fmt::format("p = {{ type = \"uuid\", references = \"t{}(id)\", check = \"p IS NOT NULL\" }}\n", i - 1);
  }
  return out;
}

std::string checked_columns() {
  std::string out = "[tables.t.columns]\nid = { type = \"uuid\", primary_key = true }\n";
  for (int i = 0; i < 100000; ++i) out += fmt::format("c{0} = {{ type = \"int\", check = \"c{0} > 0\" }}\n", i);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: check_scale path/to/schemac\n");
    return 2;
  }
  const std::string schemac = argv[1];
  fmt::print("{:<45} {:>8} {:>6}\n", "input", "seconds", "exit");
  for (const auto& [name, text] : {std::pair{"100,000 unknown keys (100 errors printed)", mistakes()},
                                   std::pair{"70,000 tables, each referencing the last", linked_tables()},
                                   std::pair{"one table, 100,000 checked columns", checked_columns()}}) {
    auto file = fs::temp_directory_path() / fmt::format("schemac_check_scale_{}.toml", getpid());
    std::ofstream(file) << text;
    const auto start = std::chrono::steady_clock::now();
    const int status = std::system(fmt::format("{} check --schema {} >/dev/null 2>&1", schemac, file.string()).c_str());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fs::remove(file);
    fmt::print("{:<45} {:>8.2f} {:>6}\n", name, seconds, WEXITSTATUS(status));
  }
  return 0;
}
