// Finding 8: hostile declarations, run through `schemac check` as a CI job
// runs it on a pull request's files. None may crash schemac, and none may
// smuggle SQL into CREATE TABLE through a type, an index key or a check.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <string>

#include "tests/process.hpp"
#include "tests/security/attacker.hpp"
#include "tests/text.hpp"

using namespace schemac::test;

namespace {

// Exit code and output of `schemac check` on text; a crash shows as -1 or 128 + signal.
CliRun check_text(const std::string& name, const std::string& text) {
  auto path = write_temp(name + ".toml", text);
  CliRun r{0, {}};
  r.code = run_command(fmt::format("{} check --schema {} 2>&1", SCHEMAC_BIN, shell_quote(path)), r.out);
  return r;
}

const std::string kTable = "[tables.t.columns]\nid = { type = \"int\", primary_key = true }\na = \"int\"\n";

}  // namespace

TEST_CASE("hostile nesting is one positioned error, never a crash") {
  struct Case {
    const char* what;
    std::string text;
    std::string message;
  };
  for (const auto& c : {
           Case{"a 50,000-part dotted key", "a" + repeat(".a", 50000) + " = 1\n",
                ":1:1: error: this key has 50001 dotted parts; schemac accepts at most 64"},
           Case{"100,000 nested arrays", "x = " + repeat("[", 100000) + repeat("]", 100000) + "\n",
                "error: arrays and inline tables are nested more than 64 levels deep here"},
           Case{"a 20,000-term check", kTable + "[tables.t.checks]\nc = \"" + repeat("a", 20000, " + ") + " > 0\"\n",
                "error: check c nests more than 256 levels deep"},
           Case{"100,000 nested parentheses in a policy",
                kTable + "[tables.t.policies.p]\nusing = \"" + repeat("(", 100000) + "true" + repeat(")", 100000) +
                    "\"\n",
                "nests more than 256 levels deep"},
       }) {
    INFO(c.what);
    auto r = check_text("hostile", c.text);
    CHECK(r.code == 1);
    CHECK(r.out.find(c.message) != std::string::npos);
    CHECK(r.out.find("1 error found; nothing was sent to the database") != std::string::npos);
  }
}

TEST_CASE("a type, an index key or a check cannot smuggle clauses into CREATE TABLE") {
  auto r = check_text("smuggle",
                      "[tables.t.columns]\nid = { type = \"int, evil int\", primary_key = true }\n"
                      "b = { type = \"int DEFAULT 1 CHECK (false)\" }\n"
                      "[tables.t.indexes]\ni = { columns = [\"id) WHERE (true\"] }\n"
                      "[tables.t.checks]\nc = \"true) OR (true\"\n");
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK(r.out.find(":2:19: error: the type of column t.id must be exactly one type name; a comma starts another "
                   "column") != std::string::npos);
  CHECK(r.out.find(":3:19: error: the type of column t.b must be exactly one type name, with no clauses after it") !=
        std::string::npos);
  CHECK(r.out.find(":5:21: error: index i key 'id) WHERE (true' closes a parenthesis it did not open") !=
        std::string::npos);
  CHECK(r.out.find(":7:10: error: check c closes a parenthesis it did not open") != std::string::npos);
}
