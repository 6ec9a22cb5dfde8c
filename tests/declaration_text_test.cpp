// The declaration an apply records (schema/declaration_text.hpp) loads back to
// the same declaration: same key, so that the plan of what schemac import
// writes back finds it in the record. Written in an unusual layout on purpose:
// inline tables, keys out of alphabetical order, quoted keys, escapes.
#include <doctest/doctest.h>

#include "compiler/normalize_cache.hpp"
#include "schema/compile.hpp"
#include "tests/test_database.hpp"

using namespace schemac;

namespace {

const std::string kSettings = std::string(test::kOrganizationTenancy) + R"toml(
[tables.organizations.columns]
id = { type = "uuid", primary_key = true, default = "gen_random_uuid()" }
)toml";

constexpr const char* kZebra = R"toml(
[tables.zebra]
touch_updated_at = true
comment = "Zebras: \"striped\"\n\tand tabbed, caf\u00e9"
tenant_scoped = true
soft_delete = "removed_at"
columns = { zeta = { type = "text" }, alpha = { type = "integer", default = 0 }, "Mixed Case" = { type = "text", nullable = true, check = "length(\"Mixed Case\") < 10" }, id = { primary_key = true, type = "uuid", default = "gen_random_uuid()" } }
audited = true

[tables.zebra.checks]
b_check = "alpha > 1"
a_check = "alpha < 100"

[tables.zebra.indexes]
z_idx = { columns = ["zeta"], where = "alpha > 5" }
a_idx = { columns = ["alpha DESC"] }

[tables.zebra.unique]
zebra_zeta_key = ["organization_id", "zeta"]
)toml";

CompiledSchema compiled(const std::string& settings, const std::string& table) {
  Diagnostics diags;
  auto out = compile_schema({{"settings.toml", settings}, {"zebra.toml", table}}, diags);
  INFO(diags.render());
  REQUIRE(out);
  return std::move(*out);
}

const Table& zebra(const CompiledSchema& s) {
  const Table* t = s.catalog.table({"public", "zebra"});
  REQUIRE(t);
  return *t;
}

}  // namespace

TEST_CASE("a table's recorded declaration loads back to the same declaration: same key, same column order") {
  const auto written = compiled(kSettings, kZebra);
  const auto text = written.table_texts.at({"public", "zebra"});
  INFO(text);
  CHECK(
      text.starts_with("[tables.zebra]\ntouch_updated_at = true\ncomment          = \"Zebras: \\\"striped\\\"\\n\\tand "
                       "tabbed, caf\u00e9\"\ntenant_scoped    = true\n"));
  CHECK(text.find("\n[tables.zebra.columns]\nzeta         = { type = \"text\" }\nalpha        = ") !=
        std::string::npos);
  CHECK(
      text.find("\"Mixed Case\" = { type = \"text\", nullable = true, check = \"length(\\\"Mixed Case\\\") < 10\" }") !=
      std::string::npos);

  const auto reloaded = compiled(kSettings, text);
  CHECK(reloaded.table_texts.at({"public", "zebra"}) == text);
  const auto& a = zebra(written);
  const auto& b = zebra(reloaded);
  CHECK(NormalizeCache::table_key(a, "context") == NormalizeCache::table_key(b, "context"));
  REQUIRE(b.columns.size() == a.columns.size());
  for (std::size_t i = 0; i < a.columns.size(); ++i) CHECK(b.columns[i].name == a.columns[i].name);
  CHECK(b.columns[0].name == "zeta");
  CHECK(b.comment == a.comment);
  CHECK(b.constraints.size() == a.constraints.size());
  CHECK(b.indexes.size() == a.indexes.size());

  // The key sees a change a reload must not hide: another check, another key.
  std::string edited = text;
  edited.replace(edited.find("alpha > 1"), 9, "alpha > 2");
  CHECK(NormalizeCache::table_key(zebra(compiled(kSettings, edited)), "context") !=
        NormalizeCache::table_key(a, "context"));
}
