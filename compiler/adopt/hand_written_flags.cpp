#include "compiler/adopt/hand_written_flags.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "compiler/adopt/audit.hpp"

namespace schemac {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The body of the function a trigger runs, lowercased; "" when it is not in the catalog.
std::string body_of(const Catalog& cat, const QualifiedName& function) {
  for (const auto& o : cat.objects)
    if (o.kind == ObjectKind::Function && o.name.name == function.name &&
        (function.schema.empty() || o.name.schema == function.schema))
      return lower(o.definition);
  return "";
}

bool is_flag_object(const std::string& name, const Table& t, const char* kind) {
  return name.starts_with(fmt::format(fmt::runtime(kind), t.name.name));
}

// A column a tenant policy may compare with the claim: the table's own key
// compared with it is the tenancy table's member policy (organizations.id).
bool tenant_column_of(const Table& t, const std::string& column) {
  const Constraint* pk = t.primary_key();
  return t.column(column) && !(pk && pk->columns == std::vector<std::string>{column});
}

std::string function_display(const QualifiedName& f) {
  return (f.schema.empty() ? f.name : f.display()) + "()";
}

std::string delete_it(const std::string& kind, const std::string& name, const std::string& file) {
  return fmt::format(
      "delete {} {} from {} in the same change (the plan then drops it: --allow-hazard drops-undeclared)", kind, name,
      file);
}

}  // namespace

std::string flag_consequence(const std::string& flag, const Table& t) {
  const auto& name = t.name.name;
  if (flag.starts_with("touch_updated_at"))
    return fmt::format("the plan adds the BEFORE UPDATE trigger t_{}_touch that sets it to now(){}", name,
                       t.column("updated_at") ? "" : ", and the column");
  if (flag.starts_with("soft_delete"))
    return fmt::format(
        "the plan adds the two soft-delete triggers{}, rebuilds the indexes to cover live rows only (concurrently), "
        "and hides deleted rows in the tenant policies",
        t.column("deleted_at") ? "" : " and the column deleted_at");
  if (flag.starts_with("audited"))
    return "the plan adds three statement-level audit triggers writing the audit table (created with the first "
           "audited table)";
  if (flag.starts_with("tenant_scoped"))
    return fmt::format(
        "the plan adds the policies {}_tenant_select/insert/update/delete comparing the tenancy column with the JWT "
        "claim (read once per statement), forces row level security, and grants the tenancy roles exactly those four "
        "commands",
        name);
  return "";
}

std::vector<FlagSuggestion> hand_written_flags(const Catalog& cat, const FlagRecognition& recognized) {
  std::vector<FlagSuggestion> out;
  // Lowercased once per function: 2,000 flagged tables run the same few runtime functions 16,000 times.
  std::map<QualifiedName, std::string> bodies;
  const auto lowered_body = [&](const QualifiedName& function) -> const std::string& {
    auto it = bodies.find(function);
    if (it == bodies.end()) it = bodies.emplace(function, body_of(cat, function)).first;
    return it->second;
  };
  for (const auto& t : cat.tables) {
    static const TableFlags none;
    const TableFlags* known = recognized.flags(t.name);
    if (!known) known = &none;
    auto suggest = [&](std::string flag, std::string evidence) {
      if (std::any_of(out.begin(), out.end(),
                      [&](const FlagSuggestion& s) { return s.table == t.name && s.flag == flag; }))
        return;
      auto consequence = flag_consequence(flag, t);
      out.push_back({t.name, std::move(flag), std::move(evidence), std::move(consequence)});
    };
    for (const auto& tr : t.triggers) {
      if (tr.firing == "DISABLE") continue;
      const auto call = trigger_call(tr);
      if (!call) continue;
      const auto shape = shape_of(tr);
      const auto& body = lowered_body(call->function);
      const bool row = shape.row;
      if (!known->touch_updated_at && shape.timing == "BEFORE" && row &&
          shape.events.find("UPDATE") != std::string::npos && !is_flag_object(tr.name, t, "t_{}_touch")) {
        // Supabase's moddatetime(column), or a function that assigns NEW.<column>.
        // One function often keeps created_at on INSERT too: the column named
        // for updates wins, else the only one it assigns.
        std::string column;
        std::vector<std::string> assigned;
        if (call->function.name == "moddatetime" && call->args.size() == 1)
          column = call->args.front();
        else
          for (const auto& c : t.columns)
            if ((c.type == "timestamp with time zone" || c.type == "timestamp without time zone") &&
                body.find("new." + lower(c.name)) != std::string::npos)
              assigned.push_back(c.name);
        for (const auto& name : assigned)
          if (column.empty() &&
              (lower(name).find("update") != std::string::npos || lower(name).find("modif") != std::string::npos))
            column = name;
        if (column.empty() && assigned.size() == 1) column = assigned.front();
        if (!column.empty())
          suggest(column == "updated_at" ? "touch_updated_at = true" : fmt::format("touch_updated_at = \"{}\"", column),
                  fmt::format("trigger {} keeps {} by hand ({}); {}", tr.name, column, function_display(call->function),
                              delete_it("trigger", tr.name, "triggers.sql")));
      }
      if (!known->soft_delete && shape.timing == "BEFORE" && row && shape.events.find("DELETE") != std::string::npos &&
          t.column("deleted_at") && body.find("deleted_at") != std::string::npos &&
          !is_flag_object(tr.name, t, "t_{}_soft_delete"))
        suggest("soft_delete = true",
                fmt::format("trigger {} turns DELETE into setting deleted_at by hand ({}); {}", tr.name,
                            function_display(call->function), delete_it("trigger", tr.name, "triggers.sql")));
      if (!known->audited && shape.timing == "AFTER" && body.find("insert into") != std::string::npos &&
          (body.find("audit") != std::string::npos || body.find("history") != std::string::npos) &&
          !is_flag_object(tr.name, t, "t_{}_audit"))
        suggest("audited = true",
                fmt::format("trigger {} writes an audit trail by hand ({}); {}, to keep one trail", tr.name,
                            function_display(call->function), delete_it("trigger", tr.name, "triggers.sql")));
    }
    if (!known->tenant_scoped)
      for (const auto& p : t.policies) {
        if (is_flag_object(p.name, t, "{}_tenant_")) continue;
        auto tenancy = tenancy_of(p.using_expr);
        if (!tenancy) tenancy = tenancy_of(p.check_expr);
        if (!tenancy || !tenant_column_of(t, tenancy->column)) continue;
        suggest("tenant_scoped = true",
                fmt::format("policy \"{}\" compares {} with the JWT claim {} by hand; {}", p.name, tenancy->column,
                            tenancy->claim, delete_it("policy", p.name, "this file")));
        break;
      }
  }
  return out;
}

std::optional<Settings::Tenancy> hand_written_tenancy(const Catalog& cat) {
  for (const auto& t : cat.tables)
    for (const auto& p : t.policies) {
      auto tenancy = tenancy_of(p.using_expr);
      if (!tenancy) tenancy = tenancy_of(p.check_expr);
      if (!tenancy || !tenant_column_of(t, tenancy->column)) continue;
      tenancy->roles = p.roles;
      return tenancy;
    }
  return std::nullopt;
}

}  // namespace schemac
