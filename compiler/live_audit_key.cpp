#include "compiler/live_audit_key.hpp"

#include <algorithm>

namespace schemac {

namespace {

Column* column_named(Table* t, const std::string& name) {
  if (!t) return nullptr;
  auto it = std::find_if(t->columns.begin(), t->columns.end(), [&](const Column& c) { return c.name == name; });
  return it == t->columns.end() ? nullptr : &*it;
}

}  // namespace

void keep_live_audit_key(Desired& desired, Catalog& normalized, const Catalog& live) {
  const auto name = desired.settings.audit_table();
  const Table* live_table = live.table(name);
  if (!live_table) return;
  auto found = std::find_if(live_table->columns.begin(), live_table->columns.end(),
                            [](const Column& c) { return c.name == "id"; });
  if (found == live_table->columns.end() || found->type != "uuid") return;
  // Only the audit table schemac generates: one declared by hand keeps what it declares.
  const Column* generated = column_named(desired.catalog.table(name), "id");
  if (!generated || generated->origin.flag != "audit") return;
  for (Table* t : {desired.catalog.table(name), normalized.table(name)}) {
    Column* id = column_named(t, "id");
    if (!id) continue;
    const Origin origin = id->origin;
    *id = *found;
    id->origin = origin;
  }
}

}  // namespace schemac
