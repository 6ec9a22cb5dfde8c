#pragma once
// PostgreSQL's printing of an expression is not always a fixed point: a check
// `status IN ('a', 'b')` on a varchar column prints as
//   (status)::text = ANY ((ARRAY['a'::character varying, ...])::text[])
// and that text, run again, prints as
//   (status)::text = ANY (ARRAY[('a'::character varying)::text, ...])
// A declaration written from a printed form (schemac import, pg_dump) thus
// normalizes to the second form while the live database holds the first, and
// the plan would drop and add an identical constraint under an ACCESS
// EXCLUSIVE lock. Where a normalized check, default or policy expression
// differs from the live one, the live text is printed once more in the scratch
// database; when that equals the normalized form, both mean the same and the
// live text stands in for it.
#include "compiler/db.hpp"
#include "schema/model.hpp"

namespace schemac {

// db: the scratch database holding `normalized`, inside a transaction (each
// probe runs under a savepoint and is rolled back). Tables `skip` declares are left as they are.
void equate_reprinted(Db& db, const Catalog& live, Catalog& normalized, const Catalog& skip);

}  // namespace schemac
