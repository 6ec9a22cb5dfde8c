#pragma once
// The audit table's key as it is live, when it predates the numbered key.
#include "compiler/desired.hpp"

namespace schemac {

// schemac's audit table numbers its rows (id bigint GENERATED ALWAYS AS
// IDENTITY). One made before that has a uuid id, and a uuid cannot become a
// number without rewriting the whole trail under an exclusive lock: such a
// table keeps its key, in the desired and the normalized catalog alike, so
// the plan leaves it alone. Everything else about the table is planned as usual.
void keep_live_audit_key(Desired& desired, Catalog& normalized, const Catalog& live);

}  // namespace schemac
