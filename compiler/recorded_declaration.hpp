#pragma once
// What the record of normalized forms (recorded_forms.hpp) keeps of a TOML
// table besides its digest.
#include <string>

#include "schema/model.hpp"

namespace schemac {

// A TOML table's declaration as it was written (declaration_text.hpp),
// recorded with its key: schemac import gives it back for a table that still
// has the recorded digest, flags and SQL as the team wrote them.
struct DeclarationText {
  QualifiedName table;
  std::string text;
};

struct RecordedDeclaration {
  DeclarationText declaration;
  std::string digest;  // of the table the declaration normalized to
};

}  // namespace schemac
