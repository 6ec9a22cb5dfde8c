#pragma once
// `plan --from PATH`: the plan between two declaration sets, with no database.
// Both sides are compared in schemac's own rendering of the declarations (the
// SQL it would emit) instead of PostgreSQL's deparsed form: good for reviewing
// a pull request offline; the plan against a real database may differ in
// details PostgreSQL normalizes (casts, parentheses).
#include "compiler/desired.hpp"

namespace schemac {

// The declarations as if read back from a database: definitions filled in from
// schemac's own SQL, every table assumed to hold rows.
Catalog as_if_live(const Desired& desired);

}  // namespace schemac
