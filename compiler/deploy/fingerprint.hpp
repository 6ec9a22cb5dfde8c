#pragma once
// Fingerprints of catalog objects, so a saved plan can tell whether the
// database is still the one it was made for, and name what changed if not.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "compiler/hash.hpp"
#include "schema/model.hpp"

namespace schemac {

// "column public.api_keys.name" -> hash of everything the catalog reader
// knows about it. Covers every object of the named tables (display names,
// "schema.table") and every function in the catalog.
using ObjectHashes = std::map<std::string, std::string>;
ObjectHashes object_hashes(const Catalog& catalog, const std::set<std::string>& tables);

// Whether the live objects are those a plan leads to. Grants are left out:
// the declarations fix some roles' grants exactly and leave others alone, so
// the end state of grants is not known ahead.
bool same_outcome(const ObjectHashes& after, const ObjectHashes& actual);

// One line per difference: "index public.t.idx_x was added", "... changed", "... is gone".
std::vector<std::string> describe_changes(const ObjectHashes& expected, const ObjectHashes& actual);

}  // namespace schemac
