#include "schema/sql_syntax.hpp"

#include <doctest/doctest.h>

#include "schema/compile.hpp"
#include "schema/reference.hpp"

using namespace schemac;

TEST_CASE("SQL fragments are parsed by PostgreSQL's own parser") {
  CHECK_FALSE(check_sql(SqlFragment::Expression, "length(trim(name)) > 0"));
  CHECK_FALSE(check_sql(SqlFragment::Type, "numeric(12,2)"));
  CHECK_FALSE(check_sql(SqlFragment::Type, "text[]"));
  CHECK_FALSE(check_sql(SqlFragment::IndexKey, "created_at DESC NULLS LAST"));
  CHECK_FALSE(check_sql(SqlFragment::IndexKey, "lower(email)"));
  auto err = check_sql(SqlFragment::Expression, "a >> > 0");
  REQUIRE(err);
  CHECK(err->offset == 5);
  CHECK(check_sql(SqlFragment::Expression, "   "));
  CHECK(check_sql(SqlFragment::Expression, "1); DROP TABLE x; SELECT (1"));
}

TEST_CASE("columns an expression reads, outside sub-queries") {
  CHECK(referenced_columns(SqlFragment::Expression, "a = 1 AND b IN (SELECT c FROM t)") ==
        std::vector<std::string>{"a", "b"});
  CHECK(referenced_columns(SqlFragment::Expression, "t.a = 1").empty());
}

TEST_CASE("plain index columns and their ordering") {
  CHECK(plain_index_column("created_at DESC") == std::optional<std::string>("created_at"));
  CHECK(plain_index_column("\"Weird Name\" ASC NULLS FIRST") == std::optional<std::string>("Weird Name"));
  CHECK_FALSE(plain_index_column("lower(email)"));
  CHECK_FALSE(plain_index_column("a + b"));
}

TEST_CASE("the tenant predicate reads the claim once per statement, nested paths included") {
  Settings s;
  CHECK(tenant_predicate(s, "org") == "org = ((select auth.jwt()) ->> 'organization_id')::uuid");
  s.tenancy.claim = "app_metadata.org_id";
  CHECK(tenant_predicate(s, "org") == "org = ((select auth.jwt()) -> 'app_metadata' ->> 'org_id')::uuid");
}

TEST_CASE("table references and on_delete actions are read in one place") {
  auto r = parse_table_reference("billing.invoice_lines(invoice_id, line_no)");
  REQUIRE(r);
  CHECK(r->table == QualifiedName{"billing", "invoice_lines"});
  CHECK(r->columns == std::vector<std::string>{"invoice_id", "line_no"});
  CHECK(parse_table_reference("organizations")->columns.empty());
  CHECK(parse_table_reference("organizations")->table.schema.empty());
  CHECK_FALSE(parse_table_reference("organizations(id"));
  CHECK_FALSE(parse_table_reference("(id)"));
  CHECK_FALSE(parse_table_reference("t(a,)"));
  CHECK(on_delete_sql("set null") == "SET NULL");
  CHECK(on_delete_sql("no action").empty());
}

TEST_CASE("a column rename is applied to printed definitions the way PostgreSQL prints them") {
  CHECK(rename_column("CREATE INDEX idx_t_email ON public.t USING btree (email) WHERE (deleted_at IS NULL)", "email",
                      "address") ==
        "CREATE INDEX idx_t_email ON public.t USING btree (address) WHERE (deleted_at IS NULL)");
  // Function names, type names, string literals and other tables' columns stay.
  CHECK(rename_column("CHECK ((length(status) > 0) AND (status <> 'status'::text))", "status", "state") ==
        "CHECK ((length(state) > 0) AND (state <> 'status'::text))");
  CHECK(rename_column("CHECK ((lower(name) = name))", "lower", "small") == "CHECK ((lower(name) = name))");
  CHECK(rename_column("CHECK ((x)::text <> ''::text)", "text", "body") == "CHECK ((x)::text <> ''::text)");
  CHECK(rename_column("UNIQUE (organization_id, email)", "email", "login") == "UNIQUE (organization_id, login)");
  // Quoted on the way in and, when PostgreSQL would quote it, on the way out.
  CHECK(rename_column("CREATE INDEX i ON public.t USING btree (\"Email\")", "Email", "user") ==
        "CREATE INDEX i ON public.t USING btree (\"user\")");
  CHECK(rename_column("CREATE INDEX i ON public.t USING btree (\"user\" DESC)", "user", "name") ==
        "CREATE INDEX i ON public.t USING btree (name DESC)");
  CHECK(rename_column("CREATE INDEX i ON public.t USING btree (name)", "name", "Title") ==
        "CREATE INDEX i ON public.t USING btree (\"Title\")");
}
