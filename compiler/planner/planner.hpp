#pragma once
// Internal to the planner: the Planner class and the helpers its files share.
// One walk (plan.cpp) drives it; each object kind's compare, online steps and
// hazards live in a file of that kind's name, listed by its methods below.
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "compiler/desired.hpp"
#include "compiler/planner/objects.hpp"
#include "compiler/planner/plan.hpp"
#include "schema/model.hpp"

namespace schemac::planner {

inline constexpr const char* kAccessExclusive =
    "ACCESS EXCLUSIVE (brief: blocks reads and writes while it waits and runs)";
inline constexpr const char* kShareUpdateExclusive = "SHARE UPDATE EXCLUSIVE (reads and writes continue)";
inline constexpr const char* kShareRowExclusive = "SHARE ROW EXCLUSIVE (brief: blocks writes, not reads)";

class Planner {
 public:
  Planner(const Desired& d, const Catalog& norm, const Catalog& live);

  // plan.cpp: the walk over every object kind, in phase order.
  Plan run();

 private:
  const Desired& d_;
  const Catalog& norm_;
  const Catalog& live_;
  Plan plan_;
  int groups_ = 0;
  std::set<QualifiedName> created_;
  // The live catalog as it will be after renames, sorted by name: what the
  // rest of the plan diffs against. A copy only when renames() must change
  // it (at 2,000 tables a copy of the live catalog is tens of MiB).
  std::optional<Catalog> renamed_copy_;
  const Catalog& renamed_;
  const std::set<QualifiedName> external_;
  // Live objects a step already took care of: (table, name).
  std::set<std::pair<std::string, std::string>> renamed_objects_;
  std::set<std::pair<std::string, std::string>> policies_done_;
  // Foreign keys of new tables that wait for a unique key this plan adds.
  std::vector<std::pair<const Table*, const Constraint*>> late_keys_;

  int group() { return ++groups_; }
  void append(std::vector<Step>& steps) {
    for (auto& s : steps) plan_.steps.push_back(std::move(s));
  }

  // A drop of behaviour or integrity that no file declares: marked, and blocking.
  static Step& undeclared(Step& s, std::string kind, std::string name) {
    s.drops_kind = std::move(kind);
    s.drops_name = std::move(name);
    s.origin.flag = "undeclared";
    s.hazards.push_back(kDropsUndeclared);
    return s;
  }

  Step& add(Phase phase, const std::string& table, std::string summary, std::string sql, std::string lock, int group_id,
            const Origin& origin, std::vector<std::string> hazards = {}) {
    Step s;
    s.phase = phase;
    s.table = table;
    s.summary = std::move(summary);
    s.sql = std::move(sql);
    s.lock = std::move(lock);
    s.group = group_id;
    s.transactional = group_id != 0;
    s.locks_existing = s.lock != "none";
    s.hazards = std::move(hazards);
    s.origin = origin;
    plan_.steps.push_back(std::move(s));
    return plan_.steps.back();
  }

  // infrastructure.cpp: extensions, roles, schemas, runtime functions.
  void infrastructure();
  void revoke_execute(const Function& f, const Function* live, int g);

  // tables.cpp: renames, new tables, undeclared tables.
  void renames();
  void rename_column_in_definitions(const QualifiedName& table, const std::string& from, const std::string& to);
  static std::set<QualifiedName> external_tables(const Desired& d);
  static bool live_key_exists(const Table& live, const std::vector<std::string>& columns);
  Phase referenced_key_phase(const Constraint& fk) const;
  std::string fk_parents_lock(const Table& t, const std::set<QualifiedName>& ready);
  void new_tables(std::vector<objects::ObjectAmongTables>& among);
  void drop_undeclared_tables();

  // columns.cpp: columns of existing tables.
  void existing_table_phase1(const Table& t, const Table& norm, const Table& live);
  void backfill(const Table& t, const Column& c);
  void generation(const Table& t, const Column& c, const Column& lc, int g);
  void add_column_with_volatile_default(const Table& t, const Column& c, int g);
  void change_type(const Table& t, const Table& live, const Column& c, const Column& lc, const Column& nc, int g);
  void set_not_null_existing(const Table& t, const Table& norm, const Table& live);
  void set_not_null_online(const Table& t, const Column& c, const Table* live = nullptr);
  void drop_undeclared_columns(const Table& t, const Table& live);

  // constraints.cpp
  void constraints(const Table& t, const Table& norm, const Table& live);
  bool rename_equivalent_constraint(const Table& t, const Table& live, const Constraint& normalized,
                                    const Constraint& c);
  void drop_undeclared_constraints(const Table& t, const Table& live);
  std::vector<std::pair<QualifiedName, Constraint>> drop_foreign_keys_on(Phase phase, const Table& t,
                                                                         const Constraint& key, int g);
  void add_foreign_keys_again(Phase phase, const std::vector<std::pair<QualifiedName, Constraint>>& foreign_keys,
                              int g);

  // indexes.cpp
  void indexes(const Table& t, const Table& norm, const Table& live);
  void build_index(Phase phase, const Table& t, std::string summary, const Index& i, const Origin& origin);
  bool reuse_leftover(Phase phase, const Table& t, const Table& live, const std::string& temp, const std::string& shape,
                      const Origin& origin);
  void drop_undeclared_indexes(const Table& t, const Table& live);

  // triggers.cpp
  void triggers(const Table& t, const Table& norm, const Table& live);
  void external_triggers();
  bool calls_runtime(const Trigger& live) const;
  void drop_undeclared_triggers(const Table& t, const Table& live);

  // policies.cpp: row level security, policies, grants.
  void rls(const Table& t, const Table& norm, const Table& live);
  // column_grants.cpp: GRANT/REVOKE (column) ON t, after the table's grants.
  void column_grants(const Table& t, const Table& live, const Grants& revoked_on_table, const std::function<int()>& tx);

  // partitions.cpp: partitioned tables, partitions, the indexes of partitioned tables.
  bool parent_exists(const Table& partition) const;
  void partition_statements(const Table& t, const std::set<QualifiedName>& ready, std::vector<Statement>& statements);
  void attach_new_partition(const Table& t, int group_id);
  Table partition_as_planned(const Table& declared, const Table& live) const;
  static Table without_attached_indexes(const Table& t);
  bool partitioning_changes(const Table& t, const Table& live);
  void partitioned_index(const Table& t, const Table& norm, const Table& live, const Index& i);
  bool partitioned_constraint(const Table& t, const Table& norm, const Table& live, const Constraint& c);

  // comments.cpp: comments on indexes, constraints, triggers and policies.
  void comments(const Table& t, const Table& live);

  // replica_identity.cpp
  void replica_identity(const Table& t, const Table& live);
  // What the declarations want ("" when they do not say: the live one stays).
  std::string wanted_replica_identity(const Table& t) const;
  bool says_replica_identity(const QualifiedName& table) const;  // an ALTER TABLE of a .sql file does

  // privileges.cpp: default privileges (ALTER DEFAULT PRIVILEGES), and what a
  // new object of a kind ("TABLES") created in a schema by the user who
  // applies gets from them once the plan ran.
  void default_privileges();
  Grants inherited_grants(const std::string& schema, const std::string& objects) const;
  // (role, schema, objects) -> pg_default_acl's items after the plan.
  std::map<std::tuple<std::string, std::string, std::string>, std::set<std::string>> defaults_after_;

  // publications.cpp
  void publications();
  // Declared publications by name: true when CREATE PUBLICATION declares it whole.
  std::map<std::string, bool> declared_publications() const;
  // replicated_writes.cpp: hazard replica-identity-missing.
  void replicated_writes();
};

}  // namespace schemac::planner
