#pragma once
// The four flags in the forms people write by hand: a trigger that sets
// updated_at, one that turns DELETE into setting deleted_at, a policy that
// compares a column with a JWT claim, a trigger that writes an audit table.
// Declaring the flag would change such a table (schemac's triggers and
// policies beside the hand-written ones until those are deleted), so import
// suggests the flag in a comment that says what the plan will then do, and
// never declares it.
#include <optional>
#include <string>
#include <vector>

#include "compiler/adopt/recognize_flags.hpp"

namespace schemac {

struct FlagSuggestion {
  QualifiedName table;
  std::string flag;         // "touch_updated_at = true"
  std::string evidence;     // what the table has
  std::string consequence;  // what the plan does once the flag is declared
};

// Tables whose flags `recognized` already declares are left out.
std::vector<FlagSuggestion> hand_written_flags(const Catalog& cat, const FlagRecognition& recognized);

// The tenancy the first hand-written tenant policy says (column, claim, type,
// roles), for the commented [tenancy] settings.
std::optional<Settings::Tenancy> hand_written_tenancy(const Catalog& cat);

// What the plan does to `table` once `flag` ("soft_delete = true") is declared on it.
std::string flag_consequence(const std::string& flag, const Table& table);

}  // namespace schemac
