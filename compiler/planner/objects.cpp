// The walk over the objects PostgreSQL prints whole: which are created,
// changed in place, recreated or dropped, and in what order. The order comes
// from pg_depend (read in the scratch database for the declarations, live for
// the rest): creates follow what they need, drops precede what they needed.
#include "compiler/planner/objects.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "compiler/declared/sql_declared.hpp"
#include "compiler/planner/object_changes.hpp"

namespace schemac::objects {

std::string sql_keyword(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Enum:
    case ObjectKind::CompositeType:
      return "TYPE";
    case ObjectKind::Domain:
      return "DOMAIN";
    case ObjectKind::Sequence:
      return "SEQUENCE";
    case ObjectKind::Function:
      return "FUNCTION";
    case ObjectKind::Procedure:
      return "PROCEDURE";
    case ObjectKind::Aggregate:
      return "AGGREGATE";
    case ObjectKind::View:
      return "VIEW";
    case ObjectKind::MaterializedView:
      return "MATERIALIZED VIEW";
  }
  return "";
}

std::string drop_statement(const SchemaObject& o) {
  return fmt::format("DROP {} {}", sql_keyword(o.kind), o.sql_name());
}

Step& StepBuilder::add(std::vector<Step>& out, std::string summary, std::string sql, std::string lock, bool own_group) {
  Step s;
  s.phase = Phase::Infrastructure;
  s.summary = std::move(summary);
  s.sql = std::move(sql);
  s.lock = std::move(lock);
  s.group = own_group ? group() : 0;
  s.transactional = true;
  s.locks_existing = s.lock.rfind("none", 0) != 0;
  s.origin = object_.origin;
  out.push_back(std::move(s));
  return out.back();
}

namespace {

using Deps = std::map<std::string, std::vector<std::string>>;

// Keys in an order where each comes after what it depends on (among `keys`);
// ties and anything left in a cycle go by key, so the plan is deterministic.
std::vector<std::string> dependency_order(const std::set<std::string>& keys, const Deps& deps) {
  std::vector<std::string> out;
  std::set<std::string> done, visiting;
  std::function<void(const std::string&)> visit = [&](const std::string& k) {
    if (done.count(k) || visiting.count(k)) return;
    visiting.insert(k);
    if (auto it = deps.find(k); it != deps.end())
      for (const auto& d : it->second)
        if (keys.count(d)) visit(d);
    visiting.erase(k);
    done.insert(k);
    out.push_back(k);
  };
  for (const auto& k : keys) visit(k);
  return out;
}

bool same(const SchemaObject& a, const SchemaObject& b) {
  return a.definition == b.definition && a.values == b.values && a.options == b.options && a.indexes == b.indexes &&
         a.triggers == b.triggers;
}

class ObjectPlanner {
 public:
  ObjectPlanner(const Desired& d, const Catalog& norm, const Catalog& live, std::function<int()> group)
      : d_(d), norm_(norm), live_(live), group_(std::move(group)) {
    for (const auto& o : norm.objects) want_[o.key()] = &o;
    for (const auto& o : live.objects) have_[o.key()] = &o;
    for (const auto& o : norm.objects) want_deps_[o.key()] = o.depends_on;
    for (const auto& [t, ds] : norm.table_dependencies) want_deps_[t] = ds;
    for (const auto& o : live.objects) have_deps_[o.key()] = o.depends_on;
  }

  ObjectSteps run() {
    classify();
    ObjectSteps out;
    out.unmanaged = kept_;
    // Before the tables: what tables need (types, sequences, functions), and
    // the drops that let a column change type under a view.
    std::set<std::string> early_creates, late_creates;
    for (const auto& [k, o] : want_)
      if (recreate_.count(k))
        late_creates.insert(k);  // after its drop, which may wait for the tables' own steps
      else if (!have_.count(k))
        (reads_tables(k) ? late_creates : early_creates).insert(k);
    for (const auto& k : live_order(early_undeclared_, true))
      undeclared_drop(out.before_tables, *have_.at(k), Phase::Infrastructure, early_group());
    for (const auto& k : live_order(early_drop_, true)) drop(out.before_tables, *have_.at(k), early_group());
    for (const auto& k : want_order(all_with_changes(early_creates, false))) create_or_change(out.before_tables, k);
    // Among the new tables: what reads a table and is needed by one.
    std::set<std::string> new_late;
    for (const auto& k : late_creates)
      if (!recreate_.count(k)) new_late.insert(k);
    for (const auto& k : want_order(needed_by_tables(new_late))) {
      late_creates.erase(k);
      ObjectAmongTables o{k, want_.at(k)->depends_on, {}};
      create_or_change(o.steps, k);
      out.among_tables.push_back(std::move(o));
    }
    // After the tables and their columns: views, routines that name tables,
    // and what was dropped to be recreated.
    for (const auto& k : live_order(late_undeclared_, true))
      undeclared_drop(out.after_tables, *have_.at(k), Phase::Infrastructure, late_group());
    for (const auto& k : live_order(late_drop_, true)) drop(out.after_tables, *have_.at(k), late_group());
    for (const auto& k : want_order(all_with_changes(late_creates, true))) create_or_change(out.after_tables, k);
    for (const auto& k : live_order(kept_recreated_, false)) recreate_live(out.after_tables, *have_.at(k));
    for (const auto& k : want_order(keys_of(want_))) finish(out.after_tables, k);
    // Contract: undeclared objects, dependents first; those a table still
    // uses (an enum column that is dropped too) after the tables' own drops.
    for (const auto& k : live_order(to_drop_, true))
      undeclared_drop(used_by_live_table(k) ? out.contract_last : out.contract_first, *have_.at(k), Phase::Contract,
                      group_());
    return out;
  }

 private:
  const Desired& d_;
  const Catalog& norm_;
  const Catalog& live_;
  std::function<int()> group_;
  std::map<std::string, const SchemaObject*> want_, have_;
  Deps want_deps_, have_deps_;
  std::map<std::string, Change> changes_;
  std::set<std::string> recreate_, early_drop_, late_drop_, to_drop_, kept_recreated_;
  std::set<std::string> swapped_;                             // materialized views rebuilt beside the live one
  std::set<std::string> finished_;                            // recreated: comment and grants already given back
  std::set<std::string> early_undeclared_, late_undeclared_;  // undeclared, dropped with what they depend on
  std::vector<std::string> kept_;
  int early_group_ = 0, late_group_ = 0, early_create_group_ = 0;

  int early_group() { return early_group_ ? early_group_ : early_group_ = group_(); }
  int early_create_group() { return early_create_group_ ? early_create_group_ : early_create_group_ = group_(); }
  int late_group() { return late_group_ ? late_group_ : late_group_ = group_(); }

  static std::set<std::string> keys_of(const std::map<std::string, const SchemaObject*>& m) {
    std::set<std::string> out;
    for (const auto& [k, o] : m) out.insert(k);
    return out;
  }
  std::set<std::string> all_with_changes(std::set<std::string> keys, bool late) {
    for (const auto& [k, c] : changes_)
      if (!c.recreate && reads_tables(k) == late) keys.insert(k);
    return keys;
  }
  std::vector<std::string> want_order(const std::set<std::string>& keys) const {
    return dependency_order(keys, want_deps_);
  }
  std::vector<std::string> live_order(const std::set<std::string>& keys, bool reverse) const {
    auto order = dependency_order(keys, have_deps_);
    if (reverse) std::reverse(order.begin(), order.end());
    return order;
  }

  // A sequence OWNED BY a column of a table no file declares: dropped with
  // the table, or kept with it.
  bool owned_by_undeclared_table(const SchemaObject& o) const {
    if (o.kind != ObjectKind::Sequence || o.owned_by.empty()) return false;
    return std::none_of(norm_.tables.begin(), norm_.tables.end(), [&](const Table& t) {
      return o.owned_by.rfind(quote_ident(t.name.schema) + "." + quote_ident(t.name.name) + ".", 0) == 0 ||
             o.owned_by.rfind(t.name.schema + "." + t.name.name + ".", 0) == 0;
    });
  }

  // Whether the declared object needs a table (directly or through another object).
  bool reads_tables(const std::string& key) const {
    std::set<std::string> seen;
    std::function<bool(const std::string&)> walk = [&](const std::string& k) {
      if (!seen.insert(k).second) return false;
      auto it = want_deps_.find(k);
      if (it == want_deps_.end()) return false;
      for (const auto& dep : it->second)
        if (dep.rfind("table ", 0) == 0 || walk(dep)) return true;
      return false;
    };
    return walk(key);
  }

  // Of the new objects `keys`, those a declared table needs, directly or
  // through other objects: they cannot wait until after every table.
  std::set<std::string> needed_by_tables(const std::set<std::string>& keys) const {
    std::set<std::string> out, seen;
    std::function<void(const std::string&)> walk = [&](const std::string& k) {
      if (!seen.insert(k).second) return;
      if (keys.count(k)) out.insert(k);
      if (auto it = want_deps_.find(k); it != want_deps_.end() && k.rfind("table ", 0) != 0)
        for (const auto& dep : it->second) walk(dep);
    };
    for (const auto& [t, deps] : norm_.table_dependencies)
      for (const auto& dep : deps)
        if (dep.rfind("table ", 0) != 0) walk(dep);
    return out;
  }

  bool used_by_live_table(const std::string& key) const {
    for (const auto& [t, deps] : live_.table_dependencies)
      if (std::find(deps.begin(), deps.end(), key) != deps.end()) return true;
    return false;
  }

  // Columns whose type changes: a view reading one must be dropped before the
  // change and created again after. (A dropped column goes in phase 6, after
  // the views were recreated without it.)
  std::set<std::string> changing_columns() const {
    std::set<std::string> out;
    for (const auto& lt : live_.tables) {
      const Table* nt = norm_.table(lt.name);
      if (!nt) continue;
      for (const auto& lc : lt.columns) {
        const Column* nc = nt->column(lc.name);
        if (nc && nc->type != lc.type) out.insert(lt.name.display() + "." + lc.name);
      }
    }
    return out;
  }

  void classify() {
    for (const auto& [k, w] : want_) {
      auto h = have_.find(k);
      if (h == have_.end() || same(*w, *h->second)) continue;
      StepBuilder b(*w, group_);
      Change c;
      switch (w->kind) {
        case ObjectKind::Enum:
          c = change_enum(*w, *h->second, live_, b);
          break;
        case ObjectKind::Domain:
          c = change_domain(*w, *h->second, b);
          break;
        case ObjectKind::CompositeType:
          c = change_composite(*w, *h->second, b);
          break;
        case ObjectKind::Sequence:
          c = change_sequence(*w, *h->second, b);
          break;
        case ObjectKind::Function:
        case ObjectKind::Procedure:
        case ObjectKind::Aggregate:
          c = change_routine(*w, *h->second, b);
          break;
        case ObjectKind::View:
        case ObjectKind::MaterializedView:
          c = change_view(*w, *h->second, b);
          break;
      }
      if (c.recreate) recreate_.insert(k);
      changes_[k] = std::move(c);
    }
    const bool drop_undeclared = d_.settings.undeclared_objects == "drop";
    for (const auto& [k, h] : have_)
      if (!want_.count(k)) {
        if (owned_by_undeclared_table(*h)) continue;  // goes with its table
        if (drop_undeclared)
          to_drop_.insert(k);
        else
          kept_.push_back(k);
      }
    // Views over a column that changes type or goes away.
    const auto columns = changing_columns();
    std::set<std::string> forced;
    for (const auto& [k, h] : have_)
      for (const auto& c : h->columns_read)
        if (columns.count(c)) forced.insert(k);
    // Whatever depends on an object that is dropped must be dropped first.
    std::set<std::string> closure(recreate_.begin(), recreate_.end());
    closure.insert(forced.begin(), forced.end());
    closure.insert(to_drop_.begin(), to_drop_.end());
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& [k, h] : have_)
        if (!closure.count(k))
          for (const auto& dep : h->depends_on)
            if (closure.count(dep)) {
              closure.insert(k);
              grew = true;
              if (forced.count(dep)) forced.insert(k);
              break;
            }
    }
    for (const auto& k : closure) {
      if (to_drop_.count(k)) {
        // Undeclared, and over something that is dropped first: it goes with that drop.
        if (k_depends_on(k, forced))
          early_undeclared_.insert(k);
        else if (k_depends_on(k, closure))
          late_undeclared_.insert(k);
        continue;
      }
      if (!want_.count(k)) {
        // Undeclared and kept: dropped only to be created again from its live definition.
        kept_recreated_.insert(k);
        (forced.count(k) ? early_drop_ : late_drop_).insert(k);
        continue;
      }
      recreate_.insert(k);
      changes_.erase(k);
      (forced.count(k) ? early_drop_ : late_drop_).insert(k);
    }
    for (const auto& k : early_undeclared_) to_drop_.erase(k);
    for (const auto& k : late_undeclared_) to_drop_.erase(k);
    // A materialized view with a new query and nothing over or under it
    // dropped: built beside the live one and swapped in, never a DROP that
    // leaves readers waiting for the whole query.
    for (const auto& k : recreate_) {
      if (want_.at(k)->kind != ObjectKind::MaterializedView || early_drop_.count(k) || depended_on(k)) continue;
      std::set<std::string> others = closure;
      others.erase(k);
      if (k_depends_on(k, others)) continue;
      swapped_.insert(k);
      late_drop_.erase(k);
    }
  }

  // Whether a live object or table depends on the live object `key`.
  bool depended_on(const std::string& key) const {
    for (const auto& [k, deps] : have_deps_)
      if (std::find(deps.begin(), deps.end(), key) != deps.end()) return true;
    for (const auto& [t, deps] : live_.table_dependencies)
      if (std::find(deps.begin(), deps.end(), key) != deps.end()) return true;
    return false;
  }

  // Whether the live object depends, directly or not, on one of `keys` that is
  // dropped to be created again (not on another undeclared one).
  bool k_depends_on(const std::string& key, const std::set<std::string>& keys) const {
    std::set<std::string> seen;
    std::function<bool(const std::string&)> walk = [&](const std::string& k) {
      if (!seen.insert(k).second) return false;
      auto it = have_deps_.find(k);
      if (it == have_deps_.end()) return false;
      for (const auto& dep : it->second)
        if ((keys.count(dep) && !to_drop_.count(dep)) || walk(dep)) return true;
      return false;
    };
    return walk(key);
  }

  void drop(std::vector<Step>& out, const SchemaObject& o, int g) {
    StepBuilder b(o, group_);
    auto& s = b.add(out, fmt::format("drop {} to create it again", o.key()), drop_statement(o),
                    "ACCESS EXCLUSIVE on it (brief; until the transaction that creates it again commits)", false);
    s.group = g;
    s.origin = want_.count(o.key()) ? want_.at(o.key())->origin : Origin{};
  }

  void create_or_change(std::vector<Step>& out, const std::string& k) {
    if (auto it = changes_.find(k); it != changes_.end() && !it->second.recreate) {
      for (auto& s : it->second.steps) out.push_back(std::move(s));
      return;
    }
    const auto& o = *want_.at(k);
    StepBuilder b(o, group_);
    if (swapped_.count(k)) {
      const int g = group_();
      swap_materialized_view(o, *have_.at(k), b, g, out);
      finish_in_group(out, k, g);
      return;
    }
    const bool again = recreate_.count(k) > 0;
    auto& s = b.add(out, fmt::format("{} {}", again ? "create again" : "create", o.key()), o.definition, "none", false);
    s.group = again ? (early_drop_.count(k) ? early_create_group() : late_group()) : group_();
    const int g = s.group;
    if (o.kind == ObjectKind::MaterializedView)
      for (const auto& sql : index_steps_sql(o, nullptr, false, nullptr))
        b.add(out, "index materialized view " + o.name.display(), sql, "none", false).group = g;
    for (const auto& sql : trigger_steps_sql(o, nullptr))
      b.add(out, "trigger on view " + o.name.display(), sql, "none", false).group = g;
    if (again) finish_in_group(out, k, g);
  }

  void recreate_live(std::vector<Step>& out, const SchemaObject& o) {
    StepBuilder b(o, group_);
    auto& s = b.add(out, fmt::format("create {} again, as it was (no file declares it)", o.key()), o.definition, "none",
                    false);
    s.group = early_drop_.count(o.key()) ? early_create_group() : late_group();
    const int g = s.group;
    for (const auto& sql : index_steps_sql(o, nullptr, false, nullptr))
      b.add(out, "index materialized view " + o.name.display(), sql, "none", false).group = g;
    for (const auto& sql : trigger_steps_sql(o, nullptr))
      b.add(out, "trigger on view " + o.name.display(), sql, "none", false).group = g;
    if (o.comment)
      b.add(out, "comment",
            fmt::format("COMMENT ON {} {} IS {}", sql_keyword(o.kind), o.sql_name(), quote_literal(*o.comment)), "none",
            false)
          .group = g;
    // Its grants as they were (Supabase's API roles read views through them).
    const auto first = out.size();
    grants(out, o, nullptr, b);
    for (auto i = first; i < out.size(); ++i) out[i].group = g;
  }

  // OWNED BY, comments and grants, once the object and its tables exist.
  void finish(std::vector<Step>& out, const std::string& k) {
    if (!finished_.count(k)) finish_steps(out, k);
  }

  // A recreated object gets its comment and grants back right after it is
  // created again, in that transaction: nobody finds it without its grants.
  void finish_in_group(std::vector<Step>& out, const std::string& k, int g) {
    const auto first = out.size();
    finish_steps(out, k);
    for (auto i = first; i < out.size(); ++i) out[i].group = g;
    finished_.insert(k);
  }

  void finish_steps(std::vector<Step>& out, const std::string& k) {
    const auto& o = *want_.at(k);
    const auto* h = have_.count(k) && !recreate_.count(k) ? have_.at(k) : nullptr;
    StepBuilder b(o, group_);
    if (o.kind == ObjectKind::Sequence && o.owned_by != (h ? h->owned_by : std::string{}) && (h || !o.owned_by.empty()))
      b.add(out, "tie sequence " + o.name.display() + " to its column",
            fmt::format("ALTER SEQUENCE {} OWNED BY {}", o.name.sql(), o.owned_by.empty() ? "NONE" : o.owned_by),
            "brief lock on the sequence");
    if (o.comment != (h ? h->comment : std::nullopt))
      b.add(out, "comment on " + o.key(),
            fmt::format("COMMENT ON {} {} IS {}", sql_keyword(o.kind), o.sql_name(),
                        o.comment ? quote_literal(*o.comment) : "NULL"),
            "none");
    grants(out, o, h, b);
  }

  // EXECUTE, USAGE, SELECT ...: for the roles the declarations name. Grants
  // that default privileges gave to roles no file names (Supabase's anon and
  // authenticated) are left alone.
  void grants(std::vector<Step>& out, const SchemaObject& o, const SchemaObject* h, StepBuilder& b) {
    Grants current;
    if (h) {
      current = h->grants;
    } else if (o.kind == ObjectKind::Function || o.kind == ObjectKind::Procedure || o.kind == ObjectKind::Aggregate) {
      current["public"] = {"EXECUTE"};
    } else if (o.kind == ObjectKind::Enum || o.kind == ObjectKind::Domain || o.kind == ObjectKind::CompositeType) {
      current["public"] = {"USAGE"};
    }
    std::set<std::string> roles{"public"};
    for (const auto& [r, p] : o.grants) roles.insert(r);
    for (const auto& [r, p] : current)
      if (grants_exactly(d_, r)) roles.insert(r);
    const auto keyword = o.kind == ObjectKind::Aggregate                                        ? "FUNCTION"
                         : o.kind == ObjectKind::View || o.kind == ObjectKind::MaterializedView ? "TABLE"
                         : o.kind == ObjectKind::Enum || o.kind == ObjectKind::CompositeType    ? "TYPE"
                                                                                                : nullptr;
    const std::string on = fmt::format("{} {}", keyword ? keyword : sql_keyword(o.kind), o.sql_name());
    for (const auto& r : roles) {
      static const std::set<std::string> none;
      const auto& want = o.grants.count(r) ? o.grants.at(r) : none;
      const auto& have = current.count(r) ? current.at(r) : none;
      std::vector<std::string> add, remove;
      for (const auto& p : want)
        if (!have.count(p)) add.push_back(p);
      for (const auto& p : have)
        if (!want.count(p)) remove.push_back(p);
      const auto who = r == "public" ? std::string("PUBLIC") : quote_ident(r);
      if (!add.empty())
        b.add(out, fmt::format("grant {} on {} to {}", fmt::join(add, ", "), o.key(), r),
              fmt::format("GRANT {} ON {} TO {}", fmt::join(add, ", "), on, who), "none")
            .hazards.push_back("authz-change");
      if (!remove.empty())
        b.add(out, fmt::format("revoke {} on {} from {}", fmt::join(remove, ", "), o.key(), r),
              fmt::format("REVOKE {} ON {} FROM {}", fmt::join(remove, ", "), on, who), "none")
            .hazards.push_back("authz-change");
    }
  }

  void undeclared_drop(std::vector<Step>& out, const SchemaObject& o, Phase phase, int g) {
    StepBuilder b(o, group_);
    auto& s = b.add(out, fmt::format("drop undeclared {}", o.key()), drop_statement(o),
                    "ACCESS EXCLUSIVE on it (brief)", false);
    s.group = g;
    s.phase = phase;
    s.origin = {{}, "undeclared_objects"};
    s.hazards.push_back(kDropsUndeclared);
    s.drops_kind = object_kind_name(o.kind);
    s.drops_name = o.sql_name();
  }
};

}  // namespace

ObjectSteps plan_objects(const Desired& d, const Catalog& norm, const Catalog& live, std::function<int()> group) {
  return ObjectPlanner(d, norm, live, std::move(group)).run();
}

}  // namespace schemac::objects
