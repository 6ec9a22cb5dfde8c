#pragma once
// One declared table as TOML text that loads back to the same declaration.
// apply records it beside the table's normalized digest, so that schemac
// import can give back the declaration that made a table (its flags, its SQL
// as it was written) instead of the table as PostgreSQL prints it.
#include <toml++/toml.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace schemac {

// A table's keys in the order they were written (toml++ keeps them sorted by
// name): the language reads columns, constraints and indexes in file order.
std::vector<std::pair<const toml::key*, const toml::node*>> in_file_order(const toml::table& t);

// [tables.<name>] with the table's own keys, then one [tables.<name>.<key>]
// section per table-valued key (columns, indexes, checks ...), each entry on
// its own line. Keys keep the order they were written in: the loader reads in
// file order, and column and constraint order are part of the declaration.
std::string declaration_text(std::string_view name, const toml::table& body);

}  // namespace schemac
