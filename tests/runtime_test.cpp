// The runtime functions, checked by plpgsql_check in the database they run in.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "tests/test_database.hpp"

using namespace schemac;
using namespace schemac::test;

TEST_CASE("plpgsql_check finds no error in the runtime functions") {
  TestDatabase tdb;
  apply_schema(source_path("examples/saas/schema"), tdb.url());
  Db db = tdb.connect();
  db.exec("CREATE EXTENSION plpgsql_check");
  struct Check {
    const char* function;
    const char* args;
  };
  for (auto c :
       {Check{"public.touch_updated_at()", "relid => 'public.api_keys'"},
        Check{"public.soft_delete()", "relid => 'public.api_keys'"},
        Check{"public.audit_changes()", "relid => 'public.api_keys', oldtable => 'old_rows', newtable => 'new_rows'"},
        Check{"public.refuse_key_change()", "relid => 'public.api_keys'"}}) {
    auto rows = db.query(fmt::format(
        "SELECT level, message FROM plpgsql_check_function_tb('{}', {}, fatal_errors => false) WHERE level = 'error'",
        c.function, c.args));
    std::string found;
    for (const auto& r : rows) found += r[1].as<std::string>() + "\n";
    INFO(c.function << ": " << found);
    CHECK(rows.empty());
  }
}

TEST_CASE("the audit trigger function is SECURITY DEFINER with a fixed search_path, and nobody else may call it") {
  TestDatabase tdb;
  apply_schema(source_path("examples/saas/schema"), tdb.url());
  Db db = tdb.connect();
  auto r = db.query(
      "SELECT prosecdef, proconfig::text, has_function_privilege('authenticated', oid, 'EXECUTE') "
      "FROM pg_proc WHERE proname = 'audit_changes'");
  REQUIRE(r.size() == 1);
  CHECK(r[0][0].as<bool>());
  CHECK(r[0][1].as<std::string>() == "{\"search_path=pg_catalog, pg_temp\",jit=off,enable_nestloop=off}");
  CHECK_FALSE(r[0][2].as<bool>());
}
