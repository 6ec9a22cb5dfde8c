#pragma once
// Normalization: the declarations are created in a scratch database and read
// back by the catalog reader, so both sides are compared in PostgreSQL's own
// deparsed form. The scratch database also catches SQL the parser accepts but
// PostgreSQL refuses (an unknown column or function), before anything is applied.
#include <optional>
#include <string>

#include "compiler/desired.hpp"
#include "compiler/live_dependencies.hpp"
#include "compiler/plan.hpp"

namespace schemac {

struct ScratchOptions {
  std::string server_url;  // where to create (and drop) a temporary database
  std::optional<std::string> dev_url;  // or: an existing database, used inside a rolled-back transaction
};

// nullopt when a declaration failed to create; diags names it.
std::optional<Catalog> normalize_in_scratch(const Desired& desired, const LiveDependencies& dependencies,
                                            const ScratchOptions& options, Diagnostics& diags);

// The whole "create from nothing" script of the desired state, in order.
std::vector<Statement> scratch_script(const Desired& desired, const LiveDependencies& dependencies);

}  // namespace schemac
