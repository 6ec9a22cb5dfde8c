#pragma once
// The SQL the compiled schema calls at run time (runtime/*.sql, embedded at build time).
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace schemac::runtime {

struct SqlFile {
  const char* name;
  const char* text;
};

const std::vector<SqlFile>& embedded_files();

// The trigger functions the flags call, each in runtime/<name>.sql, created in runtime.schema.
inline constexpr const char* kTriggerFunctions[] = {"touch_updated_at", "soft_delete", "soft_delete_mark",
                                                    "audit_changes", "refuse_key_change"};

// The text of runtime/<name> with each {{key}} replaced by vars[key].
// Throws std::out_of_range for an unknown file or a placeholder without a value.
std::string render(std::string_view name, const std::map<std::string, std::string>& vars);

}  // namespace schemac::runtime
