#include "compiler/render.hpp"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/review/access_matrix.hpp"

namespace schemac {

namespace {

std::string indent(const std::string& sql, const std::string& prefix) {
  std::string out;
  std::stringstream in(sql);
  std::string line;
  while (std::getline(in, line)) out += prefix + line + "\n";
  return out;
}

// "7 triggers and 5 foreign keys": what the plan drops that no file declares, by kind.
std::string undeclared_drops(const Plan& plan) {
  std::map<std::string, int> count;
  for (const auto& s : plan.steps)
    if (!s.drops_kind.empty()) ++count[s.drops_kind];
  std::vector<std::string> parts;
  for (const auto& [kind, n] : count) {
    if (kind == "row level security" || kind == "forced row level security")
      parts.push_back(fmt::format("{} on {} table{}", kind, n, n == 1 ? "" : "s"));
    else if (n == 1)
      parts.push_back(fmt::format("1 {}", kind));
    else
      parts.push_back(fmt::format("{} {}", n,
                                  kind == "policy"     ? "policies"
                                  : kind.back() == 'x' ? kind + "es"
                                                       : kind + "s"));
  }
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i)
    out += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
  return out;
}

}  // namespace

std::string summary_line(const Plan& plan) {
  if (plan.empty()) return "No changes: the database matches the declarations.";
  std::set<std::string> tables;
  for (const auto& s : plan.steps)
    if (!s.table.empty()) tables.insert(s.table);
  std::vector<std::string> blocking;
  for (const auto& h : plan.hazards())
    if (hazard_blocks(h)) blocking.push_back(h);
  std::string out = fmt::format("Plan: {} step{} on {} table{}", plan.steps.size(), plan.steps.size() == 1 ? "" : "s",
                                tables.size(), tables.size() == 1 ? "" : "s");
  if (auto drops = undeclared_drops(plan); !drops.empty()) out += "; drops " + drops + " that no file declares";
  if (blocking.empty())
    out += ", no hazard that blocks apply.";
  else {
    out += "; apply needs --allow-hazard for:";
    for (const auto& h : blocking) out += " " + h;
    out += ".";
  }
  return out;
}

std::string step_reason(const Step& s, const std::string& folder) {
  if (s.origin.known()) {
    Origin o = s.origin;
    if (!folder.empty() && o.pos.file.rfind(folder, 0) == 0) o.pos.file.erase(0, folder.size());
    return o.describe();
  }
  // Steps a setting (not a declaration) caused.
  if (s.origin.flag == "target") return "needed by project.target = \"postgres\"";
  if (s.origin.flag == "undeclared_tables") return "project.undeclared_tables = \"drop\"";
  if (!s.origin.flag.empty()) return "needed by " + s.origin.flag;
  return "";
}

namespace {

// Steps in plan order with a header each time the phase or the table changes.
template <class OnPhase, class OnTable, class OnStep>
void walk(const Plan& plan, OnPhase on_phase, OnTable on_table, OnStep on_step) {
  int phase = 0;
  std::string table = "\x01";
  int number = 0;
  for (const auto& s : plan.steps) {
    if (static_cast<int>(s.phase) != phase) {
      phase = static_cast<int>(s.phase);
      on_phase(s.phase);
      table = "\x01";
    }
    if (s.table != table) {
      table = s.table;
      on_table(table.empty() ? std::string("(database)") : table);
    }
    on_step(++number, s);
  }
}

}  // namespace

namespace {

// Text appended to a stream as it is made: a plan of 2,000 new tables is 17 MB
// of text, which as one string (and its copy as it grows) was a cold plan's peak memory.
struct StreamText {
  std::ostream& os;
  StreamText& operator+=(const std::string& text) {
    os << text;
    return *this;
  }
};

}  // namespace

std::string render_text(const Plan& plan, const RenderOptions& options) {
  std::ostringstream text;
  render_text(plan, options, text);
  return std::move(text).str();
}

void render_text(const Plan& plan, const RenderOptions& options, std::ostream& os) {
  auto bold = [&](const std::string& s) { return options.color ? "\033[1m" + s + "\033[0m" : s; };
  auto red = [&](const std::string& s) { return options.color ? "\033[31m" + s + "\033[0m" : s; };
  StreamText out{os};
  out += bold(summary_line(plan)) + "\n";
  walk(
      plan,
      [&](Phase p) { out += "\n" + bold(fmt::format("Phase {}: {}", static_cast<int>(p), phase_name(p))) + "\n"; },
      [&](const std::string& table) { out += fmt::format("\n  {}\n", table); },
      [&](int number, const Step& s) {
        out += fmt::format("    {}. {}\n", number, s.summary);
        if (auto why = step_reason(s); !why.empty()) out += fmt::format("       why:   {}\n", why);
        out += fmt::format("       lock:  {}\n", s.lock == "none" ? "none on existing tables" : s.lock);
        out += fmt::format("       runs:  {}\n", s.transactional ? fmt::format("in transaction {}, lock_timeout {}",
                                                                               s.group, plan.lock_timeout)
                                                                 : "alone, outside a transaction, no lock_timeout");
        if (!s.hazards.empty()) {
          std::string hz;
          for (const auto& h : s.hazards)
            hz += (hz.empty() ? "" : ", ") + (hazard_blocks(h) ? red(h + " (blocks apply)") : h);
          out += fmt::format("       hazards: {}\n", hz);
        }
        out += indent(s.sql + ";", "       | ");
      });
  out += review::render_access_text(plan.access_changes);
  if (!plan.unmanaged_tables.empty()) {
    out += "\nUnmanaged tables (not declared; left alone):\n";
    for (const auto& t : plan.unmanaged_tables) out += "  " + t + "\n";
  }
  if (!plan.unmanaged_objects.empty()) {
    out += "\nUnmanaged objects (no file declares them; left alone, see project.undeclared_objects):\n";
    for (const auto& o : plan.unmanaged_objects) out += "  " + o + "\n";
  }
  if (!plan.not_planned.empty()) {
    out += "\nDeclared but not planned (schemac cannot make these yet; nothing is done about them):\n";
    for (const auto& o : plan.not_planned) out += "  " + o + "\n";
  }
}

std::string render_sql(const Plan& plan) {
  std::string out = "-- generated by schemac; " + summary_line(plan) + "\n";
  if (plan.empty()) return out;
  std::string path;
  for (std::size_t i = 0; i < plan.search_path.size(); ++i) path += (i ? ", " : "") + quote_ident(plan.search_path[i]);
  out += fmt::format("SET search_path = {};\n", path);
  int phase = 0;
  int open_group = 0;
  for (const auto& s : plan.steps) {
    if (open_group && s.group != open_group) {
      out += "COMMIT;\n";
      open_group = 0;
    }
    if (static_cast<int>(s.phase) != phase) {
      phase = static_cast<int>(s.phase);
      out += fmt::format("\n-- Phase {}: {}\n", phase, phase_name(s.phase));
    }
    if (s.transactional && !open_group) {
      out += fmt::format("BEGIN;\nSET LOCAL lock_timeout = {};\n", quote_literal(plan.lock_timeout));
      open_group = s.group;
    }
    out += fmt::format("-- {}{}\n", s.table.empty() ? "" : s.table + ": ", s.summary);
    out += s.sql + ";\n";
  }
  if (open_group) out += "COMMIT;\n";
  return out;
}

std::string render_json(const Plan& plan) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : plan.steps) {
    nlohmann::json j = {{"phase", static_cast<int>(s.phase)},
                        {"phase_name", phase_name(s.phase)},
                        {"table", s.table},
                        {"summary", s.summary},
                        {"sql", s.sql},
                        {"transaction", s.transactional ? nlohmann::json(s.group) : nlohmann::json(nullptr)},
                        {"lock", s.lock},
                        // Transactions wait for locks at most lock_timeout (then retry);
                        // CONCURRENTLY statements wait without one: they block no reads or writes.
                        {"lock_timeout", s.transactional ? nlohmann::json(plan.lock_timeout) : nlohmann::json(nullptr)},
                        {"hazards", s.hazards}};
    if (s.origin.known())
      j["source"] = {{"file", s.origin.pos.file}, {"line", s.origin.pos.line}, {"column", s.origin.pos.column}};
    if (!s.origin.flag.empty()) j["flag"] = s.origin.flag;
    if (!s.drops_kind.empty()) j["drops_undeclared"] = {{"kind", s.drops_kind}, {"name", s.drops_name}};
    steps.push_back(std::move(j));
  }
  nlohmann::json access = nlohmann::json::array();
  for (const auto& a : plan.access_changes)
    access.push_back(
        {{"table", a.table}, {"role", a.role}, {"command", a.command}, {"before", a.before}, {"after", a.after}});
  nlohmann::json drops = nlohmann::json::array();
  for (const auto& s : plan.steps)
    if (!s.drops_kind.empty()) drops.push_back({{"kind", s.drops_kind}, {"table", s.table}, {"name", s.drops_name}});
  nlohmann::json out = {{"format_version", 1},
                        {"schemac_version", SCHEMAC_VERSION},
                        {"summary", summary_line(plan)},
                        {"lock_timeout", plan.lock_timeout},
                        {"search_path", plan.search_path},
                        {"steps", std::move(steps)},
                        {"drops_undeclared", std::move(drops)},
                        {"access_changes", std::move(access)},
                        {"unmanaged_tables", plan.unmanaged_tables},
                        {"unmanaged_objects", plan.unmanaged_objects},
                        {"not_planned", plan.not_planned}};
  return out.dump(2) + "\n";
}

}  // namespace schemac
