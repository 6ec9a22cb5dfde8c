#include "compiler/review/access_matrix.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "compiler/review/change_kinds.hpp"
#include "compiler/review/markdown_text.hpp"

namespace schemac::review {

namespace {

const std::vector<std::string> kCommands = {"select", "insert", "update", "delete"};

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// What decides a role's access to a table.
struct AccessState {
  bool exists = false;
  bool rls = false;
  Grants grants;                      // table privileges by role
  std::vector<Grants> column_grants;  // each column's
  std::vector<const Policy*> policies;
};

bool granted(const Grants& g, const std::string& role, const std::string& privilege) {
  for (const auto& r : {role, std::string("public")})
    if (auto it = g.find(r); it != g.end() && it->second.count(privilege)) return true;
  return false;
}

bool applies_to(const Policy& p, const std::string& role, const std::string& command) {
  bool role_ok = std::find(p.roles.begin(), p.roles.end(), role) != p.roles.end() ||
                 std::find(p.roles.begin(), p.roles.end(), "public") != p.roles.end();
  return role_ok && (p.command == "ALL" || lower(p.command) == command);
}

// The expression that limits the rows: WITH CHECK for insert (USING when an
// ALL policy has none), USING otherwise.
std::string row_expression(const Policy& p, const std::string& command) {
  if (command == "insert") return p.check_expr.empty() ? p.using_expr : p.check_expr;
  return p.using_expr.empty() ? "true" : p.using_expr;
}

// describe_rows, once per distinct expression: a plan of 2,000 new tables asks
// about the same few tenant policies 50,000 times.
const std::string& words(const std::string& expression, const std::string& tenancy_column) {
  thread_local std::map<std::pair<std::string, std::string>, std::string> cache;
  auto key = std::make_pair(expression, tenancy_column);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, describe_rows(expression, tenancy_column)).first;
  return it->second;
}

std::string effective(const AccessState& s, const std::string& role, const std::string& command,
                      const std::string& tenancy_column) {
  if (!s.exists) return "no table";
  const auto privilege = upper(command);
  std::string columns;
  if (!granted(s.grants, role, privilege)) {
    bool some = std::any_of(s.column_grants.begin(), s.column_grants.end(),
                            [&](const Grants& g) { return granted(g, role, privilege); });
    if (!some) return "none";
    columns = " (some columns)";
  }
  // Supabase's service_role has BYPASSRLS: policies do not apply to it.
  if (role == "service_role") return "all rows" + columns + ", bypassing row level security";
  if (!s.rls) return "all rows" + columns;
  std::vector<std::string> permissive, restrictive;
  for (const auto* p : s.policies)
    if (applies_to(*p, role, command))
      (p->permissive ? permissive : restrictive).push_back(words(row_expression(*p, command), tenancy_column));
  if (permissive.empty()) return "none (row level security, no policy)";
  std::sort(permissive.begin(), permissive.end());
  permissive.erase(std::unique(permissive.begin(), permissive.end()), permissive.end());
  std::string out;
  for (const auto& w : permissive) out += (out.empty() ? "" : " or ") + w;
  for (const auto& w : restrictive) out += " and only " + w;
  return out + columns;
}

AccessState state_of(const Table* t) {
  AccessState s;
  if (!t) return s;
  s.exists = true;
  s.rls = t->rls_enabled;
  s.grants = t->grants;
  for (const auto& c : t->columns) s.column_grants.push_back(c.grants);
  for (const auto& p : t->policies) s.policies.push_back(&p);
  return s;
}

// What the plan leaves: the declared grants for the roles the declaration
// names or fixes exactly, the live ones for the others (never revoked by
// omission); the normalized policies; the declared RLS switch.
AccessState state_after(const Table& declared, const Table* normalized, const Table* live, Grants inherited) {
  AccessState s = state_of(normalized ? normalized : &declared);
  s.rls = declared.rls_enabled;
  s.grants = live ? live->grants : std::move(inherited);
  for (const auto& role : declared.exact_grant_roles) s.grants.erase(role);
  for (const auto& [role, privileges] : declared.grants)
    if (declared.exact_grant_roles.count(role))
      s.grants[role] = privileges;
    else
      s.grants[role].insert(privileges.begin(), privileges.end());
  s.column_grants.clear();
  for (const auto& c : declared.columns) s.column_grants.push_back(c.grants);
  return s;
}

std::set<std::string> roles_of(const AccessState& s) {
  std::set<std::string> roles;
  for (const auto& [role, privileges] : s.grants) roles.insert(role);
  for (const auto& g : s.column_grants)
    for (const auto& [role, privileges] : g) roles.insert(role);
  for (const auto* p : s.policies) roles.insert(p->roles.begin(), p->roles.end());
  return roles;
}

// "schema.table" of every table whose authorization a step changes, or that the plan creates.
std::set<std::string> tables_to_show(const Plan& plan) {
  std::set<std::string> out;
  for (const auto& s : plan.steps) {
    if (s.table.empty()) continue;
    auto kind = change_kind(s);
    bool authz = std::find(s.hazards.begin(), s.hazards.end(), "authz-change") != s.hazards.end();
    bool created = kind == "table" && s.sql.rfind("CREATE ", 0) == 0;
    if (authz || created || kind == "policy" || kind == "privileges" || kind == "row level security")
      out.insert(s.table);
  }
  return out;
}

std::string strip_parens(std::string s) {
  auto trim = [](std::string& x) {
    while (!x.empty() && x.front() == ' ') x.erase(x.begin());
    while (!x.empty() && x.back() == ' ') x.pop_back();
  };
  trim(s);
  while (s.size() >= 2 && s.front() == '(' && s.back() == ')') {
    int depth = 0;
    bool wraps = true;
    for (std::size_t i = 0; i < s.size(); ++i) {
      depth += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
      if (depth == 0 && i + 1 < s.size()) wraps = false;
    }
    if (!wraps) break;
    s = s.substr(1, s.size() - 2);
    trim(s);
  }
  return s;
}

// Top-level AND terms (outside parentheses and string literals).
std::vector<std::string> conjuncts(const std::string& expr) {
  std::vector<std::string> out;
  int depth = 0;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < expr.size(); ++i) {
    char c = expr[i];
    if (c == '\'') quoted = !quoted;
    if (quoted) continue;
    depth += c == '(' ? 1 : c == ')' ? -1 : 0;
    if (depth == 0 && upper(expr.substr(i, 5)) == " AND ") {
      out.push_back(strip_parens(expr.substr(start, i - start)));
      start = i + 5;
      i += 4;
    }
  }
  out.push_back(strip_parens(expr.substr(start)));
  return out;
}

std::string noun(std::string column) {
  if (column.size() > 3 && column.ends_with("_id")) column.resize(column.size() - 3);
  std::replace(column.begin(), column.end(), '_', ' ');
  return column;
}

std::string shorten(const std::string& s) {
  return s.size() <= 80 ? s : s.substr(0, 77) + "...";
}

}  // namespace

std::string describe_rows(const std::string& predicate, const std::string& tenancy_column) {
  // pg_get_expr breaks long subqueries over lines: one space for any run of white space.
  std::string flat;
  for (char c : predicate) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space)
      flat += c;
    else if (!flat.empty() && flat.back() != ' ')
      flat += ' ';
  }
  const auto expr = strip_parens(flat);
  if (expr.empty() || lower(expr) == "true") return "all rows";
  if (lower(expr) == "false") return "no rows";
  static const std::regex compared(R"re(^"?([A-Za-z_][A-Za-z0-9_]*)"?\s*=\s*)re");
  // organization_id IN (SELECT people.organization_id FROM public.people WHERE ... auth.uid() ...)
  static const std::regex member_of(
      R"re(^"?([A-Za-z_][A-Za-z0-9_]*)"?\s+IN\s+\(\s*SELECT\s+\S+\s+FROM\s+([A-Za-z0-9_."]+))re", std::regex::icase);
  const std::string claim_key = "'" + tenancy_column + "'";
  std::string subject;
  std::vector<std::string> also, where;
  for (const auto& c : conjuncts(expr)) {
    const auto lc = lower(c);
    // The patterns look at how a term starts; std::regex recurses per
    // character, so a live policy of pages is never given to it whole.
    const std::string head = c.substr(0, 200);
    std::smatch m;
    const bool simple = std::regex_search(head, m, compared);
    const std::string column = simple ? m[1].str() : "";
    std::smatch in;
    const bool uses_caller = lc.find("jwt") != std::string::npos || lc.find("auth.uid()") != std::string::npos;
    if (uses_caller && subject.empty() && std::regex_search(head, in, member_of)) {
      subject = fmt::format("rows whose {} is one of the caller's in {}", in[1].str(), in[2].str());
    } else if (lc.find("jwt") != std::string::npos && subject.empty()) {
      // The tenancy claim (its key names the tenancy column), whatever the column compared is called.
      if (simple && (column == tenancy_column || c.find(claim_key) != std::string::npos))
        subject = "rows of the caller's " + noun(tenancy_column);
      else if (simple)
        subject = "rows whose " + column + " matches the caller's JWT claim";
      else
        subject = "rows matching the caller's JWT claims (" + shorten(c) + ")";
    } else if (lc.find("auth.uid()") != std::string::npos && subject.empty()) {
      subject = simple ? "own rows by " + column : "rows linked to the caller (" + shorten(c) + ")";
    } else if (static const std::regex not_deleted(R"re("?[a-z_]*deleted[a-z_]*"? is null)re");
               lc.size() < 100 && std::regex_match(lc, not_deleted)) {
      also.push_back("not deleted");
    } else {
      where.push_back(shorten(c));
    }
  }
  std::string out = subject.empty() ? "rows" : subject;
  for (const auto& a : also) out += ", " + a;
  for (std::size_t i = 0; i < where.size(); ++i) out += (i == 0 ? " where " : " and ") + where[i];
  return out == "rows" ? "all rows" : out;
}

std::vector<AccessChange> access_changes(const Plan& plan, const Catalog& declared, const Catalog& normalized,
                                         const Catalog& live, const std::string& tenancy_column,
                                         const InheritedGrants& inherited) {
  std::map<std::string, const Table*> by_name;
  for (const auto& t : declared.tables) by_name[t.name.display()] = &t;
  std::vector<AccessChange> out;
  for (const auto& name : tables_to_show(plan)) {
    auto it = by_name.find(name);
    if (it == by_name.end()) continue;  // dropped: its access goes with it
    const Table& want = *it->second;
    const Table* have = live.table(want.name);
    const AccessState before = state_of(have);
    const AccessState after =
        state_after(want, normalized.table(want.name), have, have ? Grants{} : inherited(want.name.schema));
    auto roles = roles_of(before);
    roles.merge(roles_of(after));
    for (const auto& role : roles)
      for (const auto& command : kCommands) {
        auto b = effective(before, role, command, tenancy_column);
        auto a = effective(after, role, command, tenancy_column);
        // A table the plan creates: only the roles it lets in.
        if (!have && a.rfind("none", 0) == 0) continue;
        if (a != b) out.push_back({name, role == "public" ? "PUBLIC" : role, command, std::move(b), std::move(a)});
      }
  }
  return out;
}

namespace {

// One line per (table, role, before, after), its commands joined: "select,
// update, delete".
struct Row {
  std::string table, role, commands, before, after;
};

std::vector<Row> merged(const std::vector<AccessChange>& changes) {
  std::vector<Row> rows;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, std::size_t> at;
  for (const auto& c : changes) {
    auto key = std::make_tuple(c.table, c.role, c.before, c.after);
    if (auto it = at.find(key); it != at.end()) {
      rows[it->second].commands += ", " + c.command;
      continue;
    }
    at[key] = rows.size();
    rows.push_back({c.table, c.role, c.command, c.before, c.after});
  }
  return rows;
}

}  // namespace

std::string render_access_text(const std::vector<AccessChange>& changes) {
  if (changes.empty()) return "";
  std::string out = "\nWho can do what (rows each role reaches, before -> after):\n";
  std::string table;
  for (const auto& r : merged(changes)) {
    if (r.table != table) out += "\n  " + (table = r.table) + "\n";
    out += fmt::format("    {} {}: {} -> {}\n", r.role, r.commands, r.before, r.after);
  }
  return out;
}

std::string render_access_markdown(const std::vector<AccessChange>& changes, std::size_t max_rows) {
  if (changes.empty()) return "";
  std::string out = "\n#### Who can do what\n\n| table | role | commands | before | after |\n|---|---|---|---|---|\n";
  const auto rows = merged(changes);
  std::size_t shown = 0;
  for (const auto& r : rows) {
    if (shown++ == max_rows) {
      out += fmt::format("\n... and {} more rows (`schemac plan` lists them all).\n", rows.size() - max_rows);
      break;
    }
    out += fmt::format("| {} | {} | {} | {} | **{}** |\n", code_cell(r.table), code_cell(r.role), r.commands,
                       markdown_cell(r.before), markdown_cell(r.after));
  }
  return out;
}

}  // namespace schemac::review
