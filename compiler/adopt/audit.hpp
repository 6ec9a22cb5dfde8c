#pragma once
// schemac audit: what a live database does against the seed audit's best
// practices (shared/seed/migration-best-practices-audit.md), each finding with
// its table, what was seen, and the declaration that fixes it. Reads only.
#include <string>
#include <vector>

#include "schema/model.hpp"

namespace schemac {

struct AuditFinding {
  std::string code;      // "updated-at-not-maintained", ... (README, Adopting an existing database)
  std::string subject;   // "public.api_keys", or a function's name
  std::string evidence;  // what the catalog shows
  std::string fix;       // the declaration (or step) that fixes it
};

struct AuditRequest {
  std::string database_url;
  std::vector<std::string> schemas = {"public"};
};

// Sorted by subject, then code: the same database gives the same report.
std::vector<AuditFinding> audit_catalog(const Catalog& catalog);
// What a live trigger's definition says (pg_get_triggerdef): "CREATE TRIGGER n
// BEFORE UPDATE ON s.t FOR EACH ROW EXECUTE FUNCTION f()".
struct TriggerShape {
  std::string timing, events;  // "BEFORE", "INSERT OR UPDATE"
  bool row = false;
};
TriggerShape shape_of(const Trigger& trigger);
// The tenancy column the tables share ("organization_id", "tenant_id", ...), or "".
std::string tenant_column(const Catalog& catalog);
// The flag a finding's fix is ("touch_updated_at = true"), or "" when its fix is not a flag.
std::string flag_of(const AuditFinding& finding);
std::vector<AuditFinding> audit_database(const AuditRequest& request);

std::string render_audit_text(const std::vector<AuditFinding>& findings);
std::string render_audit_json(const std::vector<AuditFinding>& findings);
std::string render_audit_markdown(const std::vector<AuditFinding>& findings);

}  // namespace schemac
