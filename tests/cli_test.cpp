// The binary as users run it: exit codes, and no crash on any input.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "tests/run_command.hpp"

namespace fs = std::filesystem;

namespace {
struct Run {
  int code = -1;
  bool signaled = false;
  std::string output;
};

Run run(const std::string& args) {
  Run r;
  r.code = schemac::test::run_command(fmt::format("{} {} 2>&1", SCHEMAC_BIN, args), r.output);
  r.signaled = r.code < 0 || r.code >= 128;
  return r;
}
}  // namespace

TEST_CASE("--version prints the version and exits 0, without a subcommand") {
  auto v = run("--version");
  CHECK(v.code == 0);
  CHECK(v.output == std::string("schemac ") + SCHEMAC_VERSION + "\n");
}

TEST_CASE("check: exit 0 for a good schema, 1 with file:line:col for a bad one") {
  auto good = run("check --schema " SOURCE_DIR "/examples/saas/schema");
  CHECK(good.code == 0);
  auto bad = run("check --schema " SOURCE_DIR "/tests/diagnostics/01-unknown-table-key.toml");
  CHECK(bad.code == 1);
  CHECK(bad.output.find("01-unknown-table-key.toml:2:1: error: unknown key 'soft_delet' in table api_keys") !=
        std::string::npos);
}

TEST_CASE("check never crashes: random bytes, truncated and mutated schemas") {
  auto dir = fs::temp_directory_path() / fmt::format("schemac_fuzz_{}", getpid());
  fs::create_directories(dir);
  std::mt19937 rng(42);
  std::string seed;
  for (const auto& e : fs::directory_iterator(SOURCE_DIR "/examples/saas/schema")) {
    std::ifstream in(e.path());
    seed += std::string(std::istreambuf_iterator<char>(in), {});
  }
  for (int i = 0; i < 60; ++i) {
    std::string text = seed;
    if (i % 3 == 0)
      text = text.substr(0, rng() % text.size());  // truncated
    else if (i % 3 == 1)
      for (int k = 0; k < 20; ++k) text[rng() % text.size()] = static_cast<char>(rng() % 256);  // mutated bytes
    else {
      text.assign(rng() % 2000, '\0');
      for (auto& c : text) c = static_cast<char>(rng() % 256);  // junk
    }
    auto file = dir / fmt::format("case{}.toml", i);
    std::ofstream(file, std::ios::binary) << text;
    auto r = run("check --schema " + file.string());
    INFO("case " << i << ": " << r.output.substr(0, 400));
    CHECK_FALSE(r.signaled);
    CHECK((r.code == 0 || r.code == 1));
  }
  fs::remove_all(dir);
}

TEST_CASE("check on 100,000 mistakes prints 100 of them and the count") {
  auto file = fs::temp_directory_path() / fmt::format("schemac_many_{}.toml", getpid());
  {
    std::ofstream out(file);
    out << "[tables.t.columns]\nid = { type = \"uuid\", primary_key = true }\n[tables.t]\n";
    for (int i = 0; i < 100000; ++i) out << "k" << i << " = 1\n";
  }
  auto r = run("check --schema " + file.string());
  fs::remove(file);
  CHECK(r.code == 1);
  std::size_t printed = 0;
  for (auto i = r.output.find(": error: "); i != std::string::npos; i = r.output.find(": error: ", i + 1)) ++printed;
  CHECK(printed == 100);
  CHECK(r.output.ends_with("\nand 99900 more errors\n100000 errors found; nothing was sent to the database\n"));
}

TEST_CASE("a missing schema path is an error that says what to do") {
  auto r = run("check --schema /nonexistent/schema");
  CHECK(r.code == 1);
  CHECK(r.output.find("schema path /nonexistent/schema does not exist") != std::string::npos);
}

TEST_CASE("plan --from diffs two declaration sets without any database") {
  // PGHOST points nowhere: a connection attempt would fail the command.
  auto r = run("plan --from " SOURCE_DIR "/tests/acceptance/01-add-nullable-column/schema.toml --schema " SOURCE_DIR
               "/tests/acceptance/18-add-check/schema.toml --format text --detailed-exitcode "
               "--database-url 'host=/nonexistent port=1'");
  INFO(r.output);
  CHECK(r.code == 2);
  CHECK(r.output.find("add check items_qty_not_negative without checking existing rows") != std::string::npos);
  CHECK(r.output.find("drop undeclared column note") != std::string::npos);
  CHECK(r.output.find("deletes-data (blocks apply)") != std::string::npos);
  auto same = run("plan --from " SOURCE_DIR "/examples/saas/schema --schema " SOURCE_DIR
                  "/examples/saas/schema --detailed-exitcode --database-url 'host=/nonexistent port=1'");
  CHECK(same.code == 0);
  CHECK(same.output.find("No changes") != std::string::npos);
}

TEST_CASE("plan --format markdown highlights blocking hazards and fences the SQL") {
  auto r = run("plan --from " SOURCE_DIR "/tests/acceptance/01-add-nullable-column/schema.toml --schema " SOURCE_DIR
               "/tests/acceptance/18-add-check/schema.toml --format markdown");
  CHECK(r.code == 0);
  CHECK(r.output.rfind("### schemac plan\n", 0) == 0);
  CHECK(r.output.find("> [!CAUTION]\n> **Apply stops at these hazards** until each is allowed with "
                      "`--allow-hazard`:\n> - **`deletes-data`** on `public.items` (step ") != std::string::npos);
  CHECK(r.output.find("```sql\n") != std::string::npos);
}
