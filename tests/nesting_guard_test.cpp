// Hostile TOML nesting is refused before toml++ sees it: one positioned error, no crash.
#include "schema/nesting_guard.hpp"

#include <doctest/doctest.h>

#include "schema/compile.hpp"
#include "tests/text.hpp"

using namespace schemac;
using schemac::test::repeat;

namespace {
std::string dotted(int parts) {
  std::string out = "a";
  for (int i = 1; i < parts; ++i) out += ".a";
  return out;
}
std::vector<Diagnostic> errors_of(const std::string& text) {
  Diagnostics diags;
  CHECK_FALSE(compile_schema(std::vector<SourceFile>{{"deep.toml", text}}, diags));
  return diags.sorted();
}
}  // namespace

TEST_CASE("a 50,000-part dotted key is one error at the key, not a stack overflow") {
  for (const auto& text : {dotted(50000) + " = 1\n", "[" + dotted(50000) + "]\n", "[[" + dotted(50000) + "]]\n",
                           "x = { " + dotted(50000) + " = 1 }\n"}) {
    auto errors = errors_of(text);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].message == "this key has 50000 dotted parts; schemac accepts at most 64");
    CHECK(errors[0].pos.line == 1);
    CHECK(errors[0].pos.column == static_cast<int>(text.find('a')) + 1);
    CHECK_FALSE(errors[0].help.empty());
  }
}

TEST_CASE("50,000 nested arrays or inline tables are one error at the bracket past the limit") {
  for (const auto& text : {"x = " + repeat("[", 50000) + repeat("]", 50000) + "\n",
                           "x = " + repeat("{a=", 50000) + "1" + repeat("}", 50000)}) {
    auto errors = errors_of(text);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].message == "arrays and inline tables are nested more than 64 levels deep here");
    CHECK(errors[0].pos.line == 1);
    // The 65th opening bracket: "x = " and 64 brackets (or "{a=" groups) before it.
    CHECK(errors[0].pos.column == (text[4] == '[' ? 5 + 64 : 5 + 64 * 3));
  }
}

TEST_CASE("the limits are exact: 64 passes, 65 does not") {
  CHECK_FALSE(check_nesting(dotted(kMaxKeyParts) + " = 1"));
  CHECK(check_nesting(dotted(kMaxKeyParts + 1) + " = 1"));
  CHECK_FALSE(check_nesting("x = " + repeat("[", kMaxValueNesting) + repeat("]", kMaxValueNesting)));
  CHECK(check_nesting("x = " + repeat("[", kMaxValueNesting + 1) + repeat("]", kMaxValueNesting + 1)));
  // Closed brackets do not add up: many shallow values in a row are fine.
  CHECK_FALSE(check_nesting(repeat("x = [[1]]\n", 1000)));
  // Blanks and quoted parts are parts of the same key.
  CHECK(check_nesting(repeat("a . \"b\" . 'c' . ", 22) + "d = 1")->message ==
        "this key has 67 dotted parts; schemac accepts at most 64");
}

TEST_CASE("brackets and dots inside strings and comments are not nesting") {
  const std::string deep = repeat("[{", 100) + repeat(".a", 100);
  CHECK_FALSE(check_nesting("a = \"" + deep + "\"\n"));
  CHECK_FALSE(check_nesting("a = '" + deep + "'\n"));
  CHECK_FALSE(check_nesting("a = \"\"\"\n" + deep + "\n\"\"\"\n"));
  CHECK_FALSE(check_nesting("a = '''\n" + deep + "\n'''\n"));
  CHECK_FALSE(check_nesting("# " + deep + "\na = 1\n"));
  // Escaped quotes do not end a basic string; extra quotes end a multi-line one.
  CHECK_FALSE(check_nesting("a = \"\\\"" + deep + "\"\n"));
  CHECK_FALSE(check_nesting("a = \"\"\" \\\"\"\" " + deep + " \"\"\"\n"));
  CHECK(check_nesting("a = \"\"\"x\"\"\"\" " + repeat("[", 65)));
  // An unterminated single-line string ends at its line: the next line is scanned again.
  CHECK(check_nesting("a = \"" + deep + "\nb = " + repeat("[", 65))->line == 2);
}

TEST_CASE("positions count characters, as toml++ does") {
  auto e = check_nesting("\"é\" = 1\nx = [\"ü\", " + repeat("[", 65));
  REQUIRE(e);
  CHECK(e->line == 2);
  CHECK(e->column == 11 + 63);  // the array at column 5 is the first level
}

TEST_CASE("the deepest file within the limits still parses without a crash") {
  // A 64-part header, then 63 inline tables, each opened by a 64-part key.
  const std::string key = dotted(kMaxKeyParts);
  std::string text = "[" + key + "]\nx = " + repeat("{" + key + " = ", kMaxValueNesting - 1) + "1" +
                     repeat("}", kMaxValueNesting - 1) + "\n";
  auto errors = errors_of(text);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].message == "unknown section 'a'");
}
