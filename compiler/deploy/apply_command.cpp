#include "compiler/deploy/apply_command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>

#include "compiler/catalog/introspect.hpp"
#include "compiler/deploy/apply.hpp"
#include "compiler/deploy/apply_events.hpp"
#include "compiler/deploy/apply_guard.hpp"
#include "compiler/deploy/history.hpp"
#include "compiler/deploy/plan_file.hpp"
#include "compiler/deploy/plan_signature.hpp"
#include "compiler/recorded_forms.hpp"
#include "compiler/render.hpp"

namespace schemac {

namespace {

// Blocking hazards not allowed with --allow-hazard; printed, and apply stops.
bool refuse_hazards(const Plan& plan, const std::vector<std::string>& allowed) {
  std::vector<std::string> blocked;
  for (const auto& h : plan.hazards())
    if (hazard_blocks(h) && std::find(allowed.begin(), allowed.end(), h) == allowed.end()) blocked.push_back(h);
  if (blocked.empty()) return false;
  std::cerr << "schemac apply: the plan holds hazards that were not allowed; nothing was executed:\n";
  for (const auto& h : blocked) std::cerr << fmt::format("  {}  (allow with --allow-hazard {})\n", h, h);
  return true;
}

// The plan for the person at the terminal: on stdout, or on stderr when
// stdout carries JSON events. With --format json the plan is also an event.
void show_plan(const Plan& plan, const ApplyCommand& c, bool for_people) {
  if (c.json_events) ApplyEvents(std::cout).plan(plan);
  if (for_people) render_text(plan, {c.color}, c.json_events ? std::cerr : std::cout);
}

bool confirmed() {
  if (!isatty(STDIN_FILENO)) {
    std::cerr << "schemac apply: no terminal to confirm on; pass --auto-approve in jobs\n";
    return false;
  }
  std::cerr << "Apply this plan? Type 'yes' to continue: ";
  std::string answer;
  std::getline(std::cin, answer);
  if (answer != "yes") std::cerr << "Not applied.\n";
  return answer == "yes";
}

// forms: the declarations' normalized digests, recorded once the plan has
// run to the end, so that the next plan on any machine starts warm.
int execute(Db& db, const Plan& plan, const std::string& fingerprint, const ApplyCommand& c,
            const std::map<std::string, std::string>& forms,
            const std::map<std::string, DeclarationText>& declarations) {
  check_privileges(db, plan);
  History history(db, {SCHEMAC_VERSION, fingerprint, plan.steps.size()});
  std::optional<ApplyEvents> events;
  if (c.json_events) events.emplace(std::cout);
  ApplyOptions options{c.lock_timeout,
                       c.retries,
                       c.wait,
                       c.quiet,
                       true,
                       &history,
                       isatty(STDERR_FILENO) != 0,
                       events ? &*events : nullptr};
  auto n = apply_plan(db, plan, options, std::cerr);
  record_forms(db, forms, declarations);
  std::cerr << fmt::format("Applied {} statements.\n", n);
  return kOk;
}

int apply_declarations(const ApplyCommand& c) {
  Db db(c.request.database_url);
  if (!c.dry_run) refuse_transaction_pooler(db);
  // The lock comes before the plan: an apply that waited for another plans
  // against what that one left, not against what was there before it.
  std::optional<ApplyLock> lock;
  if (!c.dry_run) lock.emplace(db, c.wait);
  Diagnostics diags;
  auto outcome = plan_against_database(c.request, diags);
  if (!outcome) {
    std::cerr << diags.render();
    return kError;
  }
  const auto& p = outcome->plan;
  const bool blocked = refuse_hazards(p, c.allowed_hazards);
  show_plan(p, c, c.dry_run || blocked || (!c.auto_approve && !p.empty()));
  if (blocked) return kHazards;
  const auto& forms = outcome->normalize_stats.digests;
  if (p.empty()) {
    // A database applied before the record existed gets one (the forms are true whether or not anything ran).
    if (!c.dry_run) record_forms(db, forms, outcome->recorded_declarations());
    if (c.json_events) ApplyEvents(std::cout).nothing_to_apply("the database matches the declarations");
    std::cerr << "Nothing to apply: the database matches the declarations.\n";
    return kOk;
  }
  if (c.dry_run) return kOk;
  if (!c.auto_approve && !confirmed()) return kError;
  return execute(db, p, plan_fingerprint(p, object_hashes(outcome->live, touched_tables(p))), c, forms,
                 outcome->recorded_declarations());
}

int apply_saved(const ApplyCommand& c) {
  // The file (and its signature, when SCHEMAC_PLAN_KEY is set) is checked before anything connects.
  const auto saved = read_saved_plan(c.plan_file, plan_signature::key_from_environment());
  Db db(c.request.database_url);
  const auto [name, system] = database_identity(db);
  if (name != saved.database ||
      (!system.empty() && !saved.system_identifier.empty() && system != saved.system_identifier))
    throw ApplyError(fmt::format(
        "{} was made for database {} (cluster {}), and this is database {} (cluster {}); nothing was executed. "
        "Make the plan against this database with schemac plan --out",
        c.plan_file, saved.database, saved.system_identifier.empty() ? "?" : saved.system_identifier, name,
        system.empty() ? "?" : system));
  if (!c.dry_run) refuse_transaction_pooler(db);
  std::optional<ApplyLock> lock;
  if (!c.dry_run) lock.emplace(db, c.wait);

  const auto fingerprint = plan_fingerprint(saved.plan, saved.before);
  if (auto when = already_applied(db, fingerprint)) {
    if (c.json_events) ApplyEvents(std::cout).nothing_to_apply("already applied " + *when);
    std::cerr << fmt::format("{}: already applied ({}); nothing to do.\n", c.plan_file, *when);
    return kOk;
  }
  const auto live = object_hashes(read_catalog(db, saved.scope), touched_tables(saved.plan));
  if (same_outcome(saved.after, live) && live != saved.before) {
    if (c.json_events) ApplyEvents(std::cout).nothing_to_apply("the database has every change this plan makes");
    std::cerr << fmt::format("{}: already applied: the database has every change this plan makes; nothing to do.\n",
                             c.plan_file);
    return kOk;
  }
  if (live != saved.before) {
    std::string msg = fmt::format(
        "{}: the database changed since this plan was made, in objects the plan touches; nothing was executed:",
        c.plan_file);
    for (const auto& change : describe_changes(saved.before, live)) msg += "\n  " + change;
    msg += "\nmake a new plan (schemac plan --out) and review it";
    throw ApplyError(msg);
  }
  const bool blocked = refuse_hazards(saved.plan, c.allowed_hazards);
  show_plan(saved.plan, c, c.dry_run || blocked || (!c.auto_approve && !saved.plan.empty()));
  if (blocked) return kHazards;
  if (saved.plan.empty()) {
    if (c.json_events) ApplyEvents(std::cout).nothing_to_apply("the plan is empty");
    std::cerr << "Nothing to apply: the plan is empty.\n";
    return kOk;
  }
  if (c.dry_run) return kOk;
  if (!c.auto_approve && !confirmed()) return kError;
  return execute(db, saved.plan, fingerprint, c, saved.normalized_forms, saved.declarations);
}

}  // namespace

int run_apply(const ApplyCommand& command) {
  return command.plan_file.empty() ? apply_declarations(command) : apply_saved(command);
}

void save_plan(const PlanOutcome& outcome, const PlanRequest& request, const std::string& path) {
  SavedPlan saved;
  saved.plan = outcome.plan;
  saved.schemac_version = SCHEMAC_VERSION;
  Db db(request.database_url);
  std::tie(saved.database, saved.system_identifier) = database_identity(db);
  saved.scope = outcome.desired.scope();
  saved.normalized_forms = outcome.normalize_stats.digests;
  saved.declarations = outcome.recorded_declarations();
  const auto tables = touched_tables(outcome.plan);
  saved.before = object_hashes(outcome.live, tables);
  // The scratch database reads policies back as for PUBLIC (roles are
  // cluster-wide); the end state has the declared roles.
  Catalog expected = outcome.normalized;
  for (auto& t : expected.tables)
    if (const auto* declared = outcome.desired.catalog.table(t.name))
      for (auto& p : t.policies)
        if (const auto* dp = declared->policy(p.name)) {
          p.roles = dp->roles;
          std::sort(p.roles.begin(), p.roles.end());
        }
  saved.after = object_hashes(expected, tables);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << write_saved_plan(saved, plan_signature::key_from_environment());
  if (!out) throw std::runtime_error(fmt::format("{}: cannot write the plan file", path));
}

}  // namespace schemac
