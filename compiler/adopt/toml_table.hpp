#pragma once
// A live table as a TOML declaration ([tables.<name>] with its columns, keys,
// checks, foreign keys, indexes, policies, grants and comments), when the
// language can say everything the table has; nullopt when it cannot
// (partitions, identity or generated columns, exclusion constraints, foreign
// keys with ON UPDATE or DEFERRABLE, comments on its indexes ...), and import
// writes the table as SQL instead. Its triggers are not in the TOML: the
// language has no key for them, and import writes them as SQL beside it.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "schema/model.hpp"

namespace schemac {

// whole_roles: roles whose privileges the file must state even when they hold
// none (default privileges give them some on a new table; a policy names them).
// preamble: comment lines written under the table's header (suggested flags).
std::optional<std::string> table_toml(const Table& t, const std::string& default_schema,
                                      const std::set<std::string>& whole_roles, const std::string& preamble = "");

// The keys of an index read from a database, from its definition: "organization_id", "created_at DESC".
std::vector<std::string> live_index_keys(const Index& i);

}  // namespace schemac
