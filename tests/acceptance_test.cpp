// One acceptance case: tests/acceptance/<case>/ with before.sql (a database
// with rows), schema.toml (the declarations), expected.txt (the text plan) and
// optionally allow (hazards to allow, one per line). The harness plans and
// compares with expected.txt, lints the SQL plan with squawk, applies, checks
// that a second plan is empty, that the result equals a database built directly
// from the declarations, and that no row was lost.
// Usage: acceptance CASE_DIR   (SCHEMAC_UPDATE_EXPECTED=1 rewrites expected.txt)
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/deploy/apply.hpp"
#include "compiler/catalog/introspect.hpp"
#include "compiler/render.hpp"
#include "compiler/workflow.hpp"
#include "tests/run_command.hpp"

using namespace schemac;
namespace fs = std::filesystem;

namespace {

int failures = 0;

void fail(const std::string& what) {
  ++failures;
  std::cerr << "FAIL: " << what << "\n";
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string run(const std::string& command, int& code) {
  std::string out;
  code = test::run_command(command, out);
  return out;
}

struct ScratchDb {
  std::string name, url;
  explicit ScratchDb(const std::string& suffix) {
    name = fmt::format("schemac_acc_{}_{}", getpid(), suffix);
    Db admin("");
    admin.exec(fmt::format("DROP DATABASE IF EXISTS {}", quote_ident(name)));
    admin.exec(fmt::format("CREATE DATABASE {}", quote_ident(name)));
    url = Db::with_database("", name);
  }
  ~ScratchDb() {
    try {
      Db("").exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name)));
    } catch (...) {
    }
  }
};

// Zero-downtime rules a plan must never break (../shared/reference/toolchain.md).
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

void lint(const Plan& plan, const std::string& case_name) {
  const char* squawk = std::getenv("SQUAWK");
  if (!squawk || !*squawk) {
    fail("SQUAWK is not set: the acceptance suite lints every plan with squawk");
    return;
  }
  auto file = fs::temp_directory_path() / fmt::format("schemac_{}_{}.sql", case_name, getpid());
  std::ofstream(file) << render_sql(plan);
  int code = 0;
  auto out = run(fmt::format("{} --reporter json {} 2>/dev/null", squawk, file.string()), code);
  fs::remove(file);
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (j.is_discarded()) {
    fail("squawk printed no JSON: " + out.substr(0, 300));
    return;
  }
  const auto hazards = plan.hazards();
  for (const auto& v : j) {
    auto rule = v.value("rule_name", "");
    // What the plan itself flags as a blocking hazard is the user's call (--allow-hazard).
    if ((rule == "ban-drop-column" || rule == "ban-drop-table") && hazards.count("deletes-data")) continue;
    if (rule == "changing-column-type" && hazards.count("table-rewrite")) continue;
    if (rule == "adding-not-nullable-field" && hazards.count("backfill-required")) continue;
    // schemac adds a column with a volatile default in steps (no ADD COLUMN ...
    // DEFAULT volatile() on an existing table, ever); squawk flags any non-literal default.
    if (rule == "adding-field-with-default") continue;
    // Renames are what renamed_from asks for; squawk warns about clients, not locks.
    if (rule == "renaming-column" || rule == "renaming-table") continue;
    // squawk cannot tell a binary-coercible type change (varchar widening,
    // varchar to text: no rewrite, a brief lock; postgres-facts 1.2) from a rewrite.
    if (rule == "changing-column-type") {
      bool brief = true;
      for (const auto& s : plan.steps)
        if (s.sql.find(" TYPE ") != std::string::npos &&
            std::find(s.hazards.begin(), s.hazards.end(), "table-rewrite") != s.hazards.end())
          brief = false;
      if (brief) continue;
    }
    if (kZeroDowntimeRules.count(rule))
      fail(fmt::format("squawk {} at line {}: {}", rule, v.value("line", 0) + 1, v.value("message", "")));
  }
}

// migra (the @pgkit/migra port), as an independent judge of "same schema": it
// prints the SQL that turns one database into the other, nothing when equal.
void compare_with_migra(const std::string& applied_db, const std::string& reference_db,
                        const std::vector<std::string>& unmanaged) {
  const char* migra = std::getenv("MIGRA");
  if (!migra || !*migra) {
    fail("MIGRA is not set: the acceptance suite checks every result with migra");
    return;
  }
  auto env = [](const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return std::string(v && *v ? v : fallback);
  };
  // Different host spellings for the two, or migra warns that they are the same database.
  auto url = [&](const std::string& host, const std::string& db) {
    return fmt::format("postgresql://{}:{}@{}:{}/{}", env("PGUSER", "postgres"), env("PGPASSWORD", ""), host,
                       env("PGPORT", "5432"), db);
  };
  int code = 0;
  auto out = run(
      fmt::format("{} '{}' '{}' --unsafe 2>&1", migra, url("127.0.0.1", applied_db), url("localhost", reference_db)),
      code);
  std::stringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    bool about_unmanaged = false;
    for (const auto& t : unmanaged)
      if (line.find(t) != std::string::npos || line.find(t.substr(t.find('.') + 1)) != std::string::npos)
        about_unmanaged = true;
    if (!about_unmanaged) fail("migra sees a difference: " + line);
  }
}

std::map<std::string, long long> row_counts(Db& db, const std::vector<std::string>& schemas) {
  std::map<std::string, long long> out;
  std::string list;
  for (const auto& s : schemas) list += (list.empty() ? "" : ", ") + quote_literal(s);
  for (const auto& r : db.query(fmt::format("SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM "
                                            "pg_tables WHERE schemaname IN ({}) ORDER BY 1",
                                            list)))
    out[r[0].as<std::string>()] = db.query("SELECT count(*) FROM " + r[0].as<std::string>())[0][0].as<long long>();
  return out;
}

// The schema-level differences between two catalogs (column order aside).
std::vector<std::string> differences(const Catalog& a, const Catalog& b) {
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
    compare(describe_columns(ta), describe_columns(*tb), "column");
    compare(describe_constraints(ta), describe_constraints(*tb), "constraint");
    compare(describe_indexes(ta), describe_indexes(*tb), "index");
    compare(describe_triggers(ta), describe_triggers(*tb), "trigger");
    compare(describe_policies(ta), describe_policies(*tb), "policy");
    if (ta.rls_enabled != tb->rls_enabled || ta.rls_forced != tb->rls_forced)
      out.push_back(n + ": row level security differs");
  }
  for (const auto& tb : b.tables)
    if (!a.table(tb.name))
      out.push_back("table " + tb.name.display() + " only in the database built from the declarations");
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: acceptance CASE_DIR\n";
    return 2;
  }
  const fs::path dir = argv[1];
  const std::string case_name = dir.filename().string();
  const std::string schema = (dir / "schema.toml").string();
  std::set<std::string> allowed;
  {
    std::stringstream in(read(dir / "allow"));
    std::string h;
    while (in >> h) allowed.insert(h);
  }
  try {
    ScratchDb target("target"), reference("reference");
    Db db(target.url, "schemac acceptance");
    // Every case starts from a database prepared like Supabase's (auth schema, API roles).
    const auto supabase_like = read(dir.parent_path().parent_path() / "supabase_like.sql");
    db.exec(supabase_like);
    db.exec(read(dir.parent_path() / "prelude.sql"));
    db.exec(read(dir / "before.sql"));

    Diagnostics diags;
    auto outcome = plan_against_database({schema, target.url, std::nullopt, ""}, diags);
    if (!outcome) {
      std::cerr << diags.render();
      fail("the declarations did not plan");
      return 1;
    }
    const auto& plan = outcome->plan;
    auto text = render_text(plan);
    auto expected_path = dir / "expected.txt";
    if (std::getenv("SCHEMAC_UPDATE_EXPECTED")) std::ofstream(expected_path) << text;
    if (text != read(expected_path)) {
      fail("the text plan differs from expected.txt; the plan is:\n" + text);
    }
    lint(plan, case_name);
    bool refused = false;
    for (const auto& h : plan.hazards())
      if (hazard_blocks(h) && !allowed.count(h)) refused = true;
    // A case may expect apply to refuse (exit 3): then the plan and its hazards are the whole test.
    if (fs::exists(dir / "expect-refusal")) {
      if (!refused) fail("the case expects apply to refuse, but no blocking hazard is left unallowed");
      if (failures) return 1;
      std::cout << "ok " << case_name << " (apply refuses, as expected)\n";
      return 0;
    }
    if (refused) fail("the plan holds a blocking hazard that the case's allow file does not list");

    auto scope = outcome->desired.scope();
    auto before = row_counts(db, scope.schemas);
    std::stringstream log;
    apply_plan(db, plan, {"", -1, false, true}, log);

    Diagnostics again;
    auto second = plan_against_database({schema, target.url, std::nullopt, ""}, again);
    if (!second)
      fail("the second plan failed:\n" + again.render());
    else if (!second->plan.empty())
      fail("the second plan is not empty:\n" + render_text(second->plan));

    Db(reference.url).exec(supabase_like);
    Db(reference.url).exec(read(dir.parent_path() / "prelude.sql"));
    // Objects the declarations use but schemac does not manage (a function a default calls).
    if (fs::exists(dir / "reference.sql")) Db(reference.url).exec(read(dir / "reference.sql"));
    Diagnostics fresh;
    auto direct = plan_against_database({schema, reference.url, std::nullopt, ""}, fresh);
    if (!direct)
      fail("the reference build failed:\n" + fresh.render());
    else {
      Db ref(reference.url);
      apply_plan(ref, direct->plan, {"", -1, false, true}, log);
      Db a(target.url), b(reference.url);
      auto applied = read_catalog(a, scope);
      // Undeclared tables are left alone: they are not part of the comparison.
      std::erase_if(applied.tables, [&](const Table& t) {
        return std::find(plan.unmanaged_tables.begin(), plan.unmanaged_tables.end(), t.name.display()) !=
               plan.unmanaged_tables.end();
      });
      for (const auto& d : differences(applied, read_catalog(b, scope))) fail(d);
      compare_with_migra(target.name, reference.name, plan.unmanaged_tables);
    }

    auto after = row_counts(db, scope.schemas);
    for (const auto& [table_before, rows] : before) {
      auto table = table_before;
      for (const auto& s : plan.steps) {
        // A renamed table keeps its rows under its new name.
        auto prefix = "rename table " + table.substr(table.find('.') + 1) + " to ";
        if (s.summary.rfind(prefix, 0) == 0)
          table = table.substr(0, table.find('.') + 1) + s.summary.substr(prefix.size());
      }
      auto it = after.find(table);
      if (it == after.end()) {
        if (!allowed.count("deletes-data")) fail("table " + table + " disappeared");
      } else if (it->second != rows) {
        fail(fmt::format("{} had {} rows before apply and {} after", table, rows, it->second));
      }
    }
  } catch (const std::exception& e) {
    fail(std::string("exception: ") + e.what());
  }
  if (failures) return 1;
  std::cout << "ok " << case_name << "\n";
  return 0;
}
