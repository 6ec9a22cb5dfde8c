#pragma once
// How one object of a kind PostgreSQL prints whole changes in place: one
// function per kind, each in its own file (types.cpp, sequences.cpp,
// routines.cpp, views.cpp). objects.cpp orders the results by pg_depend.
#include <functional>
#include <string>
#include <vector>

#include "compiler/planner/plan.hpp"
#include "schema/model.hpp"

namespace schemac::objects {

// What a kind's change function gives back: steps that alter the live object
// into the declared one, or `recreate` when only DROP and CREATE can.
struct Change {
  std::vector<Step> steps;
  bool recreate = false;
};

// Builds the steps of one object; group() hands out transaction groups.
class StepBuilder {
 public:
  StepBuilder(const SchemaObject& object, std::function<int()> group) : object_(object), group_(std::move(group)) {}
  // One statement in its own transaction (group 0: none, e.g. CONCURRENTLY).
  Step& add(std::vector<Step>& out, std::string summary, std::string sql, std::string lock, bool own_group = true);
  int group() { return group_(); }
  const SchemaObject& object() const { return object_; }

 private:
  const SchemaObject& object_;
  std::function<int()> group_;
};

// The keyword a statement names the kind with: TYPE, DOMAIN, SEQUENCE, FUNCTION, VIEW, ...
std::string sql_keyword(ObjectKind kind);
// DROP <kind> name (no CASCADE: what depends on it is dropped first, by name).
std::string drop_statement(const SchemaObject& o);

// "CREATE INDEX x ON ..." -> "CREATE INDEX CONCURRENTLY x ON ...".
std::string concurrent_index(const std::string& definition);
// The CREATE INDEX statements of a materialized view's declared indexes that
// `live` lacks (all of them when live is null); the DROPs of those it has extra.
std::vector<std::string> index_steps_sql(const SchemaObject& want, const SchemaObject* live, bool concurrently,
                                         std::vector<std::string>* drops);

// A view's triggers that `live` lacks or has differently (all when null), and
// DROP TRIGGER for those it has that are not declared: drops first.
std::vector<std::string> trigger_steps_sql(const SchemaObject& want, const SchemaObject* live);

// Whether REFRESH MATERIALIZED VIEW CONCURRENTLY can run with these indexes:
// it needs a unique index without WHERE.
bool refreshable_concurrently(const std::vector<std::string>& indexes);
// A materialized view's new query built beside it as <name>_schemac_new,
// indexed, then swapped in (DROP the old, RENAME the new and its indexes), all
// in transaction `group`: readers keep the old rows until the moment of commit.
void swap_materialized_view(const SchemaObject& want, const SchemaObject& live, StepBuilder& b, int group,
                            std::vector<Step>& out);

Change change_enum(const SchemaObject& want, const SchemaObject& live, const Catalog& live_catalog, StepBuilder& b);
Change change_domain(const SchemaObject& want, const SchemaObject& live, StepBuilder& b);
Change change_composite(const SchemaObject& want, const SchemaObject& live, StepBuilder& b);
Change change_sequence(const SchemaObject& want, const SchemaObject& live, StepBuilder& b);
Change change_routine(const SchemaObject& want, const SchemaObject& live, StepBuilder& b);
Change change_view(const SchemaObject& want, const SchemaObject& live, StepBuilder& b);

}  // namespace schemac::objects
