// Catalog::table through its index of positions: the index may go stale when
// the vector changes after it was built (a rename in place, a table added or
// erased), and then it must cost a search, never give a wrong table.
#include <doctest/doctest.h>

#include "schema/model.hpp"

using namespace schemac;

namespace {

Catalog three_tables() {
  Catalog cat;
  for (const char* name : {"a", "b", "c"}) {
    Table t;
    t.name = {"public", name};
    cat.tables.push_back(t);
  }
  cat.index_tables();
  return cat;
}

}  // namespace

TEST_CASE("Catalog::table finds tables through its index, and past it when the vector changed") {
  auto cat = three_tables();
  REQUIRE(cat.table({"public", "b"}) == &cat.tables[1]);
  CHECK(cat.table({"public", "z"}) == nullptr);
  CHECK(cat.table({"other", "b"}) == nullptr);

  // Renamed in place (as the planner renames the live copy): the old name is gone, the new one found.
  cat.tables[1].name = {"public", "z"};
  CHECK(cat.table({"public", "b"}) == nullptr);
  CHECK(cat.table({"public", "z"}) == &cat.tables[1]);

  // Erased: the positions after it moved, and each name still finds its own table.
  cat.tables.erase(cat.tables.begin());
  REQUIRE(cat.table({"public", "c"}) != nullptr);
  CHECK(cat.table({"public", "c"})->name.name == "c");
  CHECK(cat.table({"public", "a"}) == nullptr);

  // Added after indexing, and a copy keeps finding its own tables, not the original's.
  Table d;
  d.name = {"public", "d"};
  cat.tables.push_back(d);
  CHECK(cat.table({"public", "d"}) == &cat.tables.back());
  const Catalog copy = cat;
  CHECK(copy.table({"public", "c"}) == &copy.tables[1]);
}
