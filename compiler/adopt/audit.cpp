#include "compiler/adopt/audit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "compiler/catalog/introspect.hpp"
#include "compiler/db.hpp"

namespace schemac {

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

bool has_trigger(const Table& t, const std::string& timing, const std::string& event, bool row_only) {
  return std::any_of(t.triggers.begin(), t.triggers.end(), [&](const Trigger& tr) {
    const auto s = shape_of(tr);
    return s.timing == timing && contains(s.events, event) && (s.row || !row_only) && tr.firing != "DISABLE";
  });
}

// The key columns of a live index (pg_get_indexdef), in order; an expression key is "".
std::vector<std::string> index_columns(const Index& i) {
  const auto using_at = i.definition.find(" USING ");
  if (using_at == std::string::npos) return {};
  auto open = i.definition.find('(', using_at);
  std::vector<std::string> out;
  std::string current;
  int depth = 0;
  for (auto at = open + 1; open != std::string::npos && at < i.definition.size(); ++at) {
    const char c = i.definition[at];
    if (c == '(') ++depth;
    if (c == ')' && depth-- == 0) {
      out.push_back(current);
      break;
    }
    if (c == ',' && depth == 0) {
      out.push_back(current);
      current.clear();
      continue;
    }
    current += c;
  }
  for (auto& key : out) {
    while (!key.empty() && key.front() == ' ') key.erase(0, 1);
    const auto space = key.find(' ');
    std::string name = key.substr(0, space);
    if (name.size() > 1 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
    const bool plain = !name.empty() && (std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                       std::all_of(name.begin(), name.end(), [](unsigned char c) {
                         return std::islower(c) || std::isdigit(c) || c == '_' || c == '$';
                       });
    key = plain || key.front() == '"' ? name : "";
  }
  return out;
}

// The words of a name split at '_': "api_keys" -> {"api", "keys"}.
std::vector<std::string> words(const std::string& name) {
  std::vector<std::string> out(1);
  for (char c : name) {
    if (c == '_')
      out.emplace_back();
    else
      out.back() += c;
  }
  return out;
}

// Tables that hold secrets or configuration: what the seed calls critical (api_keys, webhooks, automation_rules).
// A word of the table's name, or of a column's, says so (no std::regex: 2,000 tables).
bool holds_secrets_or_configuration(const Table& t) {
  static const std::set<std::string> table_words = {
      "apikey",         "apikeys",    "key",         "keys",        "secret",      "secrets", "token",
      "tokens",         "credential", "credentials", "password",    "passwords",   "webhook", "webhooks",
      "rule",           "rules",      "setting",     "settings",    "config",      "configs", "configuration",
      "configurations", "permission", "permissions", "integration", "integrations"};
  static const std::set<std::string> column_words = {"hash",     "secret",     "token",
                                                     "password", "credential", "credentials"};
  for (const auto& w : words(t.name.name))
    if (table_words.count(w)) return true;
  return std::any_of(t.columns.begin(), t.columns.end(), [](const Column& c) {
    const auto ws = words(c.name);
    return std::any_of(ws.begin(), ws.end(), [](const std::string& w) { return column_words.count(w) > 0; });
  });
}

}  // namespace

// The tenancy column: the first of the usual names that at least two tables share.
std::string tenant_column(const Catalog& cat) {
  for (const char* candidate : {"organization_id", "tenant_id", "org_id", "account_id", "workspace_id", "team_id"}) {
    const auto n = std::count_if(cat.tables.begin(), cat.tables.end(),
                                 [&](const Table& t) { return t.column(candidate) != nullptr; });
    if (n >= 2) return candidate;
  }
  return "";
}

TriggerShape shape_of(const Trigger& tr) {
  TriggerShape out;
  const std::string& d = tr.definition;
  // The earliest timing keyword after the name (which may or may not be quoted).
  std::size_t at = std::string::npos;
  for (const char* timing : {" BEFORE ", " AFTER ", " INSTEAD OF "})
    if (const auto found = d.find(timing); found != std::string::npos && found < at) {
      at = found;
      out.timing = std::string(timing).substr(1, std::string(timing).size() - 2);
    }
  if (at == std::string::npos) return out;
  const auto events_at = at + out.timing.size() + 2;
  const auto on = d.find(" ON ", events_at);
  if (on != std::string::npos) out.events = d.substr(events_at, on - events_at);
  out.row = contains(d, " FOR EACH ROW ");
  return out;
}

std::string flag_of(const AuditFinding& f) {
  if (f.code == "updated-at-not-maintained") return "touch_updated_at = true";
  if (f.code == "hard-delete" || f.code == "no-soft-delete") return "soft_delete = true";
  if (f.code == "no-audit-trail") return "audited = true";
  if (f.code == "ownership-policy") return "tenant_scoped = true";
  return "";
}

namespace {

bool api_role(const std::string& r) {
  return r == "public" || r == "anon" || r == "authenticated";
}

class Auditor {
 public:
  Auditor(const Catalog& cat, bool api_exposed) : cat_(cat), api_exposed_(api_exposed), tenant_(tenant_column(cat)) {}

  std::vector<AuditFinding> run() {
    for (const auto& t : cat_.tables)
      if (!t.partition_of) table(t);
    for (const auto& o : cat_.objects)
      if ((o.kind == ObjectKind::Function || o.kind == ObjectKind::Procedure) &&
          contains(o.definition, "SECURITY DEFINER") && !contains(o.definition, "SET search_path"))
        add(o.name.display() + "(" + o.arguments + ")", "definer-search-path",
            "SECURITY DEFINER without a pinned search_path: whoever calls it can put their own objects first in "
            "its search_path and run them with its owner's rights",
            "declare it with SET search_path = pg_catalog, pg_temp and qualify every name it uses");
    std::sort(out_.begin(), out_.end(), [](const AuditFinding& a, const AuditFinding& b) {
      return std::tie(a.subject, a.code, a.evidence) < std::tie(b.subject, b.code, b.evidence);
    });
    return std::move(out_);
  }

 private:
  void add(const std::string& subject, const std::string& code, std::string evidence, std::string fix) {
    out_.push_back({code, subject, std::move(evidence), std::move(fix)});
  }

  void table(const Table& t) {
    const auto name = t.name.display();
    const auto in = fmt::format("[tables.{}]", t.name.name);
    timestamps(t, name, in);
    deletes_and_audit(t, name, in);
    indexes(t, name);
    policies(t, name, in);
    constraints(t, name);
  }

  void timestamps(const Table& t, const std::string& name, const std::string& in) {
    if (t.column("updated_at") && !has_trigger(t, "BEFORE", "UPDATE", true))
      add(name, "updated-at-not-maintained",
          "column updated_at, and no BEFORE UPDATE row trigger: it keeps the value the client sent, or none",
          "touch_updated_at = true in " + in);
    for (const auto& c : t.columns) {
      if (c.type == "timestamp without time zone")
        add(name, "timestamp-without-time-zone",
            fmt::format("column {} is timestamp without time zone: the same instant reads differently by session "
                        "time zone",
                        c.name),
            fmt::format("{} = {{ type = \"timestamptz\" }} (a rewrite: schemac plan says how it runs)", c.name));
      if ((c.name == "created_at" || c.name == "updated_at") && !c.default_expr)
        add(name, "timestamp-without-default",
            fmt::format("column {} has no default: every insert must send it", c.name),
            fmt::format("{} = {{ type = \"timestamptz\", default = \"now()\" }}", c.name));
    }
  }

  void deletes_and_audit(const Table& t, const std::string& name, const std::string& in) {
    const bool soft = has_trigger(t, "BEFORE", "DELETE", true);
    const bool critical = holds_secrets_or_configuration(t);
    if (t.column("deleted_at") && !soft)
      add(name, "hard-delete",
          "column deleted_at, but DELETE removes the row: no BEFORE DELETE trigger turns it into a soft delete",
          "soft_delete = true in " + in);
    else if (!t.column("deleted_at") && !soft && critical)
      add(name, "no-soft-delete",
          "holds secrets or configuration, and DELETE removes rows for good: no deleted_at, no recovery",
          "soft_delete = true in " + in);
    // One trigger for all three, or one per event (statement-level triggers
    // with transition tables take one event each).
    const bool audited = has_trigger(t, "AFTER", "INSERT", false) && has_trigger(t, "AFTER", "UPDATE", false) &&
                         has_trigger(t, "AFTER", "DELETE", false);
    if (critical && !audited)
      add(name, "no-audit-trail",
          "holds secrets or configuration, and no AFTER INSERT OR UPDATE OR DELETE trigger records who changed what",
          "audited = true in " + in);
    if (!std::any_of(t.constraints.begin(), t.constraints.end(),
                     [](const Constraint& c) { return c.kind == ConstraintKind::Check; }) &&
        std::any_of(t.columns.begin(), t.columns.end(), [](const Column& c) { return c.type == "text"; }))
      add(name, "no-checks", "text columns and not one CHECK constraint: validation lives only in application code",
          "a check per column that must hold, e.g. name = { type = \"text\", check = \"length(trim(name)) > 0\" }");
  }

  void indexes(const Table& t, const std::string& name) {
    std::map<std::string, std::string> seen;  // definition without its name -> index name
    bool tenant_first = false;
    for (const auto& i : t.indexes) {
      if (!i.valid)
        add(name, "index-invalid",
            fmt::format("index {} is INVALID (a CREATE INDEX CONCURRENTLY that failed): writes maintain it, "
                        "queries never use it",
                        i.name),
            "declare the index; schemac plan drops the invalid one and builds it again, CONCURRENTLY");
      auto shape = i.definition;
      if (const auto on = shape.find(" ON "); on != std::string::npos) shape = shape.substr(on);
      shape = (i.unique ? "UNIQUE" : "") + shape;
      if (auto [it, fresh] = seen.emplace(shape, i.name); !fresh)
        add(name, "index-duplicate",
            fmt::format("indexes {} and {} are the same index, maintained twice", it->second, i.name),
            fmt::format("declare one of them; schemac plan drops the other CONCURRENTLY", i.name));
      const auto columns = index_columns(i);
      if (!tenant_.empty() && !columns.empty()) {
        if (columns.front() == tenant_) tenant_first = true;
        if (std::find(columns.begin() + 1, columns.end(), tenant_) != columns.end())
          add(name, "tenant-column-not-first",
              fmt::format("index {} has {} after other columns: every tenant's query filters on it first", i.name,
                          tenant_),
              fmt::format("columns = [\"{}\", ...] in the index's declaration", tenant_));
      }
      if (i.where.empty())
        for (const auto& c : columns)
          if (const Column* col = t.column(c); col && col->type == "boolean" && columns.size() > 1)
            add(name, "index-boolean-key",
                fmt::format("index {} keys on boolean {} and indexes every row: the hot query reads one value of it",
                            i.name, c),
                fmt::format("a partial index on what the query orders by, where = \"{} = false\" (or true)", c));
    }
    if (!tenant_.empty() && t.column(tenant_) && !tenant_first)
      add(name, "tenant-without-index",
          fmt::format("no index leads with {}: every tenant's query scans the table", tenant_),
          fmt::format("tenant_scoped = true (indexes {} first), or an index with columns = [\"{}\", ...]", tenant_,
                      tenant_));
    for (const auto& c : t.constraints) {
      if (c.kind != ConstraintKind::ForeignKey) continue;
      // An index that leads with the key's columns, in any order (a composite
      // tenant key (organization_id, webhook_id) is served by one on webhook_id).
      const std::set<std::string> key(c.columns.begin(), c.columns.end());
      const bool supported = std::any_of(t.indexes.begin(), t.indexes.end(), [&](const Index& i) {
        const auto cols = index_columns(i);
        return !cols.empty() && key.count(cols.front());
      });
      if (!supported)
        add(name, "fk-without-index",
            fmt::format("foreign key {} ({}) has no index leading with its columns: a delete in {} scans this table",
                        c.name, fmt::join(c.columns, ", "), c.ref_table.display()),
            fmt::format("an index with columns = [\"{}\"]", fmt::join(c.columns, "\", \"")));
    }
  }

  void policies(const Table& t, const std::string& name, const std::string& in) {
    // Exposed: an API role (or PUBLIC) holds a privilege on it, and no row
    // level security narrows what that privilege reaches.
    std::vector<std::string> exposed_to;
    for (const auto& [role, privileges] : t.grants)
      if (api_role(role) && !privileges.empty()) exposed_to.push_back(role == "public" ? "PUBLIC" : role);
    if (api_exposed_ && !t.rls_enabled && !exposed_to.empty())
      add(name, "rls-disabled",
          fmt::format("row level security is off and {} may read or write it: every row, to every caller",
                      fmt::join(exposed_to, ", ")),
          "rls = true with policies, or tenant_scoped = true in " + in);
    if (t.rls_enabled && t.policies.empty())
      add(name, "rls-without-policies", "row level security is on and no policy exists: no API role sees a row",
          "declare the policies it needs (or tenant_scoped = true in " + in + ")");
    bool tenant_policy = false, ownership_policy = false;
    for (const auto& p : t.policies) {
      const auto both = p.using_expr + " " + p.check_expr;
      for (const char* call : {"auth.uid()", "auth.jwt()"}) {
        std::size_t calls = 0, wrapped = 0;
        for (auto at = both.find(call); at != std::string::npos; at = both.find(call, at + 1)) ++calls;
        for (auto at = both.find(std::string("SELECT ") + call); at != std::string::npos;
             at = both.find(std::string("SELECT ") + call, at + 1))
          ++wrapped;
        if (calls > wrapped)
          add(name, "auth-call-per-row", fmt::format("policy \"{}\" calls {} for every row it checks", p.name, call),
              fmt::format("write it (select {}) so PostgreSQL evaluates it once per statement", call));
      }
      const bool everything = p.using_expr == "true" || p.check_expr == "true";
      if (everything && std::find(p.roles.begin(), p.roles.end(), "service_role") != p.roles.end())
        add(name, "broad-service-role-policy",
            fmt::format("policy \"{}\" lets service_role {} any row (true)", p.name, p.command),
            "narrow it to what the caller may do, e.g. with_check = \"name LIKE 'E2E Test Org%'\"");
      else if (everything && std::any_of(p.roles.begin(), p.roles.end(), api_role))
        add(name, "broad-policy",
            fmt::format("policy \"{}\" opens every row to {} ({})", p.name, fmt::join(p.roles, ", "), p.command),
            "a condition on the caller: tenant_scoped = true, or a using that reads the JWT");
      if (!tenant_.empty() && contains(both, tenant_) &&
          (contains(both, "auth.jwt()") || contains(both, "request.jwt.claim")) && !contains(both, "auth.uid()"))
        tenant_policy = true;
      if (contains(both, "auth.uid()")) ownership_policy = true;
    }
    if (!tenant_.empty() && t.column(tenant_) && ownership_policy && !tenant_policy)
      add(name, "ownership-policy",
          fmt::format("policies decide by the caller's user id (auth.uid()), not by comparing {} with the JWT's "
                      "tenant claim: isolation depends on other tables' rows",
                      tenant_),
          "tenant_scoped = true in " + in);
  }

  void constraints(const Table& t, const std::string& name) {
    for (const auto& c : t.constraints)
      if (!c.validated)
        add(name, "not-valid-constraint",
            fmt::format("constraint {} is NOT VALID: rows written before it were never checked", c.name),
            "declare it without not_valid; schemac plan validates it under SHARE UPDATE EXCLUSIVE (reads and writes "
            "go on)");
  }

  const Catalog& cat_;
  bool api_exposed_;
  std::string tenant_;
  std::vector<AuditFinding> out_;
};

}  // namespace

std::vector<AuditFinding> audit_catalog(const Catalog& catalog) {
  // Exposed to an API when its roles exist (Supabase's, or PostgREST's the same way).
  const bool api_exposed = catalog.roles.count("anon") || catalog.roles.count("authenticated");
  return Auditor(catalog, api_exposed).run();
}

std::vector<AuditFinding> audit_database(const AuditRequest& request) {
  Db db(request.database_url, "schemac audit");
  IntrospectScope scope;
  scope.schemas = request.schemas;
  return audit_catalog(read_catalog(db, scope));
}

std::string render_audit_text(const std::vector<AuditFinding>& findings) {
  if (findings.empty()) return "No findings: the database follows every practice schemac audits.\n";
  std::set<std::string> subjects;
  for (const auto& f : findings) subjects.insert(f.subject);
  std::string out = fmt::format("{} findings on {} objects.\n", findings.size(), subjects.size());
  std::string last;
  for (const auto& f : findings) {
    if (f.subject != last) out += "\n" + f.subject + "\n";
    last = f.subject;
    out += fmt::format("  {}: {}\n    fix: {}\n", f.code, f.evidence, f.fix);
  }
  return out;
}

std::string render_audit_json(const std::vector<AuditFinding>& findings) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& f : findings)
    list.push_back({{"code", f.code}, {"subject", f.subject}, {"evidence", f.evidence}, {"fix", f.fix}});
  return nlohmann::json{{"findings", list}}.dump(2) + "\n";
}

std::string render_audit_markdown(const std::vector<AuditFinding>& findings) {
  if (findings.empty()) return "**schemac audit:** no findings.\n";
  auto cell = [](std::string s) {
    std::string out;
    for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
  };
  std::string out = fmt::format(
      "**schemac audit:** {} findings.\n\n| object | finding | evidence | fix |\n|---|---|---|---|\n", findings.size());
  for (const auto& f : findings)
    out += fmt::format("| `{}` | `{}` | {} | {} |\n", cell(f.subject), f.code, cell(f.evidence), cell(f.fix));
  return out;
}

}  // namespace schemac
