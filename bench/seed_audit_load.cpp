// The seed audit's database (examples/seed-audit/before.sql), scaled up, migrated
// to examples/saas/schema while the application uses it: writers and readers
// (tests/workload) run for a few seconds before, during and after either
// schemac's apply or bench/naive_migration.sql (the same changes written the
// way the audit found teams write them). Prints, per phase, how many of their
// transactions ran, failed, and how long they took, and how long the migration took.
// Run: pg_virtualenv -t -o logging_collector=on build/bench/seed_audit_load schemac|naive [rows] [seconds] [rate]
//   rows:    api_keys and outbox rows (default 1000000, so that the naive
//            migration takes seconds; loading them takes ~35 s on 2 cores);
//            webhooks and automation_rules get rows/20, people keeps before.sql's 100
//   seconds: length of the "before" and "after" phases (default 5)
//   rate:    transactions per second per workload thread (default 100; 0: flat out)
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "compiler/deploy/apply.hpp"
#include "compiler/workflow.hpp"
#include "tests/workload/workload.hpp"

using namespace schemac;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kSource = SOURCE_DIR;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The rows before.sql creates are a handful per table; these make the checks'
// validation and the index builds take seconds. people is left as it is: the
// old policies' subquery scans it on every tenant read, calling auth.uid()
// per row (~3 us each), so a big people table makes the "before" readers burn
// the CPU the migration needs, and the comparison measures that instead of locks. Both organizations alternate
// row by row, so a tenant's first rows are near the start of the heap whichever
// tenant it is (a LIMIT query under either schema stops early).
void scale_up(Db& db, long rows) {
  const std::string org =
      "(ARRAY['00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000b'])"
      "[1 + g % 2]::uuid";
  const long small = rows / 20;
  db.exec(
      fmt::format("INSERT INTO api_keys (organization_id, name, key_hash, revoked, created_at, updated_at) "
                  "SELECT {0}, 'bulk key ' || g, md5('bulk' || g), g % 10 = 0, now() - g * interval '1 second', now() "
                  "FROM generate_series(1, {1}) g",
                  org, rows));
  db.exec(fmt::format(
      "INSERT INTO outbox (organization_id, channel, recipient, payload, status, attempts, sent_at, created_at, "
      "updated_at) "
      "SELECT {0}, (ARRAY['email', 'sms', 'webhook'])[1 + g % 3], 'user' || g || '@tenant.test', "
      "jsonb_build_object('n', g), (ARRAY['pending', 'sent', 'failed'])[1 + g % 3], g % 4, "
      "CASE WHEN g % 3 = 1 THEN now() END, now(), now() FROM generate_series(1, {1}) g",
      org, rows));
  db.exec(fmt::format(
      "INSERT INTO webhooks (organization_id, url, events, secret, enabled, created_at, updated_at) "
      "SELECT {0}, 'https://hooks.tenant.test/' || g, ARRAY['key.created'], md5(g::text), g % 3 > 0, now(), now() "
      "FROM generate_series(1, {1}) g",
      org, small));
  db.exec(
      fmt::format("INSERT INTO automation_rules (organization_id, name, trigger_event, created_at, updated_at) "
                  "SELECT {0}, 'bulk rule ' || g, 'key.created', now(), now() FROM generate_series(1, {1}) g",
                  org, small));
  db.exec("VACUUM ANALYZE");
}

std::optional<Plan> plan_saas(const std::string& url) {
  PlanRequest request;
  request.schema_path = kSource + "/examples/saas/schema";
  request.database_url = url;
  Diagnostics diags;
  auto outcome = plan_against_database(request, diags);
  if (!outcome) {
    std::cerr << diags.render();
    return std::nullopt;
  }
  return std::move(outcome->plan);
}

void print_table(const workload::Workload& w) {
  fmt::print("{:<8} {:<8} {:>7} {:>7} {:>8} {:>8} {:>9} {:>9}\n", "phase", "threads", "tx", "failed", "tx/s", "p50 ms",
             "p99 ms", "max ms");
  auto all = w.stats();
  auto writers = w.stats(workload::Kind::writer);
  auto readers = w.stats(workload::Kind::reader);
  for (std::size_t i = 0; i < all.size(); ++i) {
    for (const auto* s : {&all[i], &writers[i], &readers[i]}) {
      const char* who = s == &all[i] ? "all" : s == &writers[i] ? "writers" : "readers";
      fmt::print("{:<8} {:<8} {:>7} {:>7} {:>8.1f} {:>8.2f} {:>9.2f} {:>9.2f}\n", s->phase, who, s->transactions,
                 s->failures, s->throughput, s->p50_ms, s->p99_ms, s->max_ms);
    }
  }
  for (const auto& s : all)
    for (const auto& m : s.failure_messages) fmt::print("  failed {}: {}\n", s.phase, m);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode != "schemac" && mode != "naive") {
    std::cerr << "usage: seed_audit_load schemac|naive [rows] [seconds] [rate]\n";
    return 2;
  }
  const long rows = argc > 2 ? std::atol(argv[2]) : 1000000;
  const int seconds = argc > 3 ? std::atoi(argv[3]) : 5;
  const double rate = argc > 4 ? std::atof(argv[4]) : 100;

  const std::string dbname = fmt::format("schemac_seed_load_{}", getpid());
  Db admin("");
  admin.exec("CREATE DATABASE " + quote_ident(dbname));
  const auto url = Db::with_database("", dbname);
  int status = 0;
  try {
    auto started = Clock::now();
    // psql, because before.sql is a psql script (several statements, dollar quotes);
    // pg_virtualenv's PG* variables name the server and the user.
    if (std::system(
            fmt::format("psql -q -v ON_ERROR_STOP=1 -d {} -f {}/examples/seed-audit/before.sql", dbname, kSource)
                .c_str()) != 0)
      throw std::runtime_error("loading examples/seed-audit/before.sql failed");
    {
      Db db(url);
      scale_up(db, rows);
    }
    fmt::print("database: {} api_keys and outbox rows, {} webhooks and automation_rules rows ({:.1f} s)\n", rows,
               rows / 20, seconds_since(started));

    // Planning reads the catalog and normalizes in a scratch database: no lock
    // on the tenant tables, so it is done before the workload starts.
    std::optional<Plan> plan;
    if (mode == "schemac") {
      started = Clock::now();
      plan = plan_saas(url);
      if (!plan) throw std::runtime_error("planning examples/saas/schema failed");
      fmt::print("plan: {} steps ({:.1f} s)\n", plan->steps.size(), seconds_since(started));
    } else {
      // The hand-written migration uses the trigger functions schemac installs
      // (the same bodies, so a write costs the same afterwards either way);
      // they touch no table, so they are put in place before the clock starts.
      Diagnostics diags;
      auto compiled = compile_schema(kSource + "/examples/saas/schema", diags);
      if (!compiled) throw std::runtime_error(diags.render());
      Db db(url);
      for (const auto& f : desired_state(*compiled).catalog.functions)
        if (f.origin.flag != "target") db.exec(f.create_sql);  // not the auth stand-ins before.sql has
    }

    workload::Options options;
    options.url = url;
    options.rate = rate;
    workload::Workload load(options);
    load.start();
    std::this_thread::sleep_for(std::chrono::seconds(seconds));

    load.mark("during");
    started = Clock::now();
    std::string outcome = "ok";
    if (mode == "schemac") {
      try {
        Db db(url);
        ApplyOptions apply_options;
        // Its step log and progress lines (lock waits, retries) on stderr, as the CLI shows them.
        apply_plan(db, *plan, apply_options, std::cerr);
      } catch (const std::exception& e) {
        outcome = fmt::format("failed: {}", e.what());
        status = 1;
      }
    } else {
      // PGAPPNAME: its session is recognisable in pg_stat_activity and the server log.
      if (std::system(
              fmt::format("PGAPPNAME=naive_migration psql -q -v ON_ERROR_STOP=1 -d {} -f {}/bench/naive_migration.sql",
                          dbname, kSource)
                  .c_str()) != 0) {
        outcome = "failed (psql's message above)";
        status = 1;
      }
    }
    const double migration = seconds_since(started);
    load.mark("after");
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    load.stop();

    fmt::print("\nmigration ({}): {:.2f} s, {}\n", mode == "schemac" ? "schemac apply" : "bench/naive_migration.sql",
               migration, outcome);
    fmt::print("workload: {} writers + {} readers, {} tx/s each{}\n\n", options.writers, options.readers, rate,
               rate > 0 ? "" : " (flat out)");
    print_table(load);

    // Both migrations must end where the declarations say, with every write kept.
    long committed_writes = 0;
    for (const auto& s : load.stats(workload::Kind::writer)) committed_writes += s.transactions - s.failures;
    Db db(url);
    auto kept = db.scalar("SELECT count(*) FROM api_keys WHERE name LIKE 'workload key %'").value_or("0");
    auto invalid = db.scalar("SELECT count(*) FROM pg_index WHERE NOT indisvalid").value_or("?");
    auto rest = plan_saas(url);
    fmt::print(
        "\nafter: {} steps left to the declarations, {} invalid indexes, {} workload keys stored of {} "
        "committed\n",
        rest ? std::to_string(rest->steps.size()) : "?", invalid, kept, committed_writes);
    for (const auto& s : load.stats())
      if (s.failures) status = 1;
  } catch (const std::exception& e) {
    std::cerr << "seed_audit_load: " << e.what() << "\n";
    status = 1;
  }
  admin.exec(fmt::format("DROP DATABASE {} WITH (FORCE)", quote_ident(dbname)));
  return status;
}
