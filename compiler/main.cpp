// schemac: a thin command line over the library (subcommands as a table).
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "compiler/adopt/audit.hpp"
#include "compiler/adopt/import.hpp"
#include "compiler/deploy/apply.hpp"
#include "compiler/deploy/apply_command.hpp"
#include "compiler/deploy/history.hpp"
#include "compiler/deploy/plan_file.hpp"
#include "compiler/normalize_cache.hpp"
#include "compiler/render.hpp"
#include "compiler/review/pull_request.hpp"
#include "compiler/start/init.hpp"
#include "compiler/workflow.hpp"
#include "schema/language.hpp"

using namespace schemac;

namespace {

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : fallback;
}

bool color_stdout() {
  return isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR");
}

int report(const Diagnostics& diags) {
  std::cerr << diags.render();
  return kError;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"schemac: PostgreSQL schema as code, with zero-downtime plans"};
  app.set_version_flag("--version", std::string("schemac ") + SCHEMAC_VERSION);
  app.require_subcommand(1);
  std::string schema_path, database_url = env_or("DATABASE_URL", ""), dev_url, format = "text", lock_timeout;
  bool detailed = false, auto_approve = false, wait = false, quiet = false, dry_run = false;
  int retries = -1;
  std::vector<std::string> allowed_hazards;

  auto* init = app.add_subcommand("init", "write a new project's first declarations, commented (no database)");
  InitRequest init_request;
  init->add_option("--schema-dir", init_request.schema_dir, "the folder to write (default ./schema)");
  init->add_option("--target", init_request.target, "postgres (schemac creates the API roles) or supabase")
      ->check(CLI::IsMember({"postgres", "supabase"}));
  init->add_flag("--force", init_request.force, "write into a folder that already holds files");
  auto* check = app.add_subcommand("check", "parse, validate and expand the declarations (no database)");
  auto* json_schema =
      app.add_subcommand("json-schema", "print the JSON Schema of the TOML language, for editors (no database)");
  auto* plan = app.add_subcommand("plan", "read the live catalog, diff, and print the ordered plan (reads only)");
  auto* apply = app.add_subcommand("apply", "plan and execute, or execute a saved plan (writes)");
  auto* history = app.add_subcommand("history", "list the applies recorded in this database (reads only)");
  int history_limit = 20;
  history->add_option("--limit", history_limit, "how many, newest first");
  history->add_option("--database-url", database_url, "default: DATABASE_URL, else libpq's PG* variables");
  auto* import = app.add_subcommand("import", "write the declarations of a live database (reads only)");
  ImportRequest import_request;
  import->add_option("--database-url", database_url, "default: DATABASE_URL, else libpq's PG* variables");
  import->add_option("--schema-dir", import_request.schema_dir, "the folder to write (default ./schema)");
  import->add_option("--schemas", import_request.schemas, "the schemas to import, comma-separated (default public)")
      ->delimiter(',');
  import->add_flag("--force", import_request.force, "write into a folder that already holds files");
  import
      ->add_option("--from-sql", import_request.from_sql,
                   "import SQL schema files instead, run in this order in a temporary database on the server "
                   "--database-url names")
      ->check(CLI::ExistingFile);
  auto* audit = app.add_subcommand("audit", "report what a live database does against the best practices (reads only)");
  AuditRequest audit_request;
  std::string audit_format = "text";
  audit->add_option("--database-url", database_url, "default: DATABASE_URL, else libpq's PG* variables");
  audit->add_option("--schemas", audit_request.schemas, "the schemas to audit, comma-separated (default public)")
      ->delimiter(',');
  audit->add_option("--format", audit_format, "text, json or markdown")
      ->check(CLI::IsMember({"text", "json", "markdown"}));
  for (auto* cmd : {check, plan, apply}) cmd->add_option("--schema", schema_path, "a .toml file or a folder of them");
  std::string cache_dir = default_cache_dir();
  bool no_cache = false;
  for (auto* cmd : {plan, apply, import}) {
    cmd->add_option("--cache-dir", cache_dir,
                    "where normalized declarations are remembered (default ~/.cache/schemac)");
    cmd->add_flag("--no-cache", no_cache,
                  "normalize every declaration in the scratch database (no cache, no record in the database)");
  }
  for (auto* cmd : {plan, apply}) {
    cmd->add_option("--database-url", database_url, "default: DATABASE_URL, else libpq's PG* variables");
    cmd->add_option("--dev-url", dev_url, "an empty database to normalize declarations in (default: a temporary one)");
  }
  std::string from_path, out_path, plan_file;
  plan->add_option("--out", out_path,
                   "also save the plan to FILE, with what `schemac apply FILE` checks before it runs it");
  apply->add_option("plan_file", plan_file, "a plan saved with plan --out (default: plan from the declarations)");
  std::string apply_format = "text";
  apply
      ->add_option("--format", apply_format,
                   "text, or json: one JSON event per line on stdout (plan, started, finished, retried, failed, "
                   "applied)")
      ->check(CLI::IsMember({"text", "json"}));
  plan->add_option("--format", format, "text, sql, json or markdown")
      ->check(CLI::IsMember({"text", "sql", "json", "markdown"}));
  std::size_t markdown_limit = review::MarkdownOptions{}.limit;
  plan->add_option("--markdown-limit", markdown_limit,
                   "markdown: fold the plan to fit this many characters (GitHub comments: 65,536; the default leaves "
                   "room for a workflow's own lines)")
      ->check(CLI::Range(std::size_t{4000}, std::size_t{100000000}));
  plan->add_option("--from", from_path, "offline: plan from these declarations (e.g. the base branch's); no database");
  plan->add_flag("--detailed-exitcode", detailed, "exit 2 when there are changes, 0 when none");
  apply->add_flag("--auto-approve", auto_approve, "do not ask for confirmation");
  apply->add_option("--allow-hazard", allowed_hazards, "allow a blocking hazard (repeatable)");
  apply->add_option("--lock-timeout", lock_timeout, "per-transaction lock_timeout, e.g. 2s");
  apply->add_option("--retries", retries, "retries on lock timeout");
  apply->add_flag("--wait", wait, "wait for another apply to finish");
  apply->add_flag("--dry-run", dry_run, "print what would run, run nothing");
  apply->add_flag("--quiet", quiet, "no progress on stderr");
  CLI11_PARSE(app, argc, argv);
  if (schema_path.empty()) schema_path = default_schema_path();

  try {
    Diagnostics diags;
    if (init->parsed()) {
      const auto files = init_project(init_request);
      std::cout << fmt::format(
          "Wrote {} in {} (target {}).\nNext: schemac check --schema {}, then schemac plan --schema {} "
          "--database-url ...\n",
          fmt::join(files, ", "), init_request.schema_dir, init_request.target, init_request.schema_dir,
          init_request.schema_dir);
      return kOk;
    }
    if (json_schema->parsed()) {
      std::cout << language::json_schema();
      return kOk;
    }
    if (history->parsed()) {
      Db db(database_url);
      std::cout << render_history(db, history_limit);
      return kOk;
    }
    if (audit->parsed()) {
      audit_request.database_url = database_url;
      const auto findings = audit_database(audit_request);
      std::cout << (audit_format == "json"       ? render_audit_json(findings)
                    : audit_format == "markdown" ? render_audit_markdown(findings)
                                                 : render_audit_text(findings));
      return findings.empty() ? kOk : kChanges;
    }
    if (import->parsed()) {
      import_request.database_url = database_url;
      import_request.cache_dir = no_cache ? "" : cache_dir;
      const auto r = import_database(import_request);
      std::cout << fmt::format("Imported {} tables and {} other objects into {}: {}\n", r.tables, r.objects,
                               import_request.schema_dir, fmt::join(r.files, ", "));
      for (const auto& w : r.warnings) std::cout << "warning: " << w << "\n";
      for (const auto& line : r.restored) std::cout << "declaration restored from the last apply: " << line << "\n";
      for (const auto& line : r.recognized) std::cout << "declared flags: " << line << "\n";
      for (const auto& line : r.not_recognized) std::cout << "flags not declared: " << line << "\n";
      for (const auto& sgt : r.suggestions) std::cout << "suggested: " << sgt << "\n";
      return kOk;
    }
    if (check->parsed()) {
      auto compiled = compile_schema(schema_path, diags);
      if (!compiled) return report(diags);
      std::size_t objects = 0;
      for (const auto& t : compiled->catalog.tables)
        objects += t.columns.size() + t.constraints.size() + t.indexes.size() + t.triggers.size() + t.policies.size();
      std::cout << fmt::format("{}: {} tables, {} objects after expanding flags; no errors\n", schema_path,
                               compiled->catalog.tables.size(), objects);
      return kOk;
    }
    PlanRequest request;
    request.schema_path = schema_path;
    request.database_url = database_url;
    if (!dev_url.empty()) request.dev_url = dev_url;
    request.cache_dir = no_cache ? "" : cache_dir;
    request.use_recorded_forms = !no_cache;
    if (apply->parsed())
      return run_apply({request, plan_file, allowed_hazards, lock_timeout, retries, wait, quiet, dry_run, auto_approve,
                        color_stdout(), apply_format == "json"});
    if (!out_path.empty() && !from_path.empty()) {
      std::cerr << "schemac plan: --out saves a plan for apply against a database; it cannot be used with --from\n";
      return kError;
    }
    auto outcome = !from_path.empty() ? plan_between_declarations(from_path, schema_path, diags)
                                      : plan_against_database(request, diags);
    if (!outcome) return report(diags);
    const auto& p = outcome->plan;
    if (!out_path.empty()) save_plan(*outcome, request, out_path);
    if (format == "sql")
      std::cout << render_sql(p);
    else if (format == "json")
      std::cout << render_json(p);
    else if (format == "markdown")
      std::cout << review::render_markdown(p, {.limit = markdown_limit, .saved_plan_path = out_path});
    else
      render_text(p, {color_stdout()}, std::cout);
    return detailed && !p.empty() ? kChanges : kOk;
  } catch (const ImportError& e) {
    std::cerr << "schemac import: " << e.what() << "\n";
    return kError;
  } catch (const PlanFileError& e) {
    std::cerr << "schemac apply: " << e.what() << "\n";
    return kError;
  } catch (const ApplyError& e) {
    std::cerr << "schemac apply: " << e.what() << "\n";
    return kError;
  } catch (const pqxx::broken_connection& e) {
    std::cerr << "schemac: cannot connect to the database: " << e.what()
              << "name it with --database-url, DATABASE_URL or the PG* variables\n";
    return kError;
  } catch (const std::exception& e) {
    std::cerr << "schemac: " << e.what() << "\n";
    return kError;
  }
}
