// Partitioned tables declared in SQL, planned against a real database: new
// partitions attached beside a live parent, indexes built per partition and
// attached, an interrupted index resumed, and what cannot change in place said.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "compiler/deploy/apply.hpp"
#include "compiler/render.hpp"
#include "tests/test_database.hpp"

using namespace schemac;
using namespace schemac::test;
namespace fs = std::filesystem;

namespace {

std::string folder(const std::string& name, const std::string& sql) {
  return schema_folder(name, {{"schemac.toml", "[project]\ntarget = \"postgres\"\n"}, {"events.sql", sql}});
}

const char* kLive = R"sql(
CREATE TABLE events (
  id bigint NOT NULL, region text NOT NULL, priority int DEFAULT 0, payload jsonb,
  CONSTRAINT positive CHECK (id > 0)
) PARTITION BY LIST (region);
CREATE TABLE events_eu PARTITION OF events FOR VALUES IN ('eu');
CREATE TABLE events_other PARTITION OF events DEFAULT;
CREATE INDEX events_id_idx ON events (id);
)sql";

// The live schema, and a new partition with its own default and NOT NULL, and a new index.
std::string declared_with(const std::string& more = "") {
  return std::string(kLive) + R"sql(
CREATE TABLE events_us PARTITION OF events (priority DEFAULT 5, payload NOT NULL) FOR VALUES IN ('us');
CREATE INDEX events_payload_idx ON events USING gin (payload);
)sql" + more;
}

std::string valid_indexes(Db& db) {
  std::string out;
  for (const auto& r : db.query("SELECT c.relname || ':' || x.indisvalid FROM pg_index x JOIN pg_class c ON c.oid = "
                                "x.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
                                "AND c.relname LIKE 'events%' ORDER BY 1"))
    out += r[0].c_str() + std::string(" ");
  return out;
}

}  // namespace

TEST_CASE("a new partition of a live parent is attached beside it, and a new index is built per partition") {
  TestDatabase tdb;
  Db db = tdb.connect();
  db.exec(kLive);
  db.exec(
      "INSERT INTO events SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'xx' END, 0, '{}' FROM generate_series(1, 1000) "
      "g");
  const auto dir = folder("partitions", declared_with());
  auto plan = plan_for(dir, tdb.url());
  INFO(render_text(plan.plan));
  // Not PARTITION OF (ACCESS EXCLUSIVE on the parent): a table beside it, attached.
  CHECK_FALSE(step_containing(plan.plan, "PARTITION OF"));
  const auto* attach = step_containing(plan.plan, "ATTACH PARTITION \"public\".\"events_us\" FOR VALUES IN ('us')");
  REQUIRE(attach);
  CHECK(attach->lock.find("SHARE UPDATE EXCLUSIVE on public.events") == 0);
  CHECK(attach->lock.find("ACCESS EXCLUSIVE on its default partition public.events_other") != std::string::npos);
  // The index: on the parent only (nothing built), then concurrently on each partition, then attached.
  const auto* only = step_containing(plan.plan, "ON ONLY public.events USING gin (payload)");
  REQUIRE(only);
  for (const char* partition : {"events_eu", "events_other", "events_us"}) {
    const auto* build = step_containing(
        plan.plan, fmt::format("CREATE INDEX CONCURRENTLY \"{}_payload_idx\" ON public.{}", partition, partition));
    const auto* attach_index =
        step_containing(plan.plan, fmt::format("ATTACH PARTITION \"public\".\"{}_payload_idx\"", partition));
    REQUIRE(build);
    REQUIRE(attach_index);
    CHECK(only < build);
    CHECK(build < attach_index);
  }
  for (const auto& h : plan.plan.hazards()) CHECK_FALSE(hazard_blocks(h));
  apply_outcome(plan, tdb.url());

  CHECK(plan_for(dir, tdb.url()).plan.empty());
  CHECK(valid_indexes(db) ==
        "events_eu_id_idx:true events_eu_payload_idx:true events_id_idx:true events_other_id_idx:true "
        "events_other_payload_idx:true events_payload_idx:true events_us_id_idx:true events_us_payload_idx:true ");
  CHECK(db.scalar("SELECT count(*) FROM events") == "1000");
  // The partition's own default (PostgreSQL applies it to rows written to the
  // partition itself; rows routed through the parent get the parent's) and
  // NOT NULL; the parent's check reaches it.
  db.exec("INSERT INTO events_us (id, region, payload) VALUES (2001, 'us', '{}')");
  CHECK(db.scalar("SELECT priority FROM events WHERE id = 2001") == "5");
  CHECK_THROWS(db.exec("INSERT INTO events (id, region) VALUES (2002, 'us')"));
  CHECK_THROWS(db.exec("INSERT INTO events (id, region, payload) VALUES (-1, 'us', '{}')"));
}

TEST_CASE("an index of a partitioned table interrupted after some partitions resumes where it stopped") {
  TestDatabase tdb;
  Db db = tdb.connect();
  db.exec(kLive);
  db.exec("CREATE TABLE events_us PARTITION OF events (priority DEFAULT 5, payload NOT NULL) FOR VALUES IN ('us')");
  // An earlier apply that stopped after the parent's index and one partition's.
  db.exec("CREATE INDEX events_payload_idx ON ONLY events USING gin (payload)");
  db.exec("CREATE INDEX events_eu_payload_idx ON events_eu USING gin (payload)");
  db.exec("ALTER INDEX events_payload_idx ATTACH PARTITION events_eu_payload_idx");
  db.exec("CREATE INDEX events_us_payload_idx ON events_us USING gin (payload)");  // built, not attached
  const auto dir = folder("resumed", declared_with());
  auto plan = plan_for(dir, tdb.url());
  INFO(render_text(plan.plan));
  CHECK_FALSE(step_containing(plan.plan, "ON ONLY"));
  CHECK_FALSE(step_containing(plan.plan, "events_eu_payload_idx"));
  CHECK_FALSE(step_containing(plan.plan, "CREATE INDEX CONCURRENTLY \"events_us_payload_idx\""));
  REQUIRE(step_containing(plan.plan, "ATTACH PARTITION \"public\".\"events_us_payload_idx\""));
  REQUIRE(step_containing(plan.plan, "CREATE INDEX CONCURRENTLY \"events_other_payload_idx\""));
  // The index steps only: the API roles (target = "postgres") are created too
  // when no test before this one in the cluster created them.
  CHECK(std::count_if(plan.plan.steps.begin(), plan.plan.steps.end(),
                      [](const Step& s) { return s.creates_role.empty(); }) == 3);
  apply_outcome(plan, tdb.url());
  CHECK(db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.events_payload_idx'::regclass") == "t");
  CHECK(plan_for(dir, tdb.url()).plan.empty());
}

TEST_CASE("a partitioned table from nothing: the parent, its partitions and indexes, converged") {
  TestDatabase tdb;
  Db db = tdb.connect();
  const auto dir = folder("fresh", declared_with());
  auto plan = plan_for(dir, tdb.url());
  INFO(render_text(plan.plan));
  const auto* parent = step_containing(plan.plan, "PARTITION BY LIST (region)");
  const auto* us =
      step_containing(plan.plan, "CREATE TABLE \"public\".\"events_us\" PARTITION OF \"public\".\"events\"");
  REQUIRE(parent);
  REQUIRE(us);
  CHECK(parent < us);
  CHECK(us->sql.find("\"priority\" WITH OPTIONS DEFAULT 5") != std::string::npos);
  CHECK(us->sql.find("\"payload\" WITH OPTIONS NOT NULL") != std::string::npos);
  apply_outcome(plan, tdb.url());
  CHECK(plan_for(dir, tdb.url()).plan.empty());
  CHECK(db.scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = 'public.events'::regclass") == "3");
}

TEST_CASE("a changed partition bound is not planned, said in the plan, and nothing is dropped") {
  TestDatabase tdb;
  Db db = tdb.connect();
  db.exec(kLive);
  std::string moved = kLive;
  moved.replace(moved.find("IN ('eu')"), 9, "IN ('eu', 'uk')");
  const auto dir = folder("moved", moved);
  auto plan = plan_for(dir, tdb.url());
  INFO(render_text(plan.plan));
  CHECK(plan.plan.steps.empty());
  REQUIRE(plan.plan.not_planned.size() == 1);
  CHECK(plan.plan.not_planned[0].find("table public.events_eu partition bound FOR VALUES IN ('eu', 'uk') instead of "
                                      "FOR VALUES IN ('eu')") == 0);
}

TEST_CASE("a key added to a live partitioned table has no online way: built under lock, blocking until allowed") {
  TestDatabase tdb;
  Db db = tdb.connect();
  db.exec(kLive);
  db.exec("INSERT INTO events VALUES (1, 'eu', 0, '{}'), (2, 'xx', 0, '{}')");
  const auto dir = folder("keyed", std::string(kLive) +
                                       "ALTER TABLE events ADD CONSTRAINT events_key UNIQUE (id, region);\n"
                                       "ALTER TABLE events ADD CONSTRAINT small CHECK (priority < 10);\n");
  auto plan = plan_for(dir, tdb.url());
  INFO(render_text(plan.plan));
  const auto* key = step_containing(plan.plan, "ADD CONSTRAINT \"events_key\" UNIQUE (id, region)");
  REQUIRE(key);
  CHECK(std::find(key->hazards.begin(), key->hazards.end(), "table-lock") != key->hazards.end());
  CHECK(hazard_blocks("table-lock"));
  CHECK_FALSE(step_containing(plan.plan, "CONCURRENTLY"));
  // A check still goes NOT VALID, then VALIDATE: PostgreSQL carries both to each partition.
  REQUIRE(step_containing(plan.plan, "CHECK (priority < 10) NOT VALID"));  // as the statement wrote it
  REQUIRE(step_containing(plan.plan, "VALIDATE CONSTRAINT \"small\""));
  apply_outcome(plan, tdb.url());
  CHECK(plan_for(dir, tdb.url()).plan.empty());
  CHECK_THROWS(db.exec("INSERT INTO events VALUES (1, 'eu', 0, '{}')"));
}
