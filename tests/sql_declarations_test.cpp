// .sql declaration files: each statement named, positioned, or refused with
// what to write instead; hostile files refused without a crash.
#include "schema/sql_declarations.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "schema/compile.hpp"
#include "schema/sql_written.hpp"
#include "tests/text.hpp"

using namespace schemac;
using schemac::test::repeat;

template <>
struct doctest::StringMaker<SourcePos> {
  static doctest::String convert(const SourcePos& p) { return p.str().c_str(); }
};

namespace {

struct Parsed {
  std::vector<SqlDeclaration> statements;
  std::vector<Diagnostic> errors;
};

Parsed parse(const std::string& text, const std::string& file = "decl.sql") {
  Diagnostics diags;
  Parsed out;
  out.statements = parse_sql_declarations(SourceFile{file, text}, diags);
  out.errors = diags.sorted();
  return out;
}

// The one statement `text` declares, with no error.
SqlDeclaration one(const std::string& text) {
  auto p = parse(text);
  INFO(text);
  for (const auto& e : p.errors) INFO(e.pos.str() << ": " << e.message);
  CHECK(p.errors.empty());
  REQUIRE(p.statements.size() == 1);
  return p.statements[0];
}

// The one error `text` gets, with no statement declared.
Diagnostic refused(const std::string& text) {
  auto p = parse(text);
  INFO(text);
  CHECK(p.statements.empty());
  REQUIRE(p.errors.size() == 1);
  CHECK_FALSE(p.errors[0].help.empty());
  return p.errors[0];
}

struct Expected {
  std::string sql, kind;
  QualifiedName name, table;
  std::string statement = {};  // empty: not checked
};

void check_all(const std::vector<Expected>& cases) {
  for (const auto& c : cases) {
    INFO(c.sql);
    auto d = one(c.sql);
    CHECK(d.kind == c.kind);
    CHECK(d.name == c.name);
    CHECK(d.table == c.table);
    if (!c.statement.empty()) CHECK(d.statement == c.statement);
  }
}

}  // namespace

TEST_CASE("tables, views, types and sequences: their kind and name") {
  check_all({
      {"CREATE TABLE orders (id uuid PRIMARY KEY)", "table", {"", "orders"}, {}, "CreateStmt"},
      {"create table sales.orders (id int)", "table", {"sales", "orders"}, {}, "CreateStmt"},
      {"CREATE UNLOGGED TABLE sales.events (id int)", "table", {"sales", "events"}, {}, "CreateStmt"},
      {"CREATE TABLE IF NOT EXISTS db.sales.orders (id int)", "table", {"sales", "orders"}, {}, "CreateStmt"},
      {"CREATE TABLE p (id int, d date) PARTITION BY RANGE (d)", "table", {"", "p"}, {}, "CreateStmt"},
      {"CREATE TABLE p1 PARTITION OF p FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')", "table", {"", "p1"}, {}, ""},
      {"CREATE FOREIGN TABLE remote.t (a int) SERVER srv", "foreign table", {"remote", "t"}, {}, ""},
      {"CREATE OR REPLACE VIEW public.active AS SELECT 1", "view", {"public", "active"}, {}, "ViewStmt"},
      {"CREATE MATERIALIZED VIEW totals AS SELECT 1 WITH NO DATA",
       "materialized view",
       {"", "totals"},
       {},
       "CreateTableAsStmt"},
      {"CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy')", "enum", {"public", "mood"}, {}, "CreateEnumStmt"},
      {"CREATE TYPE mood AS ENUM ()", "enum", {"", "mood"}, {}, ""},
      {"CREATE TYPE money_pair AS (amount numeric, currency text)", "composite type", {"", "money_pair"}, {}, ""},
      {"CREATE TYPE s.floatrange AS RANGE (subtype = float8)", "range type", {"s", "floatrange"}, {}, ""},
      {"CREATE DOMAIN s.positive AS int CHECK (VALUE > 0)", "domain", {"s", "positive"}, {}, "CreateDomainStmt"},
      {"CREATE SEQUENCE s.order_numbers START 1000", "sequence", {"s", "order_numbers"}, {}, "CreateSeqStmt"},
      {"ALTER SEQUENCE order_numbers OWNED BY orders.number", "alter sequence", {"", "order_numbers"}, {}, ""},
      {"CREATE TYPE shell", "type", {"", "shell"}, {}, "DefineStmt"},
      {"CREATE TYPE s.base (INPUT = base_in, OUTPUT = base_out)", "type", {"s", "base"}, {}, "DefineStmt"},
  });
}

TEST_CASE("functions, procedures, aggregates and other definitions: their kind and name") {
  check_all({
      {"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'select 1'", "function", {"", "f"}, {}, "CreateFunctionStmt"},
      {"CREATE OR REPLACE FUNCTION api.f(a int) RETURNS int LANGUAGE sql AS $$ select a $$",
       "function",
       {"api", "f"},
       {},
       ""},
      {"CREATE PROCEDURE s.p() LANGUAGE sql AS 'select 1'", "procedure", {"s", "p"}, {}, "CreateFunctionStmt"},
      {"CREATE AGGREGATE s.total(int) (SFUNC = int4pl, STYPE = int)", "aggregate", {"s", "total"}, {}, "DefineStmt"},
      {"CREATE OPERATOR s.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = int4eq)", "operator", {"s", "==="}, {}, ""},
      {"CREATE COLLATION s.german (locale = 'de_DE')", "collation", {"s", "german"}, {}, ""},
      {"CREATE TEXT SEARCH CONFIGURATION s.english_simple (COPY = english)",
       "text search configuration",
       {"s", "english_simple"},
       {},
       ""},
      {"CREATE CAST (int AS text) WITH FUNCTION to_text(int)", "cast", {}, {}, "CreateCastStmt"},
      {"CREATE OPERATOR CLASS s.c FOR TYPE int USING btree AS OPERATOR 1 <", "operator class", {"s", "c"}, {}, ""},
      {"CREATE OPERATOR FAMILY f USING btree", "operator family", {"", "f"}, {}, ""},
      {"ALTER FUNCTION s.f(int) SET search_path = ''", "alter function", {"s", "f"}, {}, "AlterFunctionStmt"},
      {"ALTER FUNCTION f() SECURITY DEFINER", "alter function", {"", "f"}, {}, ""},
      {"CREATE FUNCTION g() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp "
       "AS 'SELECT 1'",
       "function",
       {"", "g"},
       {},
       ""},
      {"CREATE EVENT TRIGGER audit_ddl ON ddl_command_end EXECUTE FUNCTION log_ddl()",
       "event trigger",
       {"", "audit_ddl"},
       {},
       "CreateEventTrigStmt"},
  });
}

TEST_CASE("indexes, triggers, policies, rules and statistics name their table") {
  check_all({
      {"CREATE INDEX idx_orders_customer ON s.orders (customer_id)",
       "index",
       {"", "idx_orders_customer"},
       {"s", "orders"},
       "IndexStmt"},
      {"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON orders USING gin (tags)",
       "index",
       {"", "i"},
       {"", "orders"}},
      {"CREATE INDEX ON orders (a)", "index", {}, {"", "orders"}, "IndexStmt"},
      {"CREATE TRIGGER t_touch BEFORE UPDATE ON s.orders FOR EACH ROW EXECUTE FUNCTION touch()",
       "trigger",
       {"", "t_touch"},
       {"s", "orders"},
       "CreateTrigStmt"},
      {"CREATE CONSTRAINT TRIGGER c AFTER INSERT ON orders DEFERRABLE FOR EACH ROW EXECUTE FUNCTION f()",
       "trigger",
       {"", "c"},
       {"", "orders"}},
      {"CREATE POLICY \"Tenants read their rows\" ON public.orders FOR SELECT TO authenticated USING (true)",
       "policy",
       {"", "Tenants read their rows"},
       {"public", "orders"},
       "CreatePolicyStmt"},
      {"ALTER POLICY p ON orders USING (false)", "alter policy", {"", "p"}, {"", "orders"}, "AlterPolicyStmt"},
      {"CREATE RULE r AS ON INSERT TO s.log DO INSTEAD NOTHING", "rule", {"", "r"}, {"s", "log"}, "RuleStmt"},
      {"CREATE STATISTICS s.st ON a, b FROM s.orders", "statistics", {"s", "st"}, {"s", "orders"}},
  });
}

TEST_CASE("schemas, extensions, publications, comments, grants and owners") {
  check_all({
      {"CREATE SCHEMA IF NOT EXISTS api", "schema", {"", "api"}, {}, "CreateSchemaStmt"},
      {"CREATE SCHEMA AUTHORIZATION joe", "schema", {"", "joe"}, {}, ""},
      // The schema it is created in, as its name's schema (Supabase's `extensions`).
      {"CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions",
       "extension",
       {"extensions", "pgcrypto"},
       {},
       "CreateExtensionStmt"},
      {"CREATE EXTENSION citext", "extension", {"", "citext"}, {}, ""},
      {"CREATE PUBLICATION supabase_realtime FOR TABLE public.orders",
       "publication",
       {"", "supabase_realtime"},
       {},
       "CreatePublicationStmt"},
      {"ALTER PUBLICATION supabase_realtime ADD TABLE orders",
       "alter publication",
       {"", "supabase_realtime"},
       {},
       "AlterPublicationStmt"},
      {"COMMENT ON TABLE s.orders IS 'what was ordered'", "comment", {"s", "orders"}, {}, "CommentStmt"},
      {"COMMENT ON COLUMN s.orders.total IS 'in cents'", "comment", {"", "total"}, {"s", "orders"}, ""},
      {"COMMENT ON COLUMN orders.total IS 'in cents'", "comment", {"", "total"}, {"", "orders"}, ""},
      {"COMMENT ON POLICY p ON s.orders IS 'x'", "comment", {"", "p"}, {"s", "orders"}, ""},
      {"COMMENT ON TRIGGER t ON orders IS 'x'", "comment", {"", "t"}, {"", "orders"}, ""},
      {"COMMENT ON CONSTRAINT c ON s.orders IS 'x'", "comment", {"", "c"}, {"s", "orders"}, ""},
      {"COMMENT ON FUNCTION s.f(int) IS 'x'", "comment", {"s", "f"}, {}, ""},
      {"COMMENT ON TYPE s.mood IS 'x'", "comment", {"s", "mood"}, {}, ""},
      {"COMMENT ON SCHEMA api IS 'x'", "comment", {"", "api"}, {}, ""},
      {"COMMENT ON EXTENSION pgcrypto IS 'x'", "comment", {"", "pgcrypto"}, {}, ""},
      {"SECURITY LABEL ON TABLE t IS 'x'", "security label", {"", "t"}, {}, "SecLabelStmt"},
      {"GRANT SELECT ON TABLE s.orders TO anon", "grant", {"s", "orders"}, {}, "GrantStmt"},
      {"GRANT EXECUTE ON FUNCTION s.f(int) TO authenticated", "grant", {"s", "f"}, {}, ""},
      {"GRANT USAGE ON SCHEMA api TO anon", "grant", {"", "api"}, {}, ""},
      {"GRANT SELECT ON ALL TABLES IN SCHEMA api TO anon", "grant", {"", "api"}, {}, ""},
      {"REVOKE ALL ON TABLE orders FROM PUBLIC", "revoke", {"", "orders"}, {}, "GrantStmt"},
      {"ALTER DEFAULT PRIVILEGES IN SCHEMA api GRANT SELECT ON TABLES TO anon",
       "default privileges",
       {"", "api"},
       {},
       "AlterDefaultPrivilegesStmt"},
      {"ALTER DEFAULT PRIVILEGES FOR ROLE postgres GRANT ALL ON TABLES TO anon", "default privileges", {}, {}, ""},
      {"ALTER TABLE s.orders OWNER TO postgres", "owner", {"s", "orders"}, {"s", "orders"}, "AlterTableStmt"},
      {"ALTER SEQUENCE s.q OWNER TO postgres", "owner", {"s", "q"}, {"s", "q"}, "AlterTableStmt"},
      {"ALTER VIEW v OWNER TO postgres", "owner", {"", "v"}, {"", "v"}, ""},
      {"ALTER FUNCTION s.f() OWNER TO postgres", "owner", {"s", "f"}, {}, "AlterOwnerStmt"},
      {"ALTER SCHEMA public OWNER TO pg_database_owner", "owner", {"", "public"}, {}, "AlterOwnerStmt"},
      {"ALTER TYPE s.mood OWNER TO postgres", "owner", {"s", "mood"}, {}, ""},
  });
}

TEST_CASE("ALTER DEFAULT PRIVILEGES: whose new objects, where, of which kind, to whom: SET ROLE before it counts") {
  auto p = parse(
      "ALTER DEFAULT PRIVILEGES FOR ROLE a, b IN SCHEMA api, app GRANT SELECT ON TABLES TO reader, PUBLIC;\n"
      "ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;\n"
      "SET ROLE admin;\n"
      "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO app_user;\n"
      "ALTER DEFAULT PRIVILEGES FOR ROLE owner GRANT USAGE ON TYPES TO app_user;\n"
      "RESET ROLE;\n"
      "ALTER DEFAULT PRIVILEGES GRANT USAGE ON SCHEMAS TO CURRENT_USER;\n");
  REQUIRE(p.errors.empty());
  REQUIRE(p.statements.size() == 7);
  const auto& all = p.statements[0].default_privileges;
  CHECK(all.for_role);
  CHECK(all.roles == std::vector<std::string>{"a", "b"});
  CHECK(all.schemas == std::vector<std::string>{"api", "app"});
  CHECK(all.objects == "TABLES");
  CHECK(all.grantees == std::vector<std::string>{"reader", "public"});
  const auto& mine = p.statements[1].default_privileges;
  CHECK_FALSE(mine.for_role);
  CHECK(mine.roles == std::vector<std::string>{""});  // the user who plans
  CHECK(mine.schemas.empty());                        // every schema
  CHECK(mine.objects == "FUNCTIONS");
  CHECK(p.statements[3].default_privileges.roles == std::vector<std::string>{"admin"});
  CHECK(p.statements[3].default_privileges.objects == "SEQUENCES");
  CHECK(p.statements[4].default_privileges.roles == std::vector<std::string>{"owner"});  // FOR ROLE wins
  CHECK(p.statements[6].default_privileges.roles == std::vector<std::string>{""});       // after RESET ROLE
  CHECK(p.statements[6].default_privileges.grantees == std::vector<std::string>{""});
  CHECK(p.statements[6].default_privileges.objects == "SCHEMAS");
}

TEST_CASE("a DO block that only creates roles or grants role membership is role setup: code around it is refused") {
  check_all({
      {"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'reader') THEN CREATE ROLE reader; END IF; "
       "END $$",
       "do",
       {},
       {}},
      {"DO $$\nBEGIN\n    EXECUTE format('GRANT test_admin TO %I', current_user);\nEND $$", "do", {}, {}},
      {"DO $$ BEGIN CREATE ROLE admin; GRANT admin TO app_owner; END $$", "do", {}, {}},
  });
  CHECK(refused("DO $$ BEGIN EXECUTE format('GRANT SELECT ON t TO %I', current_user); END $$").message ==
        "a DO block runs code; a declaration file only declares");
  CHECK(refused("DO $$ BEGIN GRANT admin TO app_owner; EXECUTE 'DROP TABLE t'; END $$").message ==
        "a DO block runs code; a declaration file only declares");
  CHECK(refused("DO $$ BEGIN GRANT SELECT ON t TO app_owner; END $$").message ==
        "a DO block runs code; a declaration file only declares");
}

TEST_CASE("ALTER TABLE, ALTER TYPE and settings") {
  check_all({
      {"ALTER TABLE ONLY s.orders ENABLE ROW LEVEL SECURITY",
       "alter table",
       {"s", "orders"},
       {"s", "orders"},
       "AlterTableStmt"},
      {"ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0)", "alter table", {"", "orders"}, {"", "orders"}},
      {"ALTER TABLE orders REPLICA IDENTITY FULL", "alter table", {"", "orders"}, {"", "orders"}},
      {"ALTER TABLE p ATTACH PARTITION p1 FOR VALUES IN (1)", "alter table", {"", "p"}, {"", "p"}},
      {"ALTER TABLE orders ALTER COLUMN id SET DEFAULT nextval('q')", "alter table", {"", "orders"}, {"", "orders"}},
      {"ALTER TABLE orders ENABLE ROW LEVEL SECURITY, OWNER TO postgres",
       "alter table",
       {"", "orders"},
       {"", "orders"}},
      {"ALTER VIEW v SET (security_invoker = true)", "alter table", {"", "v"}, {"", "v"}},
      {"ALTER TYPE s.mood ADD VALUE IF NOT EXISTS 'meh' AFTER 'ok'", "alter type", {"s", "mood"}, {}, "AlterEnumStmt"},
      {"ALTER DOMAIN positive ADD CONSTRAINT small CHECK (VALUE < 100)", "alter domain", {"", "positive"}, {}, ""},
      {"SET search_path = ''", "setting", {"", "search_path"}, {}, "VariableSetStmt"},
      {"SET check_function_bodies = false", "setting", {"", "check_function_bodies"}, {}, ""},
      {"RESET ALL", "setting", {}, {}, "VariableSetStmt"},
      {"SELECT pg_catalog.set_config('search_path', '', false)", "setting", {"", "search_path"}, {}, "SelectStmt"},
      {"select set_config('request.jwt.claims', '{}', true)", "setting", {"", "request.jwt.claims"}, {}, ""},
      {"BEGIN", "transaction", {}, {}, "TransactionStmt"},
      {"START TRANSACTION", "transaction", {}, {}, ""},
      {"COMMIT", "transaction", {}, {}, ""},
      {"END", "transaction", {}, {}, ""},
  });
}

TEST_CASE("quoted identifiers keep their capitals and spaces, bare ones fold to lower case") {
  check_all({
      {"CREATE TABLE \"Sales Data\".\"Order Lines\" (id int)", "table", {"Sales Data", "Order Lines"}, {}, ""},
      {"CREATE TABLE Sales.Orders (id int)", "table", {"sales", "orders"}, {}, ""},
      {"CREATE TYPE \"My Schema\".\"Mood\" AS ENUM ('a')", "enum", {"My Schema", "Mood"}, {}, ""},
      {"CREATE INDEX \"Idx \"\"quoted\"\"\" ON \"T\" (a)", "index", {"", "Idx \"quoted\""}, {"", "T"}, ""},
      {"CREATE FUNCTION \"Api\".\"Get Orders\"() RETURNS int LANGUAGE sql AS 'select 1'",
       "function",
       {"Api", "Get Orders"},
       {},
       ""},
      {"COMMENT ON COLUMN \"S\".\"T\".\"Total Cents\" IS 'x'", "comment", {"", "Total Cents"}, {"S", "T"}, ""},
  });
}

TEST_CASE("each statement's text and position: after comments and blank lines, on one line with others") {
  const std::string text =
      "-- orders\n"
      "\n"
      "CREATE TABLE orders (id int);\n"
      "/* a block\n   comment */\n"
      "\n"
      "   CREATE INDEX i ON orders (id)  ;  -- trailing\n"
      "COMMENT ON TABLE orders IS 'é';   CREATE VIEW v AS\n"
      "  SELECT 1\n"
      "  -- the end, with no semicolon\n";
  auto p = parse(text);
  CHECK(p.errors.empty());
  REQUIRE(p.statements.size() == 4);
  CHECK(p.statements[0].sql == "CREATE TABLE orders (id int)");
  CHECK(p.statements[0].pos == SourcePos{"decl.sql", 3, 1});
  CHECK(p.statements[1].sql == "CREATE INDEX i ON orders (id)");
  CHECK(p.statements[1].pos == SourcePos{"decl.sql", 7, 4});
  CHECK(p.statements[2].sql == "COMMENT ON TABLE orders IS 'é'");
  CHECK(p.statements[2].pos == SourcePos{"decl.sql", 8, 1});
  // Columns count characters: 'é' is two bytes, one column.
  CHECK(p.statements[3].sql == "CREATE VIEW v AS\n  SELECT 1");
  CHECK(p.statements[3].pos == SourcePos{"decl.sql", 8, 35});
  CHECK(p.statements[3].kind == "view");
}

TEST_CASE("a byte order mark is not part of the first statement, nor counted as a column") {
  auto p = parse(
      "\xEF\xBB\xBF"
      "CREATE TABLE a (id int); CREATE TABLE b (id int);\n INSERT INTO a VALUES (1);");
  REQUIRE(p.statements.size() == 2);
  CHECK(p.statements[0].sql == "CREATE TABLE a (id int)");
  CHECK(p.statements[0].pos == SourcePos{"decl.sql", 1, 1});
  CHECK(p.statements[1].pos == SourcePos{"decl.sql", 1, 26});
  REQUIRE(p.errors.size() == 1);
  CHECK(p.errors[0].pos == SourcePos{"decl.sql", 2, 2});
  auto e = refused(
      "\xEF\xBB\xBF"
      "CREATE TABEL a (id int);");
  CHECK(e.pos == SourcePos{"decl.sql", 1, 8});
}

TEST_CASE("a function body's semicolons stay in its statement") {
  const std::string text =
      "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\n"
      "BEGIN\n"
      "  NEW.updated_at := now();  -- ; in a comment\n"
      "  RETURN NEW;\n"
      "END;\n"
      "$$;\n"
      "CREATE FUNCTION tagged() RETURNS text LANGUAGE sql AS $body$ SELECT 'a;b' $body$;\n"
      "CREATE FUNCTION atomic() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n"
      "CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY a; NOTIFY b);\n"
      "CREATE TABLE after_them (a int);\n";
  auto p = parse(text);
  CHECK(p.errors.empty());
  REQUIRE(p.statements.size() == 5);
  CHECK(p.statements[0].kind == "function");
  CHECK(p.statements[0].sql.ends_with("END;\n$$"));
  CHECK(p.statements[1].name.name == "tagged");
  CHECK(p.statements[1].pos.line == 7);
  CHECK(p.statements[2].sql ==
        "CREATE FUNCTION atomic() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END");
  CHECK(p.statements[3].kind == "rule");
  CHECK(p.statements[4].kind == "table");
  CHECK(p.statements[4].pos == SourcePos{"decl.sql", 10, 1});
}

TEST_CASE("INSERT and DROP are errors at their line and column, and the other statements are still read") {
  const std::string text =
      "CREATE TABLE orders (id int);\n"
      "\n"
      "  INSERT INTO orders VALUES (1);\n"
      "CREATE TABLE lines (id int); DROP TABLE old_orders;\n";
  auto p = parse(text);
  REQUIRE(p.errors.size() == 2);
  CHECK(p.errors[0].pos == SourcePos{"decl.sql", 3, 3});
  CHECK(p.errors[0].message == "INSERT changes data; data does not belong in a declaration file");
  CHECK(p.errors[0].help.find("seed") != std::string::npos);
  CHECK(p.errors[1].pos == SourcePos{"decl.sql", 4, 30});
  CHECK(p.errors[1].message == "DROP TABLE does not belong in a declaration file");
  CHECK(p.errors[1].help == "remove the CREATE statement instead: schemac plans the drop");
  REQUIRE(p.statements.size() == 2);
  CHECK(p.statements[0].name.name == "orders");
  CHECK(p.statements[1].name.name == "lines");
}

TEST_CASE("statements that are not declarations are refused with what to do instead") {
  struct Case {
    std::string sql, message;
  };
  for (const auto& c : std::vector<Case>{
           {"UPDATE orders SET total = 0", "UPDATE changes data; data does not belong in a declaration file"},
           {"DELETE FROM orders", "DELETE changes data; data does not belong in a declaration file"},
           {"WITH x AS (SELECT 1) DELETE FROM orders",
            "DELETE changes data; data does not belong in a declaration file"},
           {"MERGE INTO t USING u ON true WHEN MATCHED THEN DELETE",
            "MERGE changes data; data does not belong in a declaration file"},
           {"COPY orders FROM '/tmp/orders.csv'", "COPY copies data; data does not belong in a declaration file"},
           {"TRUNCATE orders", "TRUNCATE changes data; data does not belong in a declaration file"},
           {"SELECT pg_catalog.setval('s.q', 42, true)",
            "setval() sets a sequence's current value, which is data, not schema"},
           {"DROP INDEX IF EXISTS i", "DROP INDEX does not belong in a declaration file"},
           {"DROP MATERIALIZED VIEW m", "DROP MATERIALIZED VIEW does not belong in a declaration file"},
           {"DROP OWNED BY joe", "DROP OWNED BY does not belong in a declaration file"},
           {"ALTER TABLE orders DROP COLUMN note", "ALTER TABLE ... DROP COLUMN does not belong in a declaration file"},
           {"ALTER TABLE orders ADD COLUMN a int, DROP CONSTRAINT c",
            "ALTER TABLE ... DROP CONSTRAINT does not belong in a declaration file"},
           {"ALTER DOMAIN d DROP CONSTRAINT c",
            "ALTER DOMAIN ... DROP CONSTRAINT does not belong in a declaration file"},
           {"DO $$ BEGIN CREATE TABLE t (a int); END $$", "a DO block runs code; a declaration file only declares"},
           {"ALTER TABLE orders RENAME TO purchases",
            "ALTER TABLE ... RENAME renames; renames are not declared in SQL yet"},
           {"ALTER TABLE orders RENAME COLUMN total TO amount",
            "ALTER TABLE ... RENAME renames; renames are not declared in SQL yet"},
           {"ALTER TABLE orders RENAME CONSTRAINT a TO b",
            "ALTER TABLE ... RENAME renames; renames are not declared in SQL yet"},
           {"ALTER FUNCTION f() RENAME TO g", "ALTER FUNCTION ... RENAME renames; renames are not declared in SQL yet"},
           {"ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'",
            "ALTER TYPE ... RENAME VALUE renames; renames are not declared in SQL yet"},
           {"ALTER TABLE orders SET SCHEMA archive",
            "ALTER ... SET SCHEMA moves an object; moves are not declared in SQL yet"},
           {"SELECT 1", "a SELECT declares nothing"},
           {"SELECT set_config('a', current_user, false)", "a SELECT declares nothing"},
           {"SELECT pg_catalog.set_config('search_path', '', false) FROM orders", "a SELECT declares nothing"},
           {"SELECT * INTO copy FROM orders",
            "SELECT INTO fills a new table with the rows of a query; that copies data"},
           {"CREATE TABLE copy AS SELECT * FROM orders",
            "CREATE TABLE AS fills a new table with the rows of a query; that copies data"},
           {"CREATE TEMPORARY TABLE scratch (a int)",
            "a temporary object lasts only as long as the session that creates it; it declares nothing"},
           {"CREATE TEMP VIEW v AS SELECT 1",
            "a temporary object lasts only as long as the session that creates it; it declares nothing"},
           {"CREATE FUNCTION pg_temp.f() RETURNS int LANGUAGE sql AS 'select 1'",
            "a temporary object lasts only as long as the session that creates it; it declares nothing"},
           {"ROLLBACK", "ROLLBACK does not belong in a declaration file"},
           {"SAVEPOINT s", "SAVEPOINT does not belong in a declaration file"},
           {"CREATE ROLE app", "CREATE ROLE does not belong in a schema's declarations"},
           {"GRANT app TO joe", "GRANT does not belong in a schema's declarations"},
           {"VACUUM orders", "VACUUM is not a declaration"},
           {"REFRESH MATERIALIZED VIEW m", "REFRESH MATERIALIZED VIEW is not a declaration"},
           {"CALL p()", "CALL is not a declaration"},
           {"CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'",
            "a SECURITY DEFINER function without a pinned search_path runs with its owner's rights and resolves "
            "names through the caller's search_path: a caller who creates a table, type or function of the same "
            "name in pg_temp or a schema they own runs their code as the owner"},
           {"ALTER TABLE p DETACH PARTITION p1",
            "ALTER TABLE ... DETACH PARTITION does not belong in a declaration file"},
       }) {
    INFO(c.sql);
    auto e = refused("\n  " + c.sql + ";\n");
    CHECK(e.message == c.message);
    CHECK(e.pos == SourcePos{"decl.sql", 2, 3});
  }
}

TEST_CASE("a syntax error is one error at its line and column, in characters") {
  auto e = refused("CREATE TABLE a (id int);\nCOMMENT ON TABLE a IS 'ééé';\n  CREATE TABEL b (id int);\n");
  CHECK(e.message == "this is not valid SQL: syntax error at or near \"TABEL\"");
  CHECK(e.pos == SourcePos{"decl.sql", 3, 10});
  auto missing = refused("CREATE TABLE a (id int)\nCREATE TABLE b (id int);\n");  // the ';' forgotten
  CHECK(missing.message == "this is not valid SQL: syntax error at or near \"CREATE\"");
  CHECK(missing.pos == SourcePos{"decl.sql", 2, 1});
  auto meta = refused("CREATE TABLE a (id int);\n\\connect app\n");
  CHECK(meta.pos == SourcePos{"decl.sql", 2, 1});
  CHECK(meta.help.find("meta-commands") != std::string::npos);
}

TEST_CASE("unterminated quotes, comments and dollar quotes are errors, not crashes") {
  for (const auto& text : {std::string("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ select 1;\n"),
                           std::string("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $a$ select 1 $b$;"),
                           std::string("COMMENT ON TABLE t IS 'open;\n"), std::string("CREATE TABLE \"t (a int);"),
                           std::string("/* never closed\nCREATE TABLE t (a int);"), std::string("$$"),
                           std::string("\xff\xfe CREATE TABLE t (a int);"), std::string("E'\\")}) {
    INFO(text);
    auto p = parse(text);
    CHECK(p.statements.empty());
    REQUIRE(p.errors.size() == 1);
    CHECK(p.errors[0].message.starts_with("this is not valid SQL: "));
    CHECK(p.errors[0].pos.line >= 1);
  }
  auto e = refused("CREATE TABLE t (a int);\nCREATE FUNCTION f() RETURNS int AS $$ select 1;\n");
  CHECK(e.message.starts_with("this is not valid SQL: unterminated dollar-quoted string"));
  CHECK(e.pos == SourcePos{"decl.sql", 2, 36});
}

TEST_CASE("empty, blank and comment-only files declare nothing, without error") {
  for (const auto& text :
       {"", "\n\n   \t\n", "-- nothing here\n", "/* nor /* nested */ here */", ";;\n;", "-- a\n;\n"}) {
    INFO(text);
    auto p = parse(text);
    CHECK(p.errors.empty());
    CHECK(p.statements.empty());
  }
}

TEST_CASE("a NUL byte is one error at its position") {
  const std::string text = std::string("CREATE TABLE a (id int);\nCREATE TABLE b (id int") + '\0' + ");\n";
  auto e = refused(text);
  CHECK(e.message == "this is not valid SQL: the file contains a NUL byte");
  CHECK(e.pos == SourcePos{"decl.sql", 2, 23});
  CHECK(refused(std::string(1, '\0')).pos == SourcePos{"decl.sql", 1, 1});
}

TEST_CASE("a hostile nesting is refused before libpg_query prints its tree, not a crash") {
  // Deeper than kMaxSqlNesting, and deeper than the parser's own 10,000 levels.
  for (int depth : {300, 5000, 50000}) {
    for (const auto& deep :
         {"CREATE VIEW v AS SELECT " + repeat("(", depth) + "1" + repeat(")", depth),
          "CREATE TABLE t (a int CHECK (a" + repeat(" + a", depth) + " > 0))",
          "CREATE VIEW v AS SELECT " + repeat("CASE WHEN true THEN ", depth) + "1" + repeat(" END", depth),
          "CREATE VIEW v AS SELECT ARRAY" + repeat("[", depth) + "1" + repeat("]", depth),
          "CREATE VIEW v AS SELECT " + repeat("NOT ", depth) + "true"}) {
      INFO(depth << ": " << deep.substr(0, 40));
      auto p = parse("CREATE TABLE ok (a int);\n" + deep + ";\n");
      CHECK(p.statements.empty());  // nothing is parsed when any statement is refused
      REQUIRE(p.errors.size() == 1);
      CHECK(p.errors[0].message == "this statement nests more than 256 levels deep");
      CHECK(p.errors[0].pos.line == 2);
    }
  }
  // Unterminated after the nesting: the guard cannot scan it, the parser refuses it.
  auto p = parse("CREATE VIEW v AS SELECT " + repeat("(", 50000) + "'open");
  REQUIRE(p.errors.size() == 1);
  CHECK(p.errors[0].message.starts_with("this is not valid SQL: "));
  // Deep, but only as deep as many statements side by side: accepted.
  auto wide = parse(repeat("CREATE VIEW v AS SELECT " + repeat("(", 200) + "1" + repeat(")", 200) + ";\n", 100));
  CHECK(wide.errors.empty());
  CHECK(wide.statements.size() == 100);
}

TEST_CASE("a large file is read in linear time, and many errors stay one per statement") {
  std::string text;
  for (int i = 0; i < 20000; ++i)
    text += "CREATE TABLE t" + std::to_string(i) + " (id int PRIMARY KEY, note text);\nCOMMENT ON TABLE t" +
            std::to_string(i) + " IS 'x';\n";
  const auto start = std::chrono::steady_clock::now();
  auto p = parse(text);
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(p.errors.empty());
  REQUIRE(p.statements.size() == 40000);
  CHECK(p.statements.back().pos == SourcePos{"decl.sql", 40000, 1});
  CHECK(seconds < 30);  // about 1 s; a quadratic walk would take minutes
  // A seed of 100,000 rows in one INSERT: one error, without its parse tree.
  auto seed = parse("INSERT INTO t VALUES " + repeat("(1, 'row')", 100000, ", ") + ";\n");
  REQUIRE(seed.errors.size() == 1);
  CHECK(seed.errors[0].message == "INSERT changes data; data does not belong in a declaration file");
  // One long line of data rows: one error each, at the right column.
  auto rows = parse(repeat("INSERT INTO t VALUES (1);", 5000, " "));
  REQUIRE(rows.errors.size() == 5000);
  CHECK(rows.errors.back().pos == SourcePos{"decl.sql", 1, 4999 * 26 + 1});
}

TEST_CASE("a pg_dump of a schema loads as it is") {
  const std::string dump = R"(--
-- PostgreSQL database dump
--

SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET row_security = off;

CREATE SCHEMA api;
ALTER SCHEMA api OWNER TO postgres;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;
COMMENT ON EXTENSION pgcrypto IS 'cryptographic functions';

CREATE FUNCTION api.touch() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
begin
  new.updated_at := now();
  return new;
end;
$$;
ALTER FUNCTION api.touch() OWNER TO postgres;
SET default_tablespace = '';
SET default_table_access_method = heap;

CREATE TABLE api.orders (
    id bigint NOT NULL,
    total numeric(12,2)
);
ALTER TABLE api.orders OWNER TO postgres;
CREATE SEQUENCE api.orders_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE api.orders_id_seq OWNED BY api.orders.id;
ALTER TABLE ONLY api.orders ALTER COLUMN id SET DEFAULT nextval('api.orders_id_seq'::regclass);
ALTER TABLE ONLY api.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);
CREATE TRIGGER t_touch BEFORE UPDATE ON api.orders FOR EACH ROW EXECUTE FUNCTION api.touch();
ALTER TABLE api.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_read ON api.orders FOR SELECT TO authenticated USING (true);
REVOKE USAGE ON SCHEMA public FROM PUBLIC;
GRANT ALL ON TABLE api.orders TO service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA api GRANT ALL ON TABLES TO service_role;

--
-- PostgreSQL database dump complete
--
)";
  auto p = parse(dump);
  for (const auto& e : p.errors) INFO(e.pos.str() << ": " << e.message);
  CHECK(p.errors.empty());
  std::vector<std::string> kinds;
  for (const auto& s : p.statements) kinds.push_back(s.kind);
  CHECK(kinds == std::vector<std::string>{"setting",   "setting",           "setting",     "setting",
                                          "setting",   "setting",           "schema",      "owner",
                                          "extension", "comment",           "function",    "owner",
                                          "setting",   "setting",           "table",       "owner",
                                          "sequence",  "alter sequence",    "alter table", "alter table",
                                          "trigger",   "alter table",       "policy",      "revoke",
                                          "grant",     "default privileges"});
}

TEST_CASE("a schema folder reads its .toml and .sql files in one sorted list") {
  const auto dir = std::filesystem::temp_directory_path() / ("schemac-sqldecl-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "sql");
  auto write = [&](const std::string& name, const std::string& text) { std::ofstream(dir / name) << text; };
  write("orders.toml", "[tables.orders.columns]\nid = { type = \"uuid\", primary_key = true }\n");
  write("sql/views.sql", "CREATE VIEW order_ids AS SELECT id FROM orders;\n");
  write("notes.txt", "not a schema file");
  {
    Diagnostics diags;
    auto files = read_schema_files(dir.string(), diags);
    CHECK(diags.empty());
    REQUIRE(files.size() == 2);
    CHECK(files[0].name == (dir / "orders.toml").string());
    CHECK(files[1].name == (dir / "sql/views.sql").string());
    auto decls = load_declarations(files, diags);
    CHECK(diags.empty());
    REQUIRE(decls.tables.size() == 1);
    REQUIRE(decls.sql.size() == 1);
    CHECK(decls.sql[0].kind == "view");
    CHECK(decls.sql[0].pos == SourcePos{(dir / "sql/views.sql").string(), 1, 1});
    CHECK(decls.files.size() == 2);
    auto compiled = compile_schema(dir.string(), diags);
    INFO(diags.render());
    REQUIRE(compiled);
    CHECK(compiled->catalog.table({"public", "orders"}));
    REQUIRE(compiled->sql.size() == 1);
    CHECK(compiled->sql[0].name.name == "order_ids");
  }
  // An error in a .sql file is rendered with its line, like a TOML error.
  write("sql/views.sql", "CREATE VIEW order_ids AS SELECT id FROM orders;\nDELETE FROM orders;\n");
  {
    Diagnostics diags;
    CHECK_FALSE(compile_schema(dir.string(), diags));
    auto rendered = diags.render();
    CHECK(rendered.find((dir / "sql/views.sql").string() + ":2:1: error: DELETE changes data") != std::string::npos);
    CHECK(rendered.find(" 2 | DELETE FROM orders;\n   | ^\n") != std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("a folder of .sql files alone, or one .sql file, is a schema with the default settings") {
  const auto dir = std::filesystem::temp_directory_path() / ("schemac-sqlonly-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "b.sql") << "CREATE INDEX i ON orders (id);\n";
  std::ofstream(dir / "a.sql") << "CREATE TABLE orders (id uuid PRIMARY KEY);\n";
  for (const auto& path : {dir.string(), (dir / "a.sql").string()}) {
    INFO(path);
    Diagnostics diags;
    auto decls = load_declarations(read_schema_files(path, diags), diags);
    CHECK(diags.empty());
    CHECK(decls.tables.empty());
    CHECK(decls.settings.schemas == std::vector<std::string>{"public"});
    CHECK(decls.settings.target == "supabase");
    CHECK(decls.settings.tenancy.column == "organization_id");
    REQUIRE_FALSE(decls.sql.empty());
    CHECK(decls.sql[0].kind == "table");  // a.sql before b.sql
    auto compiled = compile_schema(path, diags);
    INFO(diags.render());
    REQUIRE(compiled);
    CHECK(compiled->settings.schemas == std::vector<std::string>{"public"});
    CHECK(compiled->catalog.tables.empty());
    CHECK(compiled->sql.size() == (path == dir.string() ? 2u : 1u));
  }
  // A .sql file that declares nothing is an empty schema: with undeclared_tables
  // and undeclared_objects = "drop", the plan drops everything (a drop case of a peer suite).
  std::filesystem::remove(dir / "b.sql");
  std::ofstream(dir / "a.sql") << "-- nothing yet\n";
  Diagnostics diags;
  auto empty = compile_schema(dir.string(), diags);
  INFO(diags.render());
  REQUIRE(empty);
  CHECK(empty->sql.empty());
  CHECK(empty->catalog.tables.empty());
  std::filesystem::remove_all(dir);
  // A folder with neither kind of file says both.
  std::filesystem::create_directories(dir);
  Diagnostics none;
  read_schema_files(dir.string(), none);
  REQUIRE(none.size() == 1);
  CHECK(none.sorted()[0].message == "no .toml or .sql files in folder " + dir.string());
  std::filesystem::remove_all(dir);
}

TEST_CASE(
    "checks and defaults as written: by name, unnamed ones by PostgreSQL's name, defaults up to the next clause") {
  auto p = parse(R"sql(CREATE TABLE app.orders (
  id integer NOT NULL,
  status varchar(10) DEFAULT ('new'::text) NOT NULL CHECK (status IN ('new', 'done')),
  amount numeric CHECK (amount > 0) CHECK (amount < 100),
  note text COLLATE "C" DEFAULT lower('A, (b)') CONSTRAINT note_set CHECK (note <> ''),
  CHECK (amount > 0 OR status = 'new'),
  CHECK (true),
  CONSTRAINT "Odd ""name""" CHECK (amount IS NOT NULL)
);
ALTER TABLE orders ADD CONSTRAINT later CHECK (id > 0) NOT VALID, ADD CHECK (id < 10),
  ADD COLUMN extra int DEFAULT 1 + 1;
)sql");
  REQUIRE(p.errors.empty());
  const auto w = written_expressions(p.statements, "public");
  const QualifiedName app{"app", "orders"}, pub{"public", "orders"};
  std::map<std::pair<QualifiedName, std::string>, std::string> checks = {
      {{app, "orders_status_check"}, "status IN ('new', 'done')"},
      {{app, "orders_amount_check"}, "amount > 0"},
      {{app, "orders_amount_check1"}, "amount < 100"},
      {{app, "note_set"}, "note <> ''"},
      {{app, "orders_check"}, "amount > 0 OR status = 'new'"},
      {{app, "orders_check1"}, "true"},
      {{app, "Odd \"name\""}, "amount IS NOT NULL"},
      {{pub, "later"}, "id > 0"}};  // the unnamed one of ALTER TABLE: its name depends on the table
  CHECK(w.checks == checks);
  std::map<std::pair<QualifiedName, std::string>, std::string> defaults = {
      {{app, "status"}, "('new'::text)"}, {{app, "note"}, "lower('A, (b)')"}, {{pub, "extra"}, "1 + 1"}};
  CHECK(w.defaults == defaults);
}
