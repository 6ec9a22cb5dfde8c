#include "compiler/review/pull_request.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "compiler/render.hpp"
#include "compiler/review/access_matrix.hpp"
#include "compiler/review/change_kinds.hpp"
#include "compiler/review/hazard_advice.hpp"
#include "compiler/review/locks.hpp"
#include "compiler/review/markdown_text.hpp"

namespace schemac::review {

namespace {

constexpr const char* kDatabase = "(database)";

struct TableSteps {
  std::string name;
  std::vector<std::size_t> steps;  // indexes into plan.steps, plan order
};

// Tables in name order, database-wide steps first.
std::vector<TableSteps> by_table(const Plan& plan) {
  std::map<std::string, TableSteps> tables;
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const auto& name = plan.steps[i].table.empty() ? std::string(kDatabase) : plan.steps[i].table;
    auto& t = tables[name];
    t.name = name;
    t.steps.push_back(i);
  }
  std::vector<TableSteps> out;
  if (auto it = tables.find(kDatabase); it != tables.end()) {
    out.push_back(std::move(it->second));
    tables.erase(it);
  }
  for (auto& [name, t] : tables) out.push_back(std::move(t));
  return out;
}

std::string table_label(const std::string& name) {
  return name == kDatabase ? name : code_span(name);
}

std::string plural(const std::string& noun, std::size_t n) {
  static const std::set<std::string> uncountable = {"privileges", "row level security", "data", "replica identity"};
  if (uncountable.count(noun)) return noun;
  std::string word = noun;
  if (n != 1) {
    if (word.back() == 'y')
      word = word.substr(0, word.size() - 1) + "ies";
    else if (word.back() == 'x' || word.back() == 's')
      word += "es";
    else
      word += "s";
  }
  return fmt::format("{} {}", n, word);
}

std::string changes_of(const Plan& plan, const TableSteps& t) {
  std::map<std::string, std::size_t> kinds;
  for (auto i : t.steps) ++kinds[change_kind(plan.steps[i])];
  std::vector<std::pair<std::string, std::size_t>> sorted(kinds.begin(), kinds.end());
  // Most steps first; ties by name, so the cell is the same on every run.
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out;
  for (const auto& [kind, n] : sorted) out += (out.empty() ? "" : ", ") + plural(kind, n);
  return out;
}

// The strongest lock among the table's steps; of equal modes, one held longer
// than "brief" wins, since that is the one that can hurt.
LockSummary strongest_lock(const Plan& plan, const TableSteps& t) {
  LockSummary best;
  best.mode = "none";
  for (auto i : t.steps) {
    auto l = summarize_lock(plan.steps[i]);
    bool longer = l.held != "brief" && best.held == "brief";
    if (l.strength > best.strength || (l.strength == best.strength && l.strength > 0 && longer)) best = l;
  }
  return best;
}

std::set<std::string> hazards_of(const Plan& plan, const TableSteps& t) {
  std::set<std::string> out;
  for (auto i : t.steps) out.insert(plan.steps[i].hazards.begin(), plan.steps[i].hazards.end());
  return out;
}

std::string hazard_cell(const std::set<std::string>& hazards) {
  std::string out;
  for (const auto& h : hazards)
    out += (out.empty() ? "" : " ") + (hazard_blocks(h) ? "**" + code_span(h) + "**" : code_span(h));
  return out.empty() ? "none" : out;
}

// A box per severity: each hazard, where it is (tables, step numbers), and what to do.
std::string hazard_box(const Plan& plan, bool blocking) {
  std::map<std::string, std::vector<std::string>> where;  // hazard -> "`t` (step 3, 4)"
  std::map<std::string, std::map<std::string, std::vector<std::size_t>>> at;
  for (std::size_t i = 0; i < plan.steps.size(); ++i)
    for (const auto& h : plan.steps[i].hazards)
      if (hazard_blocks(h) == blocking)
        at[h][plan.steps[i].table.empty() ? kDatabase : plan.steps[i].table].push_back(i + 1);
  if (at.empty()) return "";
  std::string out = blocking ? "\n> [!CAUTION]\n> **Apply stops at these hazards** until each is allowed with "
                               "`--allow-hazard`:\n"
                             : "\n> [!NOTE]\n> **For review:**\n";
  for (const auto& [h, tables] : at) {
    std::string places;
    std::size_t shown = 0;
    for (const auto& [table, steps] : tables) {
      if (shown++ == 6) {
        places += fmt::format(", and {} more tables", tables.size() - 6);
        break;
      }
      std::string nums;
      for (std::size_t k = 0; k < steps.size() && k < 5; ++k) nums += (k ? ", " : "") + std::to_string(steps[k]);
      if (steps.size() > 5) nums += ", ...";
      places += fmt::format("{}{} (step{} {})", places.empty() ? "" : ", ", table_label(table),
                            steps.size() == 1 ? "" : "s", nums);
    }
    auto advice = hazard_advice(h);
    out += fmt::format("> - **{}** on {}{}\n", code_span(h), places, advice.empty() ? "" : ": " + advice);
  }
  return out;
}

std::string overview(const Plan& plan, const std::vector<TableSteps>& tables, std::size_t max_rows) {
  std::string out = "\n| table | steps | changes | strongest lock | hazards |\n|---|---:|---|---|---|\n";
  std::size_t shown = 0;
  for (const auto& t : tables) {
    if (shown++ == max_rows) {
      out += fmt::format("| and {} more tables | | | | |\n", tables.size() - max_rows);
      break;
    }
    out += fmt::format("| {} | {} | {} | {} | {} |\n", t.name == kDatabase ? t.name : code_cell(t.name), t.steps.size(),
                       markdown_cell(changes_of(plan, t)), markdown_cell(strongest_lock(plan, t).short_text()),
                       hazard_cell(hazards_of(plan, t)));
  }
  return out;
}

// The modes the plan takes, what each does to readers and writers, and how
// long anyone waits.
std::string lock_legend(const Plan& plan) {
  std::map<int, std::string> modes;
  for (const auto& s : plan.steps)
    if (auto l = summarize_lock(s); l.strength > 0) modes[-l.strength] = l.mode;
  std::string out = "\n";
  for (const auto& [strength, mode] : modes) out += fmt::format("**{}** {}. ", mode, mode_effect(mode));
  return out + fmt::format(
                   "Each lock on an existing table is waited for at most `lock_timeout` {}, then its transaction is "
                   "retried (up to {} times): a busy table delays the deploy, not its readers and writers.\n",
                   plan.lock_timeout, plan.retries);
}

// The folder every declaration that caused a step is in ("examples/saas/schema/"):
// said once, and left out of each step's source.
std::string common_folder(const Plan& plan) {
  std::optional<std::string> out;
  for (const auto& s : plan.steps) {
    if (!s.origin.known()) continue;
    const auto& file = s.origin.pos.file;
    auto dir = file.substr(0, file.rfind('/') + 1);
    if (!out) {
      out = dir;
      continue;
    }
    std::size_t n = 0;
    while (n < out->size() && n < dir.size() && (*out)[n] == dir[n]) ++n;
    const auto slash = out->substr(0, n).rfind('/');
    out->resize(slash == std::string::npos ? 0 : slash + 1);
  }
  return out.value_or("");
}

std::string step_line(const Plan& plan, std::size_t i, const std::string& folder) {
  const auto& s = plan.steps[i];
  std::string out = fmt::format("- **{}** {} · {}", i + 1, html_escape(s.summary), phase_name(s.phase));
  for (const auto& h : s.hazards)
    out += " · " + (hazard_blocks(h) ? ":warning: **" + code_span(h) + "**" : code_span(h));
  out += fmt::format("<br><sub>lock: {}", html_escape(summarize_lock(s).short_text()));
  if (!s.transactional) out += "; runs alone, outside a transaction";
  if (auto w = step_reason(s, folder); !w.empty()) out += " · why: " + html_escape(w);
  return out + "</sub>\n";
}

// How much SQL a comment shows: each statement cut after `cap` characters,
// functions after `function_cap` (a runtime function's body is pages, and the
// same in every plan); cap 0: none.
struct SqlCut {
  std::size_t cap = SIZE_MAX;
  std::size_t function_cap = SIZE_MAX;
};

std::string sql_block(const Plan& plan, const TableSteps& t, const SqlCut& cut) {
  std::string out = "\n```sql\n";
  for (auto i : t.steps) {
    const auto& s = plan.steps[i];
    std::string sql = s.sql;
    const auto cap = change_kind(s) == "function" ? std::min(cut.cap, cut.function_cap) : cut.cap;
    if (sql.size() > cap) sql = sql.substr(0, cap) + fmt::format("\n-- ... {} more characters", sql.size() - cap);
    // A fence inside the SQL would end the block.
    for (auto at = sql.find("```"); at != std::string::npos; at = sql.find("```", at)) sql.replace(at, 3, "`\u200b``");
    out += fmt::format("-- {}\n{};\n", i + 1, sql);
  }
  return out + "```\n";
}

std::string table_details(const Plan& plan, const TableSteps& t, const SqlCut& cut, const std::string& folder) {
  auto lock = strongest_lock(plan, t);
  std::string out = fmt::format("\n<details><summary><b>{}</b>: {} step{}, {}</summary>\n\n",
                                t.name == kDatabase ? t.name : "<code>" + html_escape(t.name) + "</code>",
                                t.steps.size(), t.steps.size() == 1 ? "" : "s", html_escape(lock.short_text()));
  for (auto i : t.steps) out += step_line(plan, i, folder);
  if (cut.cap > 0) out += sql_block(plan, t, cut);
  return out + "\n</details>\n";
}

std::string where_whole_plan(const MarkdownOptions& o) {
  if (!o.saved_plan_path.empty())
    return fmt::format(
        "the whole plan, SQL included, is the saved plan `{}` (keep it as the job's artifact: "
        "`schemac apply {}` runs exactly that)",
        o.saved_plan_path, o.saved_plan_path);
  return "the whole plan is `schemac plan --format sql` (or save it with `--out plan.json`, the job's artifact)";
}

std::string lists(const Plan& plan) {
  std::string out;
  if (!plan.not_planned.empty()) {
    out +=
        "\n> [!WARNING]\n> **Declared but not planned** (schemac cannot make these yet; nothing is done about "
        "them):\n";
    for (const auto& o : plan.not_planned) out += "> - " + html_escape(o) + "\n";
  }
  auto folded = [&](const std::string& title, const std::vector<std::string>& items) {
    if (items.empty()) return;
    out += fmt::format("\n<details><summary>{} ({})</summary>\n\n", title, items.size());
    for (const auto& i : items) out += "- " + code_span(i) + "\n";
    out += "\n</details>\n";
  };
  folded("Unmanaged tables: not declared, left alone", plan.unmanaged_tables);
  folded("Unmanaged objects: no file declares them, left alone", plan.unmanaged_objects);
  return out;
}

// How much of the plan a comment shows.
struct Detail {
  SqlCut sql;
  std::size_t tables_with_steps = SIZE_MAX;  // the first tables' steps
  std::size_t overview_rows = SIZE_MAX;      // rows of the table of tables, and of who can do what
};

std::string render(const Plan& plan, const std::vector<TableSteps>& tables, const MarkdownOptions& o, const Detail& d) {
  std::string out = "### schemac plan\n\n**" + summary_line(plan) + "**\n";
  if (plan.empty()) return out;
  out += hazard_box(plan, true);
  out += hazard_box(plan, false);
  out += overview(plan, tables, d.overview_rows);
  out += lock_legend(plan);
  out += render_access_markdown(plan.access_changes, d.overview_rows);
  out += "\n#### Steps by table\n";
  const auto folder = common_folder(plan);
  if (!folder.empty()) out += "\nDeclarations are in `" + folder + "`.\n";
  std::size_t shown = 0;
  for (const auto& t : tables) {
    if (shown >= d.tables_with_steps) break;
    out += table_details(plan, t, d.sql, folder);
    ++shown;
  }
  if (d.sql.cap == 0) {
    std::string left_out = shown == tables.size()
                               ? "The SQL is left out"
                               : fmt::format("The SQL, and the steps of {} more table{}, are left out",
                                             tables.size() - shown, tables.size() - shown == 1 ? "" : "s");
    out += fmt::format("\n> [!NOTE]\n> {} to fit one comment ({} characters at most); {}.\n", left_out, o.limit,
                       where_whole_plan(o));
  } else if (d.sql.cap != SIZE_MAX || d.sql.function_cap != SIZE_MAX) {
    const auto& c = d.sql;
    const std::string what =
        c.cap == SIZE_MAX ? fmt::format("Function bodies longer than {} characters", c.function_cap)
        : c.function_cap < c.cap
            ? fmt::format("Statements longer than {} characters (function bodies: {})", c.cap, c.function_cap)
            : fmt::format("Statements longer than {} characters", c.cap);
    out += fmt::format("\n> [!NOTE]\n> {} are cut to fit one comment ({} characters at most); {}.\n", what, o.limit,
                       where_whole_plan(o));
  }
  out += lists(plan);
  return out;
}

// The largest n in [0, hi] for which fits(n), given fits is monotone and fits(0).
template <class Fits>
std::size_t largest(std::size_t hi, Fits fits) {
  std::size_t lo = 0;
  while (lo < hi) {
    std::size_t mid = lo + (hi - lo + 1) / 2;
    if (fits(mid))
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

}  // namespace

std::string render_markdown(const Plan& plan, const MarkdownOptions& options) {
  const auto tables = by_table(plan);
  auto fits = [&](const Detail& d) { return render(plan, tables, options, d).size() <= options.limit; };
  // Whole; then the SQL cut, then left out; then the steps of fewer tables; then fewer
  // rows in the overview (a plan of thousands of tables).
  Detail d;
  if (fits(d)) return render(plan, tables, options, d);
  // Function bodies cut, then every long statement, then no SQL at all.
  for (auto cut : {SqlCut{SIZE_MAX, 300}, SqlCut{600, 300}, SqlCut{300, 200}, SqlCut{150, 150}, SqlCut{0, 0}}) {
    d.sql = cut;
    if (fits(d)) return render(plan, tables, options, d);
  }
  d.tables_with_steps = 0;
  if (fits(d)) {
    d.tables_with_steps = largest(tables.size(), [&](std::size_t n) {
      Detail x = d;
      x.tables_with_steps = n;
      return fits(x);
    });
    return render(plan, tables, options, d);
  }
  d.overview_rows = largest(tables.size() + plan.access_changes.size(), [&](std::size_t n) {
    Detail x = d;
    x.overview_rows = n;
    return fits(x);
  });
  return render(plan, tables, options, d);
}

}  // namespace schemac::review
