#include "compiler/live_audit_key.hpp"

namespace schemac {

void keep_live_audit_key(Desired& desired, Catalog& normalized, const Catalog& live) {
  const auto name = desired.settings.audit_table();
  const Table* live_table = live.table(name);
  const Column* live_id = live_table ? live_table->column("id") : nullptr;
  if (!live_id || live_id->type != "uuid") return;
  // Only the audit table schemac generates: one declared by hand keeps what it declares.
  Table* declared = desired.catalog.table(name);
  const Column* generated = declared ? declared->column("id") : nullptr;
  if (!generated || generated->origin.flag != "audit") return;
  for (Table* t : {declared, normalized.table(name)}) {
    Column* id = t ? t->column("id") : nullptr;
    if (!id) continue;
    const Origin origin = id->origin;
    *id = *live_id;
    id->origin = origin;
  }
}

}  // namespace schemac
