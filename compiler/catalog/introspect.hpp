#pragma once
// The catalog reader: a database read into the same model as the declarations,
// with a fixed number of queries however many tables there are.
#include <string>
#include <vector>

#include "compiler/db.hpp"
#include "schema/model.hpp"

namespace schemac {

struct IntrospectScope {
  std::vector<std::string> schemas;      // tables of these schemas are read
  std::vector<QualifiedName> functions;  // zero-argument functions schemac owns
  // Tables outside the managed schemas that declarations put triggers on
  // (Supabase's auth.users): their triggers are read, nothing else.
  std::vector<QualifiedName> trigger_tables;
};

// Objects are deparsed with search_path = '' so that names print qualified the
// same way on every database, whatever the caller's search_path was.
Catalog read_catalog(Db& db, const IntrospectScope& scope);

// A catalog read_catalog read with no functions in scope, made the one it
// reads with these: the functions read, and no longer among the objects
// (schemac import reads the catalog once and plans against it).
void take_owned_functions(Db& db, const std::vector<QualifiedName>& functions, Catalog& cat);

}  // namespace schemac
