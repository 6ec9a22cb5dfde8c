#pragma once
// The catalog reader's part for objects PostgreSQL prints whole: enums,
// domains, composite types, sequences, functions, procedures, aggregates,
// views and materialized views, with their pg_depend edges.
#include <string>

#include "compiler/db.hpp"
#include "schema/model.hpp"

namespace schemac {

// schemas: a text[] literal of the managed schemas; owned_functions: VALUES
// rows (schema, name) of the functions schemac itself owns, left out. Tables
// must already be in `cat`: edges to them are kept, others dropped.
void read_objects(Db& db, const std::string& schemas, const std::string& owned_functions, Catalog& cat);

}  // namespace schemac
