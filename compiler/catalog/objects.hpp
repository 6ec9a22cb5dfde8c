#pragma once
// The catalog reader's part for objects PostgreSQL prints whole: enums,
// domains, composite types, sequences, functions, procedures, aggregates,
// views and materialized views, with their pg_depend edges; default
// privileges and publications.
#include <string>

#include "compiler/db.hpp"
#include "schema/model.hpp"

namespace schemac {

// schemas: a text[] literal of the managed schemas; owned_functions: VALUES
// rows (schema, name) of the functions schemac itself owns, left out. Tables
// must already be in `cat`: edges to them are kept, others dropped.
void read_objects(Db& db, const std::string& schemas, const std::string& owned_functions, Catalog& cat);

// The pg_depend edges between objects and tables, which read_objects reads
// (read_catalog sends it ahead on a second connection).
std::string object_dependencies_query();

// privileges.cpp: pg_default_acl's rows for every schema and for the managed ones.
void read_default_privileges(Db& db, const std::string& schemas, Catalog& cat);

// publications.cpp: every publication of the database, with its tables.
void read_publications(Db& db, Catalog& cat);

}  // namespace schemac
