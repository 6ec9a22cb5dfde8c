// Hostile SQL fragments: nested too deeply to parse safely, or reaching
// outside the clause they are pasted into.
#include <doctest/doctest.h>

#include "schema/compile.hpp"
#include "schema/sql_syntax.hpp"
#include "tests/text.hpp"

using namespace schemac;
using schemac::test::repeat;

namespace {
// `term` joined by `n` operators.
std::string chain(int n, const std::string& term = "a", const std::string& op = " + ") {
  return term + repeat(op + term, n);
}
std::string parens(int n) {
  return repeat("(", n) + "a" + repeat(")", n);
}

// A table with column a (and rls, for policies), plus `extra` TOML lines.
std::vector<Diagnostic> errors_of(const std::string& extra) {
  Diagnostics diags;
  auto compiled = compile_schema(
      std::vector<SourceFile>{
          {"t.toml",
           "[tables.t]\nrls = true\n[tables.t.columns]\nid = { type = \"uuid\", primary_key = true }\n" + extra}},
      diags);
  CHECK(compiled.has_value() == diags.empty());
  return diags.sorted();
}
// A TOML basic string holding `text`.
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) out += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
  return out + "\"";
}
// `expression` as a default, a check, an index key and predicate, and a policy's using and with_check.
std::vector<Diagnostic> errors_in_every_place(const std::string& expression) {
  const auto q = quoted(expression);
  return errors_of("a = { type = \"int\", default = " + q + " }\n[tables.t.checks]\nc = " + q +
                   "\n[tables.t.indexes]\ni = { columns = [" + quoted("(" + expression + ")") + "], where = " + q +
                   " }\n[tables.t.policies]\nr = { for = \"select\", using = " + q +
                   " }\nw = { for = \"insert\", with_check = " + q + " }\n");
}
}  // namespace

TEST_CASE("a 20,000-term expression is one error in each place it is written, not a crash") {
  // Quoted or unknown names take the path that walks the parse tree.
  for (const auto& deep : {chain(20000) + " > 0", chain(20000, "\"a\"") + " > 0", chain(20000, "zz", " || ") + " = ''",
                           parens(20000), chain(20000, "a", "::int + ") + " > 0"}) {
    INFO(deep.substr(0, 20));
    auto errors = errors_in_every_place(deep);
    CHECK(errors.size() == 6);  // default, check, index key, index where, using, with_check
    for (const auto& e : errors) CHECK(e.message.ends_with(" nests more than 256 levels deep"));
  }
  auto type = errors_of("a = \"numeric" + repeat("(", 20000) + repeat(")", 20000) + "\"\n");
  REQUIRE(type.size() == 1);
  CHECK(type[0].message == "the type of column t.a nests more than 256 levels deep");
}

TEST_CASE("long but flat fragments pass: IN lists, AND/OR lists, arrays") {
  std::string in_list = "a IN (0";
  for (int i = 1; i < 2000; ++i) in_list += ", " + std::to_string(i);
  in_list += ")";
  CHECK(errors_in_every_place(in_list).empty());
  CHECK(errors_in_every_place(chain(200) + " > 0").empty());
  CHECK(errors_in_every_place(chain(20000, "a = 1", " AND ")).empty());
  CHECK(errors_in_every_place(chain(20000, "a = 1", " OR ")).empty());
  CHECK(errors_in_every_place("a = ANY(ARRAY[" + chain(2000, "1", ", ") + "])").empty());
  CHECK(errors_in_every_place("CASE" + repeat(" WHEN a = 1 THEN true", 2000) + " ELSE false END").empty());
}

TEST_CASE("the nesting limit is exact, and the error points at the token past it") {
  CHECK_FALSE(check_sql(SqlFragment::Expression, chain(kMaxSqlNesting)));
  auto e = check_sql(SqlFragment::Expression, chain(kMaxSqlNesting + 1));
  REQUIRE(e);
  CHECK(e->message == "nests more than 256 levels deep");
  CHECK(e->offset == 4 * kMaxSqlNesting + 2);  // the 257th "+"
  CHECK_FALSE(e->help.empty());
  CHECK_FALSE(check_sql(SqlFragment::Expression, parens(kMaxSqlNesting)));
  CHECK(check_sql(SqlFragment::Expression, parens(kMaxSqlNesting + 1)));
  // Separators end a chain; closing a level gives its depth back.
  CHECK_FALSE(check_sql(SqlFragment::Expression, repeat("(" + chain(200) + ") > 0 AND ", 100) + "true"));
  CHECK_FALSE(check_sql(SqlFragment::Expression, "f(" + repeat("(" + chain(200) + "), ", 100) + "a) > 0"));
  CHECK(check_sql(SqlFragment::Expression, repeat("(" + chain(200) + ") + ", 100) + "a"));  // 100 + 200 deep
}

TEST_CASE("trees too deep to print are not walked: allowed ones are, columns and calls included") {
  CHECK(referenced_columns(SqlFragment::Expression, chain(20000, "\"a\"")).empty());
  CHECK(called_functions(SqlFragment::Expression, chain(20000, "f(a)")).empty());
  CHECK(referenced_columns(SqlFragment::Expression, chain(200, "x") + " + y") == std::vector<std::string>{"x", "y"});
  CHECK(called_functions(SqlFragment::Expression, chain(200, "lower(x)") + " || upper(y)") ==
        std::vector<std::string>{"lower", "upper"});
}

TEST_CASE("a column type is exactly one type name") {
  for (const auto* type : {"text", "numeric(12,2)", "text[]", "timestamp with time zone", "timestamp(3) with time zone",
                           "double precision", "character varying(10)[]", "int ARRAY[3]", "interval day to second",
                           "public.my_enum", "\"char\"", "bit varying(5)"}) {
    INFO(type);
    CHECK_FALSE(check_sql(SqlFragment::Type, type));
  }
  struct Case {
    const char* type;
    const char* message;
    int offset;
  };
  for (const auto& c : {
           Case{"int, evil int", "must be exactly one type name; a comma starts another column", 3},
           Case{"int DEFAULT 1 CHECK (false)", "must be exactly one type name, with no clauses after it", 4},
           Case{"int NOT NULL", "must be exactly one type name, with no clauses after it", 4},
           Case{"int PRIMARY KEY", "must be exactly one type name, with no clauses after it", 4},
           Case{"text COLLATE \"C\"", "must be exactly one type name, with no clauses after it", 5},
           Case{"text COMPRESSION pglz", "must be exactly one type name, with no clauses after it", 5},
           Case{"int GENERATED ALWAYS AS (1) STORED", "must be exactly one type name, with no clauses after it", 4},
           Case{"int REFERENCES other(id)", "must be exactly one type name, with no clauses after it", 4},
           Case{"setof int", "must be exactly one type name; SETOF is for function results", 0},
           Case{"int) INHERITS (other", "closes a parenthesis it did not open", 3},
       }) {
    INFO(c.type);
    auto e = check_sql(SqlFragment::Type, c.type);
    REQUIRE(e);
    CHECK(e->message == c.message);
    CHECK(e->offset == c.offset);
    CHECK_FALSE(e->help.empty());
  }
  // Through the front end: no extra column, one error at the comma.
  auto errors = errors_of("price = { type = \"int, evil int\" }\n");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].pos.line == 5);
  CHECK(errors[0].pos.column == 22);
  auto tenancy = errors_of("[tenancy]\ntype = \"uuid DEFAULT gen_random_uuid()\"\n");
  REQUIRE(tenancy.size() == 1);
  CHECK(tenancy[0].message == "tenancy.type must be exactly one type name, with no clauses after it");
}

TEST_CASE("an index key is exactly one key") {
  for (const auto* key :
       {"a", "a DESC NULLS LAST", "a COLLATE \"C\" text_pattern_ops DESC", "lower(a)", "(a + 1)", "coalesce(a, b)"}) {
    INFO(key);
    CHECK_FALSE(check_sql(SqlFragment::IndexKey, key));
  }
  CHECK(check_sql(SqlFragment::IndexKey, "a, b")->message == "must be exactly one index key; a comma starts another");
  CHECK(check_sql(SqlFragment::IndexKey, "a) WHERE (true")->message == "closes a parenthesis it did not open");
  CHECK(check_sql(SqlFragment::IndexKey, "a) INCLUDE (b")->offset == 1);
  CHECK(check_sql(SqlFragment::IndexKey, "a), (b"));
  CHECK(check_sql(SqlFragment::IndexKey, "a); DROP TABLE x; --"));
}

TEST_CASE("an expression is exactly one expression") {
  for (const auto* expr : {"length(trim(name)) > 0", "(SELECT 1)", "EXISTS (SELECT 1 FROM x WHERE y)",
                           "(a, b) IS NOT NULL", "a = ANY(ARRAY[1,2]) AND b[1] > 0", "CASE WHEN a THEN 1 ELSE 2 END",
                           "'a)' || \"b)\" = ')'", "now()", "'draft'", "1 /* ) */"}) {
    INFO(expr);
    CHECK_FALSE(check_sql(SqlFragment::Expression, expr));
  }
  auto widened = check_sql(SqlFragment::Expression, "true) OR (true");
  REQUIRE(widened);
  CHECK(widened->message == "closes a parenthesis it did not open");
  CHECK(widened->offset == 4);
  CHECK(check_sql(SqlFragment::Expression, "1); DROP TABLE x; --")->message ==
        "is not valid SQL: must be a single SQL fragment, not several statements");
  CHECK(check_sql(SqlFragment::Expression, "1), (2")->message == "closes a parenthesis it did not open");
  CHECK(check_sql(SqlFragment::Expression, "a > (0")->message.starts_with("is not valid SQL: "));
  for (const auto* list_or_query : {"a, b", "SELECT 1", "(SELECT 1) UNION (SELECT 2)", "VALUES (1)"}) {
    INFO(list_or_query);
    auto e = check_sql(SqlFragment::Expression, list_or_query);
    REQUIRE(e);
    CHECK(e->message == "must be exactly one SQL expression");
  }
}
