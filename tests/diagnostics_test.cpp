// Broken schemas, each with its exact expected messages and positions:
// tests/diagnostics/<case>.toml (or a folder <case>/) and <case>.expect.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "schema/compile.hpp"

namespace fs = std::filesystem;
using namespace schemac;

namespace {
std::string diagnostics_of(const std::string& path) {
  Diagnostics diags;
  auto compiled = compile_schema(path, diags);
  CHECK_FALSE(compiled.has_value());
  std::string out;
  for (const auto& d : diags.sorted()) out += d.pos.str() + ": error: " + d.message + "\n";
  return out;
}
}  // namespace

TEST_CASE("every broken schema gets exactly its expected errors, positions and nothing more") {
  REQUIRE(chdir(SOURCE_DIR "/tests/diagnostics") == 0);
  std::vector<std::string> cases;
  for (const auto& e : fs::directory_iterator("."))
    if (e.path().extension() != ".expect") cases.push_back(e.path().filename().string());
  std::sort(cases.begin(), cases.end());
  CHECK(cases.size() >= 30);
  for (const auto& c : cases) {
    auto expect_path = fs::path(c).stem().string() + ".expect";
    if (fs::is_directory(c)) expect_path = c + ".expect";
    std::ifstream in(expect_path);
    INFO("case " << c << " (expectations in " << expect_path << ")");
    REQUIRE(in.good());
    std::stringstream expected;
    expected << in.rdbuf();
    CHECK(diagnostics_of(c) == expected.str());
  }
}

TEST_CASE("help lines say what to write instead") {
  REQUIRE(chdir(SOURCE_DIR "/tests/diagnostics") == 0);
  Diagnostics diags;
  compile_schema("01-unknown-table-key.toml", diags);
  auto rendered = diags.render();
  CHECK(rendered.find("help: did you mean 'soft_delete'?") != std::string::npos);
  // The offending line, with a caret under the key.
  CHECK(rendered.find(" 2 | soft_delet = true\n   | ^\n") != std::string::npos);
  CHECK(rendered.find("1 error found; nothing was sent to the database") != std::string::npos);
}

TEST_CASE("the example schema compiles without errors") {
  Diagnostics diags;
  auto compiled = compile_schema(SOURCE_DIR "/examples/saas/schema", diags);
  INFO(diags.render());
  REQUIRE(compiled.has_value());
  const auto* keys = compiled->catalog.table({"public", "api_keys"});
  REQUIRE(keys);
  // Column order follows the source, flag columns after the declared ones.
  std::vector<std::string> columns;
  for (const auto& c : keys->columns) columns.push_back(c.name);
  CHECK(columns == std::vector<std::string>{"id", "name", "key_hash", "revoked", "created_at", "last_used_at",
                                            "organization_id", "deleted_at", "updated_at"});
  CHECK(keys->index("idx_api_keys_hash")->where == "(revoked = false) AND deleted_at IS NULL");
  // A declared index leading with the tenancy column stands in for the generated one.
  CHECK(keys->index("idx_api_keys_tenant") == nullptr);
  CHECK(keys->policy("api_keys_tenant_select")->using_expr ==
        "\"organization_id\" = ((select auth.jwt()) ->> 'organization_id')::uuid AND deleted_at IS NULL");
  CHECK(keys->policy("api_keys_tenant_insert")->check_expr ==
        "\"organization_id\" = ((select auth.jwt()) ->> 'organization_id')::uuid");
  CHECK(keys->trigger("t_api_keys_touch"));
  CHECK(keys->trigger("t_api_keys_audit_update")->referencing ==
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows");
  CHECK(keys->rls_enabled);
  CHECK(keys->rls_forced);
  const auto* people = compiled->catalog.table({"public", "people"});
  // soft_delete turned the unique constraint into a partial unique index of the same name.
  CHECK(people->constraint("people_organization_id_email_key") == nullptr);
  CHECK(people->index("people_organization_id_email_key")->unique);
  CHECK(people->index("idx_people_tenant"));
}

namespace {
std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto i = text.find(what); i != std::string::npos; i = text.find(what, i + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("100,000 errors: the first 100 in position order, then how many more") {
  std::string text = "[tables.t.columns]\nid = { type = \"uuid\", primary_key = true }\n[tables.t]\n";
  for (int i = 0; i < 100000; ++i) text += "k" + std::to_string(i) + " = 1\n";
  Diagnostics diags;
  CHECK_FALSE(compile_schema(std::vector<SourceFile>{{"many.toml", text}}, diags));
  CHECK(diags.size() == 100000);
  auto rendered = diags.render();
  CHECK(count(rendered, ": error: ") == 100);
  CHECK(rendered.rfind("many.toml:4:1: error: unknown key 'k0' in table t\n", 0) == 0);
  CHECK(rendered.find("many.toml:103:1: error: unknown key 'k99' in table t\n 103 | k99 = 1\n     | ^\n") !=
        std::string::npos);
  CHECK(rendered.find("'k100'") == std::string::npos);
  CHECK(rendered.ends_with("\nand 99900 more errors\n100000 errors found; nothing was sent to the database\n"));
}

TEST_CASE("errors are printed in position order whatever order they were found in") {
  Diagnostics diags;
  std::string text;
  for (int line = 1; line <= 101; ++line) text += "line " + std::to_string(line) + "\n";
  diags.add_source("f.toml", text);
  for (int line = 101; line >= 1; --line) diags.error({"f.toml", line, 1}, "at line " + std::to_string(line));
  auto rendered = diags.render();
  CHECK(rendered.rfind("f.toml:1:1: error: at line 1\n 1 | line 1\n", 0) == 0);
  CHECK(rendered.find("f.toml:100:1: error: at line 100\n 100 | line 100\n") != std::string::npos);
  CHECK(rendered.find("at line 101") == std::string::npos);
  CHECK(rendered.ends_with("\nand 1 more error\n101 errors found; nothing was sent to the database\n"));
  // Exactly at the cap: no "more" line.
  Diagnostics hundred;
  for (int line = 1; line <= 100; ++line) hundred.error({"f.toml", line, 1}, "x");
  CHECK(hundred.render().find("more error") == std::string::npos);
}

TEST_CASE("'did you mean' is worked out for the errors that are printed, not for 5,000") {
  std::string text = "[tables.t.columns]\nid = { type = \"uuid\", primary_key = true }\n";
  for (int i = 0; i < 5000; ++i) text += "c" + std::to_string(i) + " = \"int\"\n";
  text += "[tables.t.indexes]\n";
  for (int i = 0; i < 5000; ++i)
    text += "i" + std::to_string(i) + " = { columns = [\"x" + std::to_string(i) + "\"] }\n";
  Diagnostics diags;
  CHECK_FALSE(compile_schema(std::vector<SourceFile>{{"wide.toml", text}}, diags));
  const auto errors = diags.sorted();
  CHECK(errors.size() == 5000);
  CHECK(errors.front().help == "did you mean 'c0'?");
  CHECK(std::count_if(errors.begin(), errors.end(), [](const Diagnostic& d) { return !d.help.empty(); }) ==
        static_cast<long>(kMaxPrintedErrors));
}
