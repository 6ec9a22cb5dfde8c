#include "compiler/adopt/recognize_flags.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "compiler/adopt/toml_table.hpp"

namespace schemac {

std::optional<TriggerCall> trigger_call(const Trigger& tr) {
  const std::string marker = " EXECUTE FUNCTION ";
  auto at = tr.definition.rfind(marker);
  if (at == std::string::npos) return std::nullopt;
  at += marker.size();
  const auto open = tr.definition.find('(', at);
  if (open == std::string::npos) return std::nullopt;
  const auto name = tr.definition.substr(at, open - at);
  const auto dot = name.find('.');
  // Names schemac gives its runtime are plain: a quoted one is not schemac's.
  if (name.find('"') != std::string::npos) return std::nullopt;
  // Unqualified: a function the search_path finds.
  TriggerCall call{
      dot == std::string::npos ? QualifiedName{"", name} : QualifiedName{name.substr(0, dot), name.substr(dot + 1)},
      {}};
  for (std::size_t i = open + 1; i < tr.definition.size() && tr.definition[i] != ')';) {
    if (tr.definition[i] == ',' || tr.definition[i] == ' ') {
      ++i;
      continue;
    }
    if (tr.definition[i] != '\'') return std::nullopt;
    std::string arg;
    for (++i; i < tr.definition.size(); ++i) {
      if (tr.definition[i] != '\'') {
        arg += tr.definition[i];
      } else if (i + 1 < tr.definition.size() && tr.definition[i + 1] == '\'') {
        arg += '\'';
        ++i;
      } else {
        ++i;
        break;
      }
    }
    call.args.push_back(std::move(arg));
  }
  return call;
}

std::optional<Settings::Tenancy> tenancy_of(const std::string& predicate) {
  if (predicate.size() < 2 || predicate.front() != '(' || predicate.back() != ')') return std::nullopt;
  const auto equals = predicate.find(" = ");
  const auto jwt = predicate.find("auth.jwt()");
  if (equals == std::string::npos || jwt == std::string::npos || jwt < equals) return std::nullopt;
  Settings::Tenancy t;
  t.column = predicate.substr(1, equals - 1);
  if (t.column.empty() || t.column.find_first_of("\"() ") != std::string::npos) return std::nullopt;
  // Each step of the claim's path: -> 'key'::text, the last one ->> 'key'::text.
  std::string claim;
  std::size_t at = jwt;
  bool last_text = false;
  for (;;) {
    const auto step = predicate.find("> '", at);
    if (step == std::string::npos || step < 1) break;
    const bool text = predicate[step - 1] == '>';
    if (predicate[step - (text ? 2 : 1)] != '-') return std::nullopt;
    const auto end = predicate.find("'::text", step + 3);
    if (end == std::string::npos) return std::nullopt;
    claim += (claim.empty() ? "" : ".") + predicate.substr(step + 3, end - step - 3);
    last_text = text;
    at = end + 7;
  }
  if (claim.empty() || !last_text) return std::nullopt;
  t.claim = claim;
  // "))::uuid)": the cast to the column's type; none for text.
  const auto cast = predicate.find("::", at);
  t.type = cast == std::string::npos ? "text" : predicate.substr(cast + 2, predicate.size() - 1 - cast - 2);
  if (t.type.empty() || t.type.find_first_of("() ") != std::string::npos) return std::nullopt;
  return t;
}

namespace {

// The call of the table's trigger `name` when it runs runtime function `function`.
std::optional<TriggerCall> runtime_call(const Table& t, const std::string& name, const std::string& function,
                                        const std::string& runtime_schema) {
  const Trigger* tr = t.trigger(name);
  if (!tr) return std::nullopt;
  auto call = trigger_call(*tr);
  if (!call || call->function.name != function || (!runtime_schema.empty() && call->function.schema != runtime_schema))
    return std::nullopt;
  return call;
}

std::string trigger_name(const Table& t, const char* suffix) {
  return fmt::format("t_{}_{}", t.name.name, suffix);
}

const std::set<std::string> kAllPrivileges = {"SELECT", "INSERT", "UPDATE", "DELETE"};

bool is_timestamptz(const std::string& type) {
  return type == "timestamptz" || type == "timestamp with time zone";
}

bool unadorned(const Column& c) {
  return !c.comment && c.grants.empty() && c.generated.empty() && c.identity.empty();
}

// "(deleted_at IS NULL)" as PostgreSQL prints the predicate soft_delete adds.
std::string live_rows(const std::string& column) {
  return fmt::format("({} IS NULL)", column);
}

// The unique key tenant_consistent_keys adds to a referenced table.
std::string tenant_key_name(const QualifiedName& parent, const std::vector<std::string>& columns) {
  return fmt::format("{}_{}_key", parent.name, fmt::join(columns, "_"));
}

}  // namespace

FlagRecognition recognize_flags(const Catalog& cat, const std::string& default_schema) {
  FlagRecognition r;
  // The runtime schema: where the flag triggers' functions live.
  std::string runtime;
  for (const auto& t : cat.tables)
    for (const auto& [suffix, fn] : {std::pair{"touch", "touch_updated_at"}, std::pair{"soft_delete", "soft_delete"},
                                     std::pair{"audit_insert", "audit_changes"}})
      if (auto call = runtime_call(t, trigger_name(t, suffix), fn, "");
          call && runtime.empty() && !call->function.schema.empty())
        runtime = call->function.schema;
  if (runtime.empty()) return r;
  r.settings.runtime_schema = runtime;
  r.settings.schemas = {default_schema};

  std::optional<Settings::Tenancy> tenancy;
  for (const auto& t : cat.tables) {
    TableFlags f;
    if (auto call = runtime_call(t, trigger_name(t, "touch"), "touch_updated_at", runtime)) {
      f.touch_updated_at = true;
      if (!call->args.empty()) f.updated_at_column = call->args.front();
    }
    auto soft = runtime_call(t, trigger_name(t, "soft_delete"), "soft_delete", runtime);
    if (soft && runtime_call(t, trigger_name(t, "soft_delete_on_update"), "soft_delete", runtime)) {
      f.soft_delete = true;
      if (soft->args.size() >= 2 && soft->args.front().empty()) f.deleted_at_column = soft->args[1];
    }
    auto audit = runtime_call(t, trigger_name(t, "audit_insert"), "audit_changes", runtime);
    if (audit && audit->args.size() >= 5 &&
        runtime_call(t, trigger_name(t, "audit_update"), "audit_changes", runtime) &&
        runtime_call(t, trigger_name(t, "audit_delete"), "audit_changes", runtime)) {
      f.audited = true;
      if (!r.audit) {
        r.audit = true;
        r.settings.audit.table = {audit->args[3] == runtime ? "" : audit->args[3], audit->args[4]};
        const Table* trail = cat.table(r.settings.audit_table());
        r.settings.audit.tenant_readable = trail && trail->policy(trail->name.name + "_tenant_select");
      }
    }
    const Policy* insert = t.policy(t.name.name + "_tenant_insert");
    if (insert && t.policy(t.name.name + "_tenant_select") && t.policy(t.name.name + "_tenant_update") &&
        t.policy(t.name.name + "_tenant_delete"))
      if (auto found = tenancy_of(insert->check_expr)) {
        found->roles = insert->roles;
        if (!tenancy) {
          tenancy = found;
          // What its foreign key on the tenancy column references, and how it deletes.
          for (const auto& c : t.constraints)
            if (c.kind == ConstraintKind::ForeignKey && c.columns == std::vector<std::string>{found->column}) {
              const auto table = c.ref_table.schema == default_schema ? c.ref_table.name : c.ref_table.display();
              tenancy->references = fmt::format("{}({})", table, fmt::join(c.ref_columns, ", "));
              std::string on_delete = c.on_delete.empty() ? "no action" : c.on_delete;
              std::transform(on_delete.begin(), on_delete.end(), on_delete.begin(), ::tolower);
              tenancy->on_delete = on_delete;
            }
        }
        f.tenant_scoped = found->column == tenancy->column && found->claim == tenancy->claim &&
                          found->type == tenancy->type && found->roles == tenancy->roles;
      }
    if (f.touch_updated_at || f.soft_delete || f.audited || f.tenant_scoped) r.tables[t.name] = f;
  }
  if (tenancy) {
    r.tenancy = true;
    r.settings.tenancy = *tenancy;
  }
  // The audit table is the flag's, not a table of its own; so is soft_delete's queue.
  if (r.audit) r.tables.erase(r.settings.audit_table());
  r.soft_delete_queue = {runtime, "soft_delete_queue"};
  return r;
}

Table without_flag_objects(const Table& live, const FlagRecognition& r) {
  const TableFlags* f = r.flags(live.name);
  if (!f) return live;
  Table t = live;
  const auto& name = t.name.name;
  std::set<std::string> triggers;
  if (f->touch_updated_at) triggers.insert(trigger_name(t, "touch"));
  if (f->soft_delete)
    for (const char* s : {"soft_delete", "soft_delete_on_update", "soft_delete_mark"})
      triggers.insert(trigger_name(t, s));
  if (f->audited)
    for (const char* s : {"audit_insert", "audit_update", "audit_delete", "audit_key"})
      triggers.insert(trigger_name(t, s));
  std::erase_if(t.triggers, [&](const Trigger& tr) { return triggers.count(tr.name) > 0; });

  // A flag's column, when it is exactly the one the flag adds.
  std::erase_if(t.columns, [&](const Column& c) {
    if (!unadorned(c)) return false;
    if (f->touch_updated_at && c.name == f->updated_at_column)
      return is_timestamptz(c.type) && !c.nullable && c.default_expr == std::optional<std::string>("now()");
    if (f->soft_delete && c.name == f->deleted_at_column)
      return is_timestamptz(c.type) && c.nullable && !c.default_expr;
    if (f->tenant_scoped && c.name == r.settings.tenancy.column)
      return c.type == r.settings.tenancy.type && !c.nullable && !c.default_expr;
    return false;
  });

  if (f->tenant_scoped) {
    const auto& col = r.settings.tenancy.column;
    for (const char* s : {"select", "insert", "update", "delete"}) {
      const auto policy = fmt::format("{}_tenant_{}", name, s);
      std::erase_if(t.policies, [&](const Policy& p) { return p.name == policy; });
    }
    if (t.rls_enabled && t.rls_forced) t.rls_enabled = t.rls_forced = false;
    std::erase_if(t.constraints, [&](const Constraint& c) {
      return c.kind == ConstraintKind::ForeignKey && c.name == fmt::format("{}_{}_fkey", name, col) &&
             c.columns == std::vector<std::string>{col};
    });
    // A foreign key to another tenant table carries the tenancy column on
    // both sides because the flag puts it there; the declaration leaves it out.
    for (auto& c : t.constraints) {
      const TableFlags* parent = r.flags(c.ref_table);
      if (c.kind != ConstraintKind::ForeignKey || !parent || !parent->tenant_scoped || c.columns.size() < 2 ||
          c.columns.front() != col || c.ref_columns.size() != c.columns.size() || c.ref_columns.front() != col)
        continue;
      c.columns.erase(c.columns.begin());
      c.ref_columns.erase(c.ref_columns.begin());
      // ON DELETE SET NULL (webhook_id): the column list is the flag's.
      for (const char* action : {"SET NULL (", "SET DEFAULT ("})
        if (auto at = c.definition.find(action); at != std::string::npos) {
          const auto open = at + std::string(action).size() - 2;
          const auto close = c.definition.find(')', open);
          if (close != std::string::npos) c.definition.erase(open, close + 1 - open);
        }
    }
    // ... and gives the referenced table the unique key such a foreign key needs.
    std::erase_if(t.constraints, [&](const Constraint& c) {
      return c.kind == ConstraintKind::Unique && c.columns.size() >= 2 && c.columns.front() == col &&
             c.name == tenant_key_name(t.name, c.columns);
    });
    const auto leads = [&](const Index& i) {
      const auto keys = live_index_keys(i);
      return !keys.empty() && keys.front() == col;
    };
    const auto tenant_index = "idx_" + name + "_tenant";
    const bool another_leads = std::any_of(t.indexes.begin(), t.indexes.end(),
                                           [&](const Index& i) { return i.name != tenant_index && leads(i); });
    if (!another_leads)
      std::erase_if(t.indexes, [&](const Index& i) {
        return i.name == tenant_index && live_index_keys(i) == std::vector<std::string>{col} && i.where.empty() &&
               !i.unique && i.method == "btree" && i.include.empty() && !i.comment;
      });
    // Under row level security the API roles hold what the flag grants: the
    // tenancy roles all four commands, anon nothing.
    for (const char* role : {"anon", "authenticated"}) {
      auto it = t.grants.find(role);
      if (it != t.grants.end() && it->second.empty()) t.grants.erase(it);
    }
    for (const auto& role : r.settings.tenancy.roles) {
      auto it = t.grants.find(role);
      if (it != t.grants.end() && it->second == kAllPrivileges) t.grants.erase(it);
    }
  }

  if (f->soft_delete) {
    // Indexes cover live rows only: the flag adds the predicate; an index
    // without it says include_deleted.
    const auto suffix = " AND " + live_rows(f->deleted_at_column) + ")";
    for (auto& i : t.indexes) {
      if (i.backs_constraint) continue;
      if (i.where == live_rows(f->deleted_at_column))
        i.where.clear();
      else if (i.where.size() > suffix.size() + 1 && i.where.front() == '(' && i.where.ends_with(suffix))
        i.where = i.where.substr(1, i.where.size() - 1 - suffix.size());
      else
        i.include_deleted = true;
    }
  }
  return t;
}

std::string flag_lines(const TableFlags& f) {
  std::string out;
  auto line = [&](const char* key, const std::string& value) { out += fmt::format("{:<16} = {}\n", key, value); };
  auto column = [](const std::string& name, const char* fallback) {
    return name == fallback ? std::string("true") : fmt::format("\"{}\"", name);
  };
  if (f.tenant_scoped) line("tenant_scoped", "true");
  if (f.soft_delete) line("soft_delete", column(f.deleted_at_column, "deleted_at"));
  if (f.audited) line("audited", "true");
  if (f.touch_updated_at) line("touch_updated_at", column(f.updated_at_column, "updated_at"));
  return out;
}

std::string flag_settings_toml(const FlagRecognition& r) {
  std::string out;
  auto quoted = [](const std::string& s) {
    std::string q = "\"";
    for (char c : s) q += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
    return q + "\"";
  };
  if (r.settings.runtime_schema != "public")
    out += fmt::format("\n[runtime]\nschema = {}\n", quoted(r.settings.runtime_schema));
  if (r.tenancy) {
    const auto& t = r.settings.tenancy;
    std::vector<std::string> roles;
    for (const auto& role : t.roles) roles.push_back(quoted(role));
    out += fmt::format(
        "\n# What tenant_scoped compares: the tables' policies compare this column with the claim.\n"
        "[tenancy]\ncolumn     = {}\ntype       = {}\nreferences = {}\non_delete  = {}\nclaim      = {}\n"
        "roles      = [{}]\n",
        quoted(t.column), quoted(t.type), quoted(t.references), quoted(t.on_delete), quoted(t.claim),
        fmt::join(roles, ", "));
  }
  if (r.audit) {
    const auto& table = r.settings.audit.table;
    out += fmt::format("\n[audit]\ntable           = {}\ntenant_readable = {}\n",
                       quoted(table.schema.empty() ? table.name : table.display()),
                       r.settings.audit.tenant_readable ? "true" : "false");
  }
  return out;
}

}  // namespace schemac
