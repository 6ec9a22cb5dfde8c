#pragma once
// Plans for people (text) and for machines (sql, json).
#include <ostream>
#include <string>

#include "compiler/planner/plan.hpp"

namespace schemac {

struct RenderOptions {
  bool color = false;
};

// "Plan: 12 steps on 3 tables, ..." or "No changes: ...".
std::string summary_line(const Plan& plan);

// Why a step is in the plan: "declared at schema/x.toml:3:1", "soft_delete = true at
// ...", "needed by project.target = \"postgres\""; "" when nothing says. Paths
// under `folder` are written relative to it.
std::string step_reason(const Step& step, const std::string& folder = "");

std::string render_text(const Plan& plan, const RenderOptions& options = {});
// The same, written to `os` as it is made (the CLI: no copy of a large plan in memory).
void render_text(const Plan& plan, const RenderOptions& options, std::ostream& os);
// A script `psql -v ON_ERROR_STOP=1 -f` runs as it is.
std::string render_sql(const Plan& plan);
std::string render_json(const Plan& plan);
// The pull-request comment (markdown) is review::render_markdown.

}  // namespace schemac
