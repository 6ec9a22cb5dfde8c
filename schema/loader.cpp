// TOML files -> Declarations, with a positioned error for every shape mistake.
#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "schema/declaration_text.hpp"
#include "schema/declarations.hpp"
#include "schema/language.hpp"
#include "schema/nesting_guard.hpp"
#include "schema/reference.hpp"
#include "schema/sql_declarations.hpp"

namespace schemac {

namespace fs = std::filesystem;

namespace {

const char* type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "nothing";
  }
}

const std::vector<std::string>& kOnDelete = on_delete_actions();

class FileLoader {
 public:
  FileLoader(Diagnostics& d, Declarations& out, std::string file) : d_(d), out_(out), file_(std::move(file)) {}

  void load(const toml::table& root) {
    for (auto [k, v] : in_file_order(root)) {
      const std::string key(k->str());
      // The allowed keys come from the language's one table (language.cpp), which the JSON Schema is made from.
      if (key == "tables")
        tables(*k, *v);
      else if (key == "project" || key == "tenancy" || key == "audit" || key == "runtime" || key == "apply")
        settings_section(*k, *v, key, language::key_names(key));
      else
        d_.error(pos(*k), fmt::format("unknown section '{}'", key),
                 help_or(did_you_mean(key, language::top_level_sections()),
                         "sections are [project], [tenancy], [audit], [runtime], [apply] and [tables.<name>]"));
    }
  }

 private:
  Diagnostics& d_;
  Declarations& out_;
  std::string file_;

  static std::string help_or(std::string a, std::string b) { return a.empty() ? b : a; }

  SourcePos pos(const toml::source_region& r) const {
    return {file_, static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)};
  }
  SourcePos pos(const toml::key& k) const { return pos(k.source()); }
  SourcePos pos(const toml::node& n) const { return pos(n.source()); }
  // Where the text of a string value starts (after its opening quote).
  SourcePos text_pos(const toml::node& n) const {
    auto p = pos(n);
    p.column += 1;
    return p;
  }

  bool expect(const toml::node& n, toml::node_type t, const std::string& what, const char* wanted) {
    if (n.type() == t) return true;
    d_.error(pos(n), fmt::format("{} must be {}, not {}", what, wanted, type_name(n)));
    return false;
  }

  std::optional<std::string> string(const toml::node& n, const std::string& what) {
    if (!expect(n, toml::node_type::string, what, "a string")) return std::nullopt;
    return std::string(*n.value<std::string_view>());
  }
  std::optional<bool> boolean(const toml::node& n, const std::string& what) {
    if (!expect(n, toml::node_type::boolean, what, "true or false")) return std::nullopt;
    return *n.value<bool>();
  }
  // A flag that keeps a column: true (the default column) or the column's name.
  bool flag_column(const toml::node& n, const std::string& what, std::string& column) {
    if (n.is_string()) {
      column = std::string(*n.value<std::string_view>());
      // "yes" or "true" meant the flag, not a column of that name.
      static const std::set<std::string> meant_true = {"true", "false", "yes", "no", "on", "off", "1", "0"};
      std::string lower = column;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      if (!meant_true.count(lower)) return true;
      d_.error(pos(n),
               fmt::format("{} must be true, false, or the name of the column it keeps, not the string \"{}\"", what,
                           column),
               "write true without quotes: the flag with its default column");
      return false;
    }
    if (!expect(n, toml::node_type::boolean, what, "true, false, or the name of the column it keeps")) return false;
    return *n.value<bool>();
  }
  std::optional<std::vector<std::string>> strings(const toml::node& n, const std::string& what) {
    if (!expect(n, toml::node_type::array, what, "an array of strings")) return std::nullopt;
    std::vector<std::string> out;
    bool ok = true;
    for (const auto& e : *n.as_array()) {
      if (auto s = string(e, what + " element"))
        out.push_back(*s);
      else
        ok = false;
    }
    if (!ok) return std::nullopt;
    return out;
  }
  const toml::table* table(const toml::node& n, const std::string& what) {
    if (!expect(n, toml::node_type::table, what, "a table")) return nullptr;
    return n.as_table();
  }

  // Set when a key was not recognised: a "missing required key" error would
  // then only repeat the same typo.
  bool saw_unknown_key_ = false;

  void unknown_key(const toml::key& k, const std::vector<std::string>& allowed, const std::string& where) {
    saw_unknown_key_ = true;
    auto help = did_you_mean(k.str(), allowed);
    if (help.empty()) {
      help = "allowed keys: ";
      for (std::size_t i = 0; i < allowed.size(); ++i) help += (i ? ", " : "") + allowed[i];
    }
    d_.error(pos(k), fmt::format("unknown key '{}' in {}", k.str(), where), help);
  }

  // --- settings ---------------------------------------------------------------------------

  void settings_section(const toml::key& sk, const toml::node& n, const std::string& section,
                        const std::vector<std::string>& allowed) {
    const auto* t = table(n, fmt::format("[{}]", section));
    if (!t) return;
    (void)sk;
    for (auto [k, v] : in_file_order(*t)) {
      const std::string key(k->str());
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        unknown_key(*k, allowed, fmt::format("[{}]", section));
        continue;
      }
      const std::string path = section + "." + key;
      if (auto prev = out_.setting_pos.find(path); prev != out_.setting_pos.end()) {
        d_.error(pos(*k), fmt::format("setting '{}' is declared twice", path),
                 fmt::format("it is also declared at {}; keep one", prev->second.str()));
        continue;
      }
      out_.setting_pos[path] = pos(*k);
      if (v->is_string()) out_.setting_text_pos[path] = text_pos(*v);
      setting(section, key, *v);
    }
  }

  void setting(const std::string& section, const std::string& key, const toml::node& v) {
    auto& s = out_.settings;
    const std::string what = fmt::format("'{}.{}'", section, key);
    if (section == "project" && key == "target") {
      if (auto x = string(v, what)) {
        if (*x != "supabase" && *x != "postgres")
          d_.error(pos(v), fmt::format("unknown target '{}'", *x), "write target = \"supabase\" or \"postgres\"");
        else
          s.target = *x;
      }
    } else if (section == "project" && key == "postgres") {
      if (!expect(v, toml::node_type::integer, what, "an integer")) return;
      auto x = *v.value<int64_t>();
      if (x < 13 || x > 17)
        d_.error(pos(v), fmt::format("postgres = {} is not supported", x), "schemac supports PostgreSQL 13 to 17");
      else
        s.postgres = static_cast<int>(x);
    } else if (section == "project" && key == "schemas") {
      if (auto x = strings(v, what)) {
        if (x->empty())
          d_.error(pos(v), "project.schemas is empty", "name at least one schema, e.g. [\"public\"]");
        else
          s.schemas = *x;
      }
    } else if (section == "project" && key == "undeclared_tables") {
      if (auto x = string(v, what)) {
        if (*x != "keep" && *x != "drop")
          d_.error(pos(v), fmt::format("undeclared_tables = \"{}\" is not an option", *x),
                   "write \"keep\" (list them, leave them alone) or \"drop\" (drop them; apply needs --allow-hazard "
                   "deletes-data)");
        else
          s.undeclared_tables = *x;
      }
    } else if (section == "project" && key == "undeclared_objects") {
      if (auto x = string(v, what)) {
        if (*x != "keep" && *x != "drop")
          d_.error(pos(v), fmt::format("undeclared_objects = \"{}\" is not an option", *x),
                   "write \"keep\" (list them, leave them alone) or \"drop\" (drop types, sequences, routines and "
                   "views no file declares; apply needs --allow-hazard drops-undeclared)");
        else
          s.undeclared_objects = *x;
      }
    } else if (section == "project" && key == "extensions") {
      if (auto x = strings(v, what)) s.extensions = *x;
    } else if (section == "tenancy") {
      s.tenancy.pos = pos(v);
      if (key == "roles") {
        if (auto x = strings(v, what)) s.tenancy.roles = *x;
        return;
      }
      auto x = string(v, what);
      if (!x) return;
      if (key == "column")
        s.tenancy.column = *x;
      else if (key == "type")
        s.tenancy.type = *x;
      else if (key == "references") {
        if (!parse_table_reference(*x))
          d_.error(pos(v), fmt::format("tenancy.references '{}' is not of the form table(column)", *x),
                   "write references = \"organizations(id)\"");
        else
          s.tenancy.references = *x;
      } else if (key == "claim")
        s.tenancy.claim = *x;
      else if (key == "on_delete") {
        if (std::find(kOnDelete.begin(), kOnDelete.end(), *x) == kOnDelete.end())
          d_.error(pos(v), fmt::format("unknown on_delete action '{}'", *x),
                   help_or(did_you_mean(*x, kOnDelete), "use cascade, restrict, set null, set default or no action"));
        else
          s.tenancy.on_delete = *x;
      }
    } else if (section == "audit" && key == "table") {
      s.audit.pos = pos(v);
      if (auto x = string(v, what)) {
        auto dot = x->find('.');
        if (dot == std::string::npos)
          s.audit.table = {"", *x};
        else
          s.audit.table = {x->substr(0, dot), x->substr(dot + 1)};
      }
    } else if (section == "audit" && key == "tenant_readable") {
      if (auto x = boolean(v, what)) s.audit.tenant_readable = *x;
    } else if (section == "runtime" && key == "schema") {
      if (auto x = string(v, what)) s.runtime_schema = *x;
    } else if (section == "apply" && key == "lock_timeout") {
      if (auto x = string(v, what)) {
        std::size_t digits = 0;
        while (digits < x->size() && std::isdigit(static_cast<unsigned char>((*x)[digits]))) ++digits;
        auto unit = x->substr(digits);
        if (digits == 0 || (unit != "ms" && unit != "s" && unit != "min"))
          d_.error(pos(v), fmt::format("lock_timeout '{}' is not a duration", *x),
                   "write a number with ms, s or min, e.g. \"2s\"");
        else
          s.lock_timeout = *x;
      }
    } else if (section == "apply" && key == "retries") {
      if (!expect(v, toml::node_type::integer, what, "an integer")) return;
      auto x = *v.value<int64_t>();
      if (x < 0 || x > 100)
        d_.error(pos(v), fmt::format("retries = {} is out of range", x), "use 0 to 100");
      else
        s.retries = static_cast<int>(x);
    }
  }

  // --- tables -----------------------------------------------------------------------------

  void tables(const toml::key&, const toml::node& n) {
    const auto* t = table(n, "[tables]");
    if (!t) return;
    for (auto [k, v] : in_file_order(*t)) {
      const auto* body = table(*v, fmt::format("table '{}'", k->str()));
      if (!body) continue;
      table_decl(*k, *body);
    }
  }

  void table_decl(const toml::key& name_key, const toml::table& body) {
    TableDecl decl;
    auto& tbl = decl.table;
    tbl.name = {"", std::string(name_key.str())};
    tbl.origin.pos = pos(name_key);
    const std::string where = fmt::format("table {}", tbl.name.name);
    const auto& allowed = language::key_names("table");
    const toml::node* columns_node = nullptr;
    for (auto [k, v] : in_file_order(body)) {
      const std::string key(k->str());
      decl.key_pos[key] = pos(*k);
      const std::string what = fmt::format("'{}' of table {}", key, tbl.name.name);
      if (key == "comment")
        tbl.comment = string(*v, what);
      else if (key == "tenant_scoped")
        decl.flags.tenant_scoped = boolean(*v, what).value_or(false);
      else if (key == "soft_delete")
        decl.flags.soft_delete = flag_column(*v, what, decl.flags.deleted_at_column);
      else if (key == "audited")
        decl.flags.audited = boolean(*v, what).value_or(false);
      else if (key == "touch_updated_at")
        decl.flags.touch_updated_at = flag_column(*v, what, decl.flags.updated_at_column);
      else if (key == "rls")
        rls(decl, *v, what);
      else if (key == "schema")
        tbl.name.schema = string(*v, what).value_or("");
      else if (key == "renamed_from")
        tbl.renamed_from = string(*v, what).value_or("");
      else if (key == "columns")
        columns_node = v;
      else if (key == "indexes")
        indexes(decl, *v);
      else if (key == "checks")
        checks(decl, *v);
      else if (key == "policies")
        policies(decl, *v);
      else if (key == "primary_key") {
        if (auto cols = strings(*v, what)) {
          decl.primary_key = *cols;
          decl.primary_key_pos = pos(*v);
        }
      } else if (key == "unique")
        uniques(decl, *v);
      else if (key == "foreign_keys")
        foreign_keys(decl, *v);
      else if (key == "grants")
        grants(decl, *v);
      else if (key == "replica_identity")
        replica_identity(tbl, *v, what);
      else
        unknown_key(*k, allowed, where);
    }
    // Columns last: their primary_key flags combine with a table-level primary_key.
    if (columns_node)
      columns(decl, *columns_node);
    else
      d_.error(tbl.origin.pos, fmt::format("table {} declares no columns", tbl.name.name),
               fmt::format("add a [tables.{}.columns] section", tbl.name.name));
    decl.text = declaration_text(name_key.str(), body);
    out_.tables.push_back(std::move(decl));
  }

  // rls = true (enabled and forced, the owner included), "forced" (the same),
  // "enabled" (not forced: the owner bypasses it, as Supabase's schemas have
  // it), or false.
  void rls(TableDecl& decl, const toml::node& v, const std::string& what) {
    if (v.is_boolean()) {
      decl.flags.rls = *v.value<bool>();
      return;
    }
    if (auto x = v.value<std::string_view>(); x && (*x == "enabled" || *x == "forced")) {
      decl.flags.rls = true;
      decl.flags.rls_unforced = *x == "enabled";
      return;
    }
    d_.error(pos(v), fmt::format("{} must be true, false, \"enabled\" or \"forced\"", what),
             "rls = true (or \"forced\") applies row level security to the owner too; \"enabled\" leaves the owner "
             "out, as ALTER TABLE ... ENABLE ROW LEVEL SECURITY alone does");
  }

  // replica_identity = "default" | "full" | "nothing" | "using index <name>"
  void replica_identity(Table& tbl, const toml::node& v, const std::string& what) {
    if (auto x = v.value<std::string>()) {
      std::string lower;
      for (char c : *x) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const std::string index = "using index ";
      if (lower == "default" || lower == "full" || lower == "nothing") {
        for (auto& c : lower) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        tbl.replica_identity = lower;
        return;
      }
      if (lower.starts_with(index) && x->size() > index.size()) {
        tbl.replica_identity = "USING INDEX " + x->substr(index.size());
        return;
      }
    }
    d_.error(pos(v), fmt::format("{} must be \"default\", \"full\", \"nothing\" or \"using index <name>\"", what),
             "what logical replication (and Supabase Realtime) sends of a changed row's old version: \"full\" sends "
             "every column, \"default\" the primary key, \"using index <name>\" the columns of that unique index");
  }

  void columns(TableDecl& decl, const toml::node& n) {
    auto& tbl = decl.table;
    const auto* t = table(n, fmt::format("columns of table {}", tbl.name.name));
    if (!t) return;
    std::vector<std::string> pk_from_columns;
    SourcePos pk_pos;
    for (auto [k, v] : in_file_order(*t)) {
      Column col;
      col.name = std::string(k->str());
      col.origin.pos = pos(*k);
      const std::string where = fmt::format("column {}.{}", tbl.name.name, col.name);
      if (v->is_string()) {  // shorthand: name = "text"
        col.type = std::string(*v->value<std::string_view>());
        decl.value_pos["columns." + col.name + ".type"] = text_pos(*v);
        tbl.columns.push_back(std::move(col));
        continue;
      }
      const auto* ct = table(*v, where);
      if (!ct) continue;
      const auto& allowed = language::key_names("column");
      std::string references, on_delete;
      SourcePos references_pos, on_delete_pos;
      bool has_type = false;
      saw_unknown_key_ = false;
      for (auto [ck, cv] : in_file_order(*ct)) {
        const std::string key(ck->str());
        const std::string what = fmt::format("'{}' of column {}.{}", key, tbl.name.name, col.name);
        const std::string vp = "columns." + col.name + "." + key;
        if (key == "type") {
          if (auto s = string(*cv, what)) {
            col.type = *s;
            has_type = true;
            decl.value_pos[vp] = text_pos(*cv);
          }
        } else if (key == "nullable")
          col.nullable = boolean(*cv, what).value_or(false);
        else if (key == "default") {
          if (cv->is_string()) {
            col.default_expr = std::string(*cv->value<std::string_view>());
            decl.value_pos[vp] = text_pos(*cv);
          } else if (cv->is_boolean())
            col.default_expr = *cv->value<bool>() ? "true" : "false";
          else if (cv->is_integer())
            col.default_expr = std::to_string(*cv->value<int64_t>());
          else if (cv->is_floating_point())
            col.default_expr = fmt::format("{}", *cv->value<double>());
          else
            d_.error(pos(*cv),
                     fmt::format("{} must be a string (SQL), boolean or number, not {}", what, type_name(*cv)));
        } else if (key == "primary_key") {
          if (boolean(*cv, what).value_or(false)) {
            pk_from_columns.push_back(col.name);
            if (pk_pos.line == 0) pk_pos = pos(*ck);
          }
        } else if (key == "unique") {
          if (boolean(*cv, what).value_or(false)) {
            Constraint c;
            c.kind = ConstraintKind::Unique;
            c.name = tbl.name.name + "_" + col.name + "_key";
            c.columns = {col.name};
            c.origin.pos = pos(*ck);
            tbl.constraints.push_back(std::move(c));
          }
        } else if (key == "references") {
          references = string(*cv, what).value_or("");
          references_pos = pos(*cv);
        } else if (key == "on_delete") {
          on_delete = string(*cv, what).value_or("");
          on_delete_pos = pos(*cv);
          check_on_delete(on_delete, on_delete_pos);
        } else if (key == "check") {
          if (auto s = string(*cv, what)) {
            Constraint c;
            c.kind = ConstraintKind::Check;
            c.name = tbl.name.name + "_" + col.name + "_check";
            c.expression = *s;
            c.origin.pos = pos(*ck);
            decl.value_pos["checks." + c.name] = text_pos(*cv);
            tbl.constraints.push_back(std::move(c));
          }
        } else if (key == "comment")
          col.comment = string(*cv, what);
        else if (key == "renamed_from")
          col.renamed_from = string(*cv, what).value_or("");
        else if (key == "grants") {
          column_grants(tbl, col, *cv);
          decl.key_pos[vp] = pos(*cv);
        } else
          unknown_key(*ck, allowed, where);
      }
      if (!has_type && !ct->contains("type") && !saw_unknown_key_)
        d_.error(col.origin.pos, fmt::format("column {}.{} has no type", tbl.name.name, col.name),
                 "add type = \"text\" (or any SQL type)");
      if (!references.empty()) {
        Constraint c;
        c.kind = ConstraintKind::ForeignKey;
        c.name = tbl.name.name + "_" + col.name + "_fkey";
        c.columns = {col.name};
        c.origin.pos = references_pos;
        parse_reference(references, references_pos, c);
        c.on_delete = on_delete_sql(on_delete);
        tbl.constraints.push_back(std::move(c));
      } else if (!on_delete.empty()) {
        d_.error(on_delete_pos, fmt::format("on_delete without references on column {}.{}", tbl.name.name, col.name),
                 "add references = \"table(column)\" or remove on_delete");
      }
      tbl.columns.push_back(std::move(col));
    }
    if (!pk_from_columns.empty()) {
      if (!decl.primary_key.empty())
        d_.error(pk_pos, fmt::format("table {} declares its primary key twice", tbl.name.name),
                 fmt::format("it also has primary_key = [...] at {}; keep one", decl.primary_key_pos.str()));
      else {
        decl.primary_key = pk_from_columns;
        decl.primary_key_pos = pk_pos;
      }
    }
  }

  // An on_delete (or on_update) action: the same words.
  void check_on_delete(const std::string& v, const SourcePos& p, const char* key = "on_delete") {
    if (std::find(kOnDelete.begin(), kOnDelete.end(), v) == kOnDelete.end())
      d_.error(p, fmt::format("unknown {} action '{}'", key, v),
               help_or(did_you_mean(v, kOnDelete), "use cascade, restrict, set null, set default or no action"));
  }

  // "table(col, col)", "schema.table(col)" or "table" (its primary key).
  void parse_reference(const std::string& text, const SourcePos& p, Constraint& c) {
    auto ref = parse_table_reference(text);
    if (!ref) {
      d_.error(p, fmt::format("reference '{}' is not of the form table(column)", text),
               "write references = \"table(column)\" or \"table\"");
      return;
    }
    c.ref_table = ref->table;
    c.ref_columns = ref->columns;
  }

  void indexes(TableDecl& decl, const toml::node& n) {
    auto& tbl = decl.table;
    const auto* t = table(n, fmt::format("indexes of table {}", tbl.name.name));
    if (!t) return;
    const auto& allowed = language::key_names("index");
    const auto& methods = language::index_methods();
    for (auto [k, v] : in_file_order(*t)) {
      Index idx;
      idx.name = std::string(k->str());
      idx.origin.pos = pos(*k);
      const std::string where = fmt::format("index {}", idx.name);
      const auto* it = table(*v, where);
      if (!it) continue;
      bool has_columns = false;
      saw_unknown_key_ = false;
      for (auto [ik, iv] : in_file_order(*it)) {
        const std::string key(ik->str());
        const std::string what = fmt::format("'{}' of index {}", key, idx.name);
        if (key == "columns") {
          if (auto cols = strings(*iv, what)) {
            has_columns = true;
            idx.keys = *cols;
            if (cols->empty())
              d_.error(pos(*iv), fmt::format("index {} has no columns", idx.name), "list at least one column");
            decl.value_pos["indexes." + idx.name + ".columns"] = pos(*iv);
            for (std::size_t nth = 0; nth < cols->size(); ++nth)  // where each key's text starts
              decl.value_pos[fmt::format("indexes.{}.columns.{}", idx.name, nth)] = text_pos(*iv->as_array()->get(nth));
          }
        } else if (key == "where") {
          idx.where = string(*iv, what).value_or("");
          decl.value_pos["indexes." + idx.name + ".where"] = text_pos(*iv);
        } else if (key == "unique")
          idx.unique = boolean(*iv, what).value_or(false);
        else if (key == "using") {
          if (auto m = string(*iv, what)) {
            if (std::find(methods.begin(), methods.end(), *m) == methods.end())
              d_.error(pos(*iv), fmt::format("unknown index method '{}'", *m),
                       help_or(did_you_mean(*m, methods), "use btree, gin, gist, brin, hash or spgist"));
            else
              idx.method = *m;
          }
        } else if (key == "include")
          idx.include = strings(*iv, what).value_or(std::vector<std::string>{});
        else if (key == "include_deleted")
          idx.include_deleted = boolean(*iv, what).value_or(false);
        else
          unknown_key(*ik, allowed, where);
      }
      if (!has_columns && !it->contains("columns") && !saw_unknown_key_)
        d_.error(idx.origin.pos, fmt::format("index {} has no columns", idx.name), "add columns = [\"column\", ...]");
      tbl.indexes.push_back(std::move(idx));
    }
  }

  void checks(TableDecl& decl, const toml::node& n) {
    auto& tbl = decl.table;
    const auto* t = table(n, fmt::format("checks of table {}", tbl.name.name));
    if (!t) return;
    for (auto [k, v] : in_file_order(*t)) {
      Constraint c;
      c.kind = ConstraintKind::Check;
      c.name = std::string(k->str());
      c.origin.pos = pos(*k);
      auto s = string(*v, fmt::format("check {}", c.name));
      if (!s) continue;
      c.expression = *s;
      decl.value_pos["checks." + c.name] = text_pos(*v);
      tbl.constraints.push_back(std::move(c));
    }
  }

  void uniques(TableDecl& decl, const toml::node& n) {
    auto& tbl = decl.table;
    const auto* t = table(n, fmt::format("unique of table {}", tbl.name.name));
    if (!t) return;
    for (auto [k, v] : in_file_order(*t)) {
      Constraint c;
      c.kind = ConstraintKind::Unique;
      c.name = std::string(k->str());
      c.origin.pos = pos(*k);
      auto cols = strings(*v, fmt::format("unique {}", c.name));
      if (!cols) continue;
      if (cols->empty()) d_.error(pos(*v), fmt::format("unique {} lists no columns", c.name), "list the columns");
      c.columns = *cols;
      tbl.constraints.push_back(std::move(c));
    }
  }

  void foreign_keys(TableDecl& decl, const toml::node& n) {
    auto& tbl = decl.table;
    const auto* t = table(n, fmt::format("foreign_keys of table {}", tbl.name.name));
    if (!t) return;
    const auto& allowed = language::key_names("foreign_key");
    for (auto [k, v] : in_file_order(*t)) {
      Constraint c;
      c.kind = ConstraintKind::ForeignKey;
      c.name = std::string(k->str());
      c.origin.pos = pos(*k);
      const std::string where = fmt::format("foreign key {}", c.name);
      const auto* ft = table(*v, where);
      if (!ft) continue;
      bool has_ref = false;
      saw_unknown_key_ = false;
      for (auto [fk, fv] : in_file_order(*ft)) {
        const std::string key(fk->str());
        const std::string what = fmt::format("'{}' of foreign key {}", key, c.name);
        if (key == "columns")
          c.columns = strings(*fv, what).value_or(std::vector<std::string>{});
        else if (key == "references") {
          if (auto r = string(*fv, what)) {
            has_ref = true;
            parse_reference(*r, pos(*fv), c);
          }
        } else if (key == "on_delete") {
          if (auto a = string(*fv, what)) {
            check_on_delete(*a, pos(*fv));
            c.on_delete = on_delete_sql(*a);
          }
        } else if (key == "on_update") {
          if (auto a = string(*fv, what)) {
            check_on_delete(*a, pos(*fv), "on_update");
            c.on_update = on_delete_sql(*a);
          }
        } else
          unknown_key(*fk, allowed, where);
      }
      if (!has_ref && !ft->contains("references") && !saw_unknown_key_)
        d_.error(c.origin.pos, fmt::format("foreign key {} has no references", c.name),
                 "add references = \"table(column)\"");
      if (c.columns.empty() && !ft->contains("columns") && !saw_unknown_key_)
        d_.error(c.origin.pos, fmt::format("foreign key {} has no columns", c.name), "add columns = [\"column\"]");
      tbl.constraints.push_back(std::move(c));
    }
  }

  void policies(TableDecl& decl, const toml::node& n) {
    auto& tbl = decl.table;
    const auto* t = table(n, fmt::format("policies of table {}", tbl.name.name));
    if (!t) return;
    const auto& allowed = language::key_names("policy");
    const auto& commands = language::policy_commands();
    for (auto [k, v] : in_file_order(*t)) {
      Policy p;
      p.name = std::string(k->str());
      p.origin.pos = pos(*k);
      p.roles = {"public"};
      const std::string where = fmt::format("policy {}", p.name);
      const auto* pt = table(*v, where);
      if (!pt) continue;
      for (auto [pk, pv] : in_file_order(*pt)) {
        const std::string key(pk->str());
        const std::string what = fmt::format("'{}' of policy {}", key, p.name);
        decl.key_pos["policies." + p.name + "." + key] = pos(*pk);
        if (key == "for") {
          if (auto c = string(*pv, what)) {
            if (std::find(commands.begin(), commands.end(), *c) == commands.end())
              d_.error(pos(*pv), fmt::format("unknown policy command '{}'", *c),
                       help_or(did_you_mean(*c, commands), "use select, insert, update, delete or all"));
            else {
              p.command = *c;
              std::transform(p.command.begin(), p.command.end(), p.command.begin(), ::toupper);
            }
          }
        } else if (key == "to") {
          if (auto r = strings(*pv, what)) {
            if (r->empty())
              d_.error(pos(*pv), fmt::format("policy {} applies to no role", p.name),
                       "list roles, e.g. [\"authenticated\"]");
            else
              p.roles = *r;
          }
        } else if (key == "using") {
          p.using_expr = string(*pv, what).value_or("");
          decl.value_pos["policies." + p.name + ".using"] = text_pos(*pv);
        } else if (key == "with_check") {
          p.check_expr = string(*pv, what).value_or("");
          decl.value_pos["policies." + p.name + ".with_check"] = text_pos(*pv);
        } else if (key == "as") {
          if (auto a = string(*pv, what)) {
            if (*a != "permissive" && *a != "restrictive")
              d_.error(pos(*pv), fmt::format("unknown policy kind '{}'", *a),
                       help_or(did_you_mean(*a, {"permissive", "restrictive"}), "use permissive or restrictive"));
            else
              p.permissive = *a == "permissive";
          }
        } else
          unknown_key(*pk, allowed, where);
      }
      for (auto& r : p.roles)
        if (r == "PUBLIC") r = "public";
      std::sort(p.roles.begin(), p.roles.end());
      tbl.policies.push_back(std::move(p));
    }
  }

  void grants(TableDecl& decl, const toml::node& n) {
    auto& tbl = decl.table;
    read_grants(n, fmt::format("grants of table {}", tbl.name.name), language::table_privileges(), tbl.grants, tbl);
  }

  // A column's grants = { role = ["select", "update"] }: what PostgreSQL can
  // grant on a column. Like a table's, they fix the role's privileges exactly.
  void column_grants(Table& tbl, Column& col, const toml::node& n) {
    read_grants(n, fmt::format("grants of column {}.{}", tbl.name.name, col.name), language::column_privileges(),
                col.grants, tbl);
  }

  void read_grants(const toml::node& n, const std::string& what, const std::vector<std::string>& privileges,
                   Grants& grants, Table& tbl) {
    const auto* t = table(n, what);
    if (!t) return;
    const std::string listed = join_words(privileges);
    for (auto [k, v] : in_file_order(*t)) {
      const std::string role(k->str());
      auto privs = strings(*v, fmt::format("{} for role {}", what, role));
      if (!privs) continue;
      auto& set = grants[role];
      tbl.exact_grant_roles.insert(role);
      for (const auto& pr : *privs) {
        if (pr == "all") {
          for (const auto& x : privileges)
            if (x != "truncate" && x != "references" && x != "trigger") set.insert(upper(x));
        } else if (std::find(privileges.begin(), privileges.end(), pr) == privileges.end()) {
          const bool table_only = pr == "delete" || pr == "truncate" || pr == "trigger";
          d_.error(pos(*v), fmt::format("unknown privilege '{}' for role {} in the {}", pr, role, what),
                   table_only ? fmt::format("{} is granted on a whole table: put it in the table's grants, or use {}",
                                            upper(pr), listed)
                              : help_or(did_you_mean(pr, privileges), "use " + listed));
        } else {
          set.insert(upper(pr));
        }
      }
    }
  }

  static std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
    return s;
  }

  // "select, insert or update"
  static std::string join_words(const std::vector<std::string>& words) {
    std::string out;
    for (std::size_t i = 0; i < words.size(); ++i)
      out += (i == 0 ? "" : i + 1 == words.size() ? " or " : ", ") + words[i];
    return out;
  }
};

std::vector<std::string> schema_files(const std::string& path, Diagnostics& d) {
  std::vector<std::string> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
      if (it->is_regular_file(ec) && (it->path().extension() == ".toml" || it->path().extension() == ".sql"))
        files.push_back(it->path().string());
    std::sort(files.begin(), files.end());
    if (files.empty())
      d.error({path, 0, 0}, fmt::format("no .toml or .sql files in folder {}", path),
              "put your declarations in .toml files (or CREATE statements in .sql files) there");
  } else if (fs::exists(path, ec)) {
    files.push_back(path);
  } else {
    d.error({path, 0, 0}, fmt::format("schema path {} does not exist", path),
            "pass --schema PATH, or create ./schema/ or ./schemac.toml");
  }
  return files;
}

void load_file(const SourceFile& file, Declarations& out, Diagnostics& diags) {
  out.files.push_back(file.name);
  diags.add_source(file.name, file.text);
  if (file.name.ends_with(".sql")) {  // CREATE statements, beside the TOML
    auto statements = parse_sql_declarations(file, diags);
    out.sql.insert(out.sql.end(), std::make_move_iterator(statements.begin()),
                   std::make_move_iterator(statements.end()));
    return;
  }
  if (auto deep = check_nesting(file.text)) {  // before toml++, which would recurse that deep
    diags.error({file.name, deep->line, deep->column}, deep->message, deep->help);
    return;
  }
  toml::table root;
  try {
    root = toml::parse(std::string_view{file.text}, std::string_view{file.name});
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    diags.error({file.name, static_cast<int>(b.line), static_cast<int>(b.column)},
                fmt::format("this is not valid TOML: {}", e.description()),
                "see https://toml.io for the syntax; strings need quotes, keys need '='");
    return;
  }
  FileLoader(diags, out, file.name).load(root);
}

}  // namespace

std::vector<SourceFile> read_schema_files(const std::string& path, Diagnostics& diags) {
  std::vector<SourceFile> out;
  for (const auto& file : schema_files(path, diags)) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    out.push_back({file, buf.str()});
  }
  return out;
}

Declarations load_declarations(const std::vector<SourceFile>& files, Diagnostics& diags) {
  Declarations out;
  for (const auto& file : files) load_file(file, out, diags);
  return out;
}

}  // namespace schemac
