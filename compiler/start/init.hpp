#pragma once
// `schemac init`: a new project's first declarations, commented, that check,
// plan and apply as they are.
#include <string>
#include <vector>

namespace schemac {

struct InitRequest {
  std::string schema_dir = "schema";
  std::string target = "postgres";  // or "supabase"
  bool force = false;               // write into a folder that already holds files
};

// The files written (relative to schema_dir). Throws std::runtime_error, naming
// the folder, when it holds files and force is off: nothing is written then.
std::vector<std::string> init_project(const InitRequest& request);

}  // namespace schemac
