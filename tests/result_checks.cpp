#include "tests/result_checks.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/render.hpp"
#include "tests/process.hpp"
#include "tests/run_command.hpp"

namespace schemac::test {

namespace {
int failures = 0;
}  // namespace

void fail(const std::string& what) {
  ++failures;
  std::cout << "FAIL: " << what << std::endl;
}

int failure_count() {
  return failures;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

namespace fs = std::filesystem;

ScratchDatabase::ScratchDatabase(std::string name, const std::string& options) : name_(std::move(name)) {
  Db admin("");
  admin.exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name_)));
  admin.exec(fmt::format("CREATE DATABASE {} {}", quote_ident(name_), options));
  url_ = Db::with_database("", name_);
}

ScratchDatabase::~ScratchDatabase() {
  try {
    Db("").exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name_)));
  } catch (...) {
  }
}

std::vector<std::string> catalog_differences(const Catalog& a, const Catalog& b) {
  std::vector<std::string> out;
  for (const auto& ta : a.tables) {
    const Table* tb = b.table(ta.name);
    if (!tb) {
      out.push_back("table " + ta.name.display() + " only in the applied database");
      continue;
    }
    const auto n = ta.name.display();
    auto describe_columns = [](const Table& t) {
      std::set<std::string> s;
      for (const auto& c : t.columns)
        s.insert(
            fmt::format("{} {} {} {}", c.name, c.type, c.nullable ? "NULL" : "NOT NULL", c.default_expr.value_or("")));
      return s;
    };
    auto describe_constraints = [](const Table& t) {
      std::set<std::string> s;
      for (const auto& c : t.constraints)
        s.insert(fmt::format("{} {}{}", c.name, c.definition, c.validated ? "" : " NOT VALID"));
      return s;
    };
    auto describe_indexes = [&](const Table& t) {
      std::set<std::string> s;
      for (const auto& i : t.indexes)
        s.insert(fmt::format("{} {}{}", i.name, index_shape(i.definition), i.valid ? "" : " INVALID"));
      return s;
    };
    auto describe_triggers = [&](const Table& t) {
      std::set<std::string> s;
      for (const auto& tr : t.triggers) s.insert(tr.definition);
      return s;
    };
    auto describe_policies = [](const Table& t) {
      std::set<std::string> s;
      for (const auto& p : t.policies) {
        std::string roles;
        for (const auto& r : p.roles) roles += r + ",";
        s.insert(fmt::format("{} {} {} {} USING {} CHECK {}", p.name, p.command, p.permissive, roles, p.using_expr,
                             p.check_expr));
      }
      return s;
    };
    auto compare = [&](const std::set<std::string>& x, const std::set<std::string>& y, const char* what) {
      for (const auto& e : x)
        if (!y.count(e)) out.push_back(fmt::format("{}: {} only in the applied database: {}", n, what, e));
      for (const auto& e : y)
        if (!x.count(e))
          out.push_back(fmt::format("{}: {} only in the database built from the declarations: {}", n, what, e));
    };
    auto describe_comments = [](const Table& t) {
      std::set<std::string> s;
      if (t.comment) s.insert("on the table: " + *t.comment);
      for (const auto& c : t.columns)
        if (c.comment) s.insert(fmt::format("on column {}: {}", c.name, *c.comment));
      return s;
    };
    auto describe_grants = [](const Table& t) {
      std::set<std::string> s;
      for (const auto& [role, privileges] : t.grants)
        for (const auto& p : privileges) s.insert(p + " to " + role);
      return s;
    };
    compare(describe_columns(ta), describe_columns(*tb), "column");
    compare(describe_constraints(ta), describe_constraints(*tb), "constraint");
    compare(describe_indexes(ta), describe_indexes(*tb), "index");
    compare(describe_triggers(ta), describe_triggers(*tb), "trigger");
    compare(describe_policies(ta), describe_policies(*tb), "policy");
    compare(describe_comments(ta), describe_comments(*tb), "comment");
    compare(describe_grants(ta), describe_grants(*tb), "grant");
    if (ta.rls_enabled != tb->rls_enabled || ta.rls_forced != tb->rls_forced)
      out.push_back(n + ": row level security differs");
    if (ta.replica_identity != tb->replica_identity)
      out.push_back(
          fmt::format("{}: replica identity {} in the applied database, {} in the database built from the "
                      "declarations",
                      n, ta.replica_identity, tb->replica_identity));
  }
  // Default privileges and publications: database-wide, each as one line.
  auto describe_database = [](const Catalog& c) {
    std::set<std::string> s;
    for (const auto& p : c.default_privileges)
      for (const auto& item : p.items) s.insert(p.describe() + ": " + item);
    for (const auto& p : c.publications) {
      s.insert(fmt::format("publication {}{} WITH ({})", p.name, p.all_tables ? " FOR ALL TABLES" : "", p.options));
      for (const auto& t : p.tables) {
        std::string columns;
        for (const auto& col : t.columns) columns += col + ",";
        s.insert(fmt::format("publication {} table {} ({}) WHERE {}", p.name, t.table.display(), columns, t.where));
      }
      for (const auto& schema : p.schemas) s.insert(fmt::format("publication {} schema {}", p.name, schema));
    }
    return s;
  };
  const auto da = describe_database(a), db = describe_database(b);
  for (const auto& e : da)
    if (!db.count(e)) out.push_back(e + " only in the applied database");
  for (const auto& e : db)
    if (!da.count(e)) out.push_back(e + " only in the database built from the declarations");
  for (const auto& tb : b.tables)
    if (!a.table(tb.name))
      out.push_back("table " + tb.name.display() + " only in the database built from the declarations");
  return out;
}

std::vector<std::string> migra_differences(const std::string& migra, const std::string& applied_db,
                                           const std::string& reference_db, const std::vector<std::string>& ignored,
                                           const std::string& extra_options) {
  auto env = [](const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return std::string(v && *v ? v : fallback);
  };
  // Different host spellings for the two, or migra warns that they are the same database.
  auto url = [&](const std::string& host, const std::string& db) {
    return fmt::format("postgresql://{}:{}@{}:{}/{}", env("PGUSER", "postgres"), env("PGPASSWORD", ""), host,
                       env("PGPORT", "5432"), db);
  };
  std::string out;
  run_command(fmt::format("{} {} {} --unsafe {} 2>&1", migra, shell_quote(url("127.0.0.1", applied_db)),
                          shell_quote(url("localhost", reference_db)), extra_options),
              out);
  // migra always exits 0: its output is the verdict.
  std::vector<std::string> found;
  std::stringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    bool about_ignored = false;
    for (const auto& t : ignored)
      if (line.find(t) != std::string::npos || line.find(t.substr(t.find('.') + 1)) != std::string::npos)
        about_ignored = true;
    if (!about_ignored) found.push_back(line);
  }
  return found;
}

const std::set<std::string> kZeroDowntimeRules = {"require-concurrent-index-creation",
                                                  "require-concurrent-index-deletion",
                                                  "constraint-missing-not-valid",
                                                  "ban-concurrent-index-creation-in-transaction",
                                                  "adding-not-nullable-field",
                                                  "changing-column-type",
                                                  "disallowed-unique-constraint",
                                                  "adding-foreign-key-constraint",
                                                  "adding-field-with-default",
                                                  "adding-serial-primary-key-field",
                                                  "renaming-column",
                                                  "renaming-table",
                                                  "ban-drop-column",
                                                  "ban-drop-table"};

namespace {

// Whether the plan itself says what squawk says about a step.
bool flagged(const std::string& rule, const Step* step) {
  auto has = [&](const char* hazard) {
    return step && std::find(step->hazards.begin(), step->hazards.end(), hazard) != step->hazards.end();
  };
  // schemac adds a column with a volatile default in steps (no ADD COLUMN ...
  // DEFAULT volatile() on an existing table, ever); squawk flags any non-literal default.
  if (rule == "adding-field-with-default") return true;
  // Renames are what renamed_from asks for; squawk warns about clients, not locks.
  if (rule == "renaming-column" || rule == "renaming-table") return true;
  // A rewrite is the step's table-rewrite hazard; a type change without it is
  // binary-coercible (varchar widening, varchar to text: no rewrite, a brief
  // lock; postgres-facts 1.2), which squawk cannot tell from a rewrite.
  if (rule == "changing-column-type") return true;
  // What the plan flags as a blocking hazard is the user's call (--allow-hazard).
  if (rule == "ban-drop-column" || rule == "ban-drop-table") return has("deletes-data");
  if (rule == "adding-not-nullable-field") return has("backfill-required");
  // An exclusion constraint cannot be NOT VALID: the plan says it locks (table-lock, blocking).
  if (rule == "constraint-missing-not-valid") return has("table-lock");
  // CREATE INDEX ... ON ONLY a partitioned table builds nothing (the index is
  // invalid until each partition's, built concurrently, is attached), and
  // CONCURRENTLY is not allowed there: squawk cannot tell.
  if (rule == "require-concurrent-index-creation") return step && step->sql.find(" ON ONLY ") != std::string::npos;
  return false;
}

}  // namespace

std::vector<std::string> squawk_violations(const std::string& squawk, const Plan& plan) {
  const std::string sql = render_sql(plan);
  // The lines of each step's statement in the script (squawk counts lines from 0).
  std::vector<std::pair<std::size_t, std::size_t>> lines;
  std::size_t cursor = 0;
  for (const auto& s : plan.steps) {
    auto at = sql.find(s.sql + ";\n", cursor);
    if (at == std::string::npos) return {"step not found in the rendered SQL: " + s.sql};
    auto first = static_cast<std::size_t>(std::count(sql.begin(), sql.begin() + static_cast<long>(at), '\n'));
    lines.emplace_back(first, first + static_cast<std::size_t>(std::count(s.sql.begin(), s.sql.end(), '\n')));
    cursor = at + s.sql.size();
  }
  auto file = fs::temp_directory_path() / fmt::format("schemac_squawk_{}.sql", getpid());
  std::ofstream(file) << sql;
  std::string out;
  run_command(fmt::format("{} --reporter json {} 2>/dev/null", squawk, shell_quote(file.string())), out);
  fs::remove(file);
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (j.is_discarded()) return {"squawk printed no JSON: " + out.substr(0, 300)};
  std::vector<std::string> found;
  for (const auto& v : j) {
    const auto rule = v.value("rule_name", "");
    const auto line = v.value("line", std::size_t{0});
    const Step* step = nullptr;
    for (std::size_t i = 0; i < lines.size(); ++i)
      if (lines[i].first <= line && line <= lines[i].second) step = &plan.steps[i];
    // An index built in the transaction that creates its materialized view
    // blocks nobody: nothing can read the view before that transaction commits.
    const bool on_new_view = step && rule == "require-concurrent-index-creation" && step->group != 0 &&
                             std::any_of(plan.steps.begin(), plan.steps.end(), [&](const Step& s) {
                               return s.group == step->group && s.sql.rfind("CREATE MATERIALIZED VIEW", 0) == 0;
                             });
    if (kZeroDowntimeRules.count(rule) && !flagged(rule, step) && !on_new_view)
      found.push_back(fmt::format("squawk {} at line {}{}: {}", rule, line + 1,
                                  step ? " (" + step->table + ": " + step->summary + ")" : "", v.value("message", "")));
  }
  return found;
}

}  // namespace schemac::test
