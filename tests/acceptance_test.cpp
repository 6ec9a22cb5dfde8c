// One acceptance case: tests/acceptance/<case>/ with before.sql (a database
// with rows), schema.toml (the declarations), expected.txt (the text plan) and
// optionally allow (hazards to allow, one per line). The harness plans and
// compares with expected.txt, lints the SQL plan with squawk, applies, checks
// that a second plan is empty, that the result equals a database built directly
// from the declarations, and that no row was lost.
// Usage: acceptance CASE_DIR   (SCHEMAC_UPDATE_EXPECTED=1 rewrites expected.txt)
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "compiler/catalog/introspect.hpp"
#include "compiler/deploy/apply.hpp"
#include "compiler/render.hpp"
#include "compiler/workflow.hpp"
#include "tests/result_checks.hpp"

using namespace schemac;
namespace fs = std::filesystem;

namespace {

using test::fail;

std::string read(const fs::path& p) {
  return test::read_text(p.string());
}

void lint(const Plan& plan) {
  const char* squawk = std::getenv("SQUAWK");
  if (!squawk || !*squawk) {
    fail("SQUAWK is not set: the acceptance suite lints every plan with squawk");
    return;
  }
  for (const auto& v : test::squawk_violations(squawk, plan)) fail(v);
}

void compare_with_migra(const std::string& applied_db, const std::string& reference_db,
                        const std::vector<std::string>& unmanaged) {
  const char* migra = std::getenv("MIGRA");
  if (!migra || !*migra) {
    fail("MIGRA is not set: the acceptance suite checks every result with migra");
    return;
  }
  for (const auto& line : test::migra_differences(migra, applied_db, reference_db, unmanaged))
    fail("migra sees a difference: " + line);
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
    test::ScratchDatabase target(fmt::format("schemac_acc_{}_target", getpid())),
        reference(fmt::format("schemac_acc_{}_reference", getpid()));
    Db db(target.url(), "schemac acceptance");
    // Every case starts from a database prepared like Supabase's (auth schema, API roles).
    const auto supabase_like = read(dir.parent_path().parent_path() / "supabase_like.sql");
    db.exec(supabase_like);
    db.exec(read(dir.parent_path() / "prelude.sql"));
    db.exec(read(dir / "before.sql"));

    Diagnostics diags;
    auto outcome = plan_against_database({schema, target.url(), std::nullopt, ""}, diags);
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
    lint(plan);
    bool refused = false;
    for (const auto& h : plan.hazards())
      if (hazard_blocks(h) && !allowed.count(h)) refused = true;
    // A case may expect apply to refuse (exit 3): then the plan and its hazards are the whole test.
    if (fs::exists(dir / "expect-refusal")) {
      if (!refused) fail("the case expects apply to refuse, but no blocking hazard is left unallowed");
      if (test::failure_count()) return 1;
      std::cout << "ok " << case_name << " (apply refuses, as expected)\n";
      return 0;
    }
    if (refused) fail("the plan holds a blocking hazard that the case's allow file does not list");

    auto scope = outcome->desired.scope();
    auto before = row_counts(db, scope.schemas);
    std::stringstream log;
    apply_plan(db, plan, {"", -1, false, true}, log);

    Diagnostics again;
    auto second = plan_against_database({schema, target.url(), std::nullopt, ""}, again);
    if (!second)
      fail("the second plan failed:\n" + again.render());
    else if (!second->plan.empty())
      fail("the second plan is not empty:\n" + render_text(second->plan));

    Db(reference.url()).exec(supabase_like);
    Db(reference.url()).exec(read(dir.parent_path() / "prelude.sql"));
    // Objects the declarations use but schemac does not manage (a function a default calls).
    if (fs::exists(dir / "reference.sql")) Db(reference.url()).exec(read(dir / "reference.sql"));
    Diagnostics fresh;
    auto direct = plan_against_database({schema, reference.url(), std::nullopt, ""}, fresh);
    if (!direct)
      fail("the reference build failed:\n" + fresh.render());
    else {
      Db ref(reference.url());
      apply_plan(ref, direct->plan, {"", -1, false, true}, log);
      Db a(target.url()), b(reference.url());
      auto applied = read_catalog(a, scope);
      // Undeclared tables are left alone: they are not part of the comparison.
      std::erase_if(applied.tables, [&](const Table& t) {
        return std::find(plan.unmanaged_tables.begin(), plan.unmanaged_tables.end(), t.name.display()) !=
               plan.unmanaged_tables.end();
      });
      for (const auto& d : test::catalog_differences(applied, read_catalog(b, scope))) fail(d);
      compare_with_migra(target.name(), reference.name(), plan.unmanaged_tables);
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
  if (test::failure_count()) return 1;
  std::cout << "ok " << case_name << "\n";
  return 0;
}
