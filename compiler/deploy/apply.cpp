#include "compiler/deploy/apply.hpp"

#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <random>
#include <thread>

#include "compiler/ddl.hpp"
#include "compiler/deploy/apply_events.hpp"
#include "compiler/deploy/apply_guard.hpp"
#include "compiler/deploy/history.hpp"
#include "compiler/deploy/progress.hpp"
#include "compiler/deploy/violations.hpp"

namespace schemac {

namespace {

using Clock = std::chrono::steady_clock;

std::string first_line(std::string s) {
  auto nl = s.find('\n');
  if (nl != std::string::npos) s.erase(nl);
  return s;
}

// Who holds the locks a timed-out statement wanted, for the error message.
std::string blockers(Db& db, const std::string& table) {
  if (table.empty()) return {};
  try {
    auto rows = db.query(fmt::format(
        "SELECT a.pid, a.state, now() - a.xact_start, left(a.query, 120) FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.relation = to_regclass({}) AND a.pid <> pg_backend_pid() "
        "AND l.granted ORDER BY a.xact_start LIMIT 5",
        quote_literal(table)));
    std::string out;
    for (const auto& r : rows)
      out += fmt::format("\n  pid {} ({}, in transaction for {}): {}", r[0].c_str(), r[1].c_str(), r[2].c_str(),
                         r[3].c_str());
    return out;
  } catch (const std::exception&) {
    return {};
  }
}

// Failures worth another try once the step's transaction is rolled back (or
// its INVALID index dropped): someone else held a lock, or a deadlock chose us.
bool transient(const std::string& sqlstate) {
  return sqlstate == "55P03" || sqlstate == "40P01" || sqlstate == "40001";
}

// Fault injection for the kill tests (tests/fault_test.cpp): SIGKILL ourselves
// just before step N starts, the way a cancelled deploy job dies.
std::size_t kill_at_step() {
  const char* v = std::getenv("SCHEMAC_TEST_KILL_AT_STEP");
  return v ? static_cast<std::size_t>(std::strtoul(v, nullptr, 10)) : 0;
}

}  // namespace

std::size_t apply_plan(Db& db, const Plan& plan, const ApplyOptions& options, std::ostream& log) {
  const std::string lock_timeout = options.lock_timeout.empty() ? plan.lock_timeout : options.lock_timeout;
  const int retries = options.retries >= 0 ? options.retries : plan.retries;

  std::optional<ApplyLock> lock;
  if (!options.lock_held) lock.emplace(db, options.wait);
  db.exec(ddl::search_path(plan.search_path));
  // Routine bodies name tables and other routines that pg_depend does not
  // record (only BEGIN ATOMIC bodies are tracked): as pg_restore does, bodies
  // are checked when called, not when created. The scratch database already
  // created every one of them.
  db.exec("SET check_function_bodies = off");
  // If this process dies (a cancelled job, a killed runner), PostgreSQL notices
  // the closed client socket only when a statement ends; a long build would
  // run on, holding the apply lock. PostgreSQL 14+ can check while it runs.
  if (db.server_major_version() >= 14) db.exec("SET client_connection_check_interval = '1s'");
  std::optional<Progress> progress;
  if (!options.quiet)
    progress.emplace(db.url(), std::stoi(db.scalar("SELECT pg_backend_pid()").value_or("0")), options.terminal, log);
  const auto kill_at = kill_at_step();

  std::mt19937 rng(std::random_device{}());
  const auto apply_started = Clock::now();
  std::size_t executed = 0;
  std::size_t i = 0;
  const auto total = plan.steps.size();
  while (i < total) {
    // A group: consecutive steps sharing one transaction; a CONCURRENTLY step alone.
    std::size_t end = i + 1;
    if (plan.steps[i].transactional)
      while (end < total && plan.steps[end].transactional && plan.steps[end].group == plan.steps[i].group) ++end;
    for (int attempt = 0;; ++attempt) {
      auto started = Clock::now();
      std::size_t current = i;
      try {
        if (plan.steps[i].transactional) {
          db.exec("BEGIN");
          db.exec(fmt::format("SET LOCAL lock_timeout = {}", quote_literal(lock_timeout)));
        }
        for (current = i; current < end; ++current) {
          const auto& s = plan.steps[current];
          if (current + 1 == kill_at) std::raise(SIGKILL);
          const auto label =
              fmt::format("[{}/{}] {}{}", current + 1, total, s.table.empty() ? "" : s.table + ": ", s.summary);
          if (!options.quiet) log << label << "\n" << std::flush;
          if (options.events) options.events->started(current + 1, total, s);
          if (progress) progress->begin(label);
          const auto step_started = Clock::now();
          db.exec(s.sql);
          if (progress) progress->end();
          // A transactional step is done when its transaction commits: its "finished" comes after the COMMIT.
          if (options.events && !s.transactional)
            options.events->finished(current + 1, std::chrono::duration<double>(Clock::now() - step_started).count());
        }
        if (plan.steps[i].transactional) {
          db.exec("COMMIT");
          if (options.events) {
            const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
            for (std::size_t k = i; k < end; ++k) options.events->finished(k + 1, seconds);
          }
        }
        executed += end - i;
        if (options.history) options.history->progress(executed);
        if (!options.quiet)
          log << fmt::format("      done in {:.2f}s\n", std::chrono::duration<double>(Clock::now() - started).count());
        break;
      } catch (const pqxx::broken_connection& e) {
        if (progress) progress->end();
        // Nothing more can run, and nothing can be recorded, on this session;
        // the server rolled back the open transaction, if any.
        const auto& s = plan.steps[std::min(current, end - 1)];
        const auto msg = fmt::format(
            "the connection to the database was lost during step {} ({}{}): {}\n{} of {} statements were applied; "
            "every finished transaction is committed, and running apply again continues from where this stopped",
            std::min(current, end - 1) + 1, s.table.empty() ? "" : s.table + ": ", s.summary, first_line(e.what()),
            executed, total);
        if (options.events) options.events->failed(std::min(current, end - 1) + 1, "08006", msg);
        throw ApplyError(msg);
      } catch (const pqxx::sql_error& e) {
        if (progress) progress->end();
        const std::string sqlstate = e.sqlstate();
        const std::string what = e.what();
        if (plan.steps[i].transactional) {
          try {
            db.exec("ROLLBACK");
          } catch (const std::exception&) {
          }
        }
        const auto& s = plan.steps[std::min(current, end - 1)];
        if (!s.on_failure.empty()) {
          try {
            db.exec(s.on_failure);
          } catch (const std::exception&) {
            // The next plan still sees an INVALID index (pg_index.indisvalid) and rebuilds it.
          }
        }
        if (transient(sqlstate) && attempt < retries) {
          // 0.2 s, 0.4 s, ... capped at 3.2 s: long enough for a short transaction to
          // end, short enough that the queue behind us drains between tries.
          auto base = std::chrono::milliseconds(200 * (1 << std::min(attempt, 4)));
          auto jitter = std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 200)(rng));
          if (options.events)
            options.events->retried(std::min(current, end - 1) + 1,
                                    sqlstate == "55P03" ? "lock_timeout" : "deadlock or serialization failure",
                                    attempt + 1, retries, static_cast<long>((base + jitter).count()));
          if (!options.quiet)
            log << fmt::format("      {} on {}; retry {}/{} in {}ms\n",
                               sqlstate == "55P03" ? fmt::format("lock_timeout ({}) waiting", lock_timeout)
                                                   : "deadlock or serialization failure",
                               s.table, attempt + 1, retries, (base + jitter).count());
          std::this_thread::sleep_for(base + jitter);
          continue;
        }
        std::string msg = fmt::format("step {} failed ({}{}): {}", std::min(current, end - 1) + 1,
                                      s.table.empty() ? "" : s.table + ": ", s.summary, first_line(what));
        if (sqlstate == "55P03")
          msg += fmt::format(
              "\nthe lock ({}) was not granted within lock_timeout {} after {} retries; holding locks on {}:{}", s.lock,
              lock_timeout, retries, s.table, blockers(db, s.table));
        if (!s.validates.empty() && sqlstate.rfind("23", 0) == 0) {
          auto rows = describe_violations(db, s.table, s.validates);
          if (!rows.empty()) msg += "\n" + rows;
        }
        if (sqlstate == "42501") msg += "\nthe role apply runs as lacks a privilege this step needs (see above)";
        msg += fmt::format(
            "\n{} of {} statements were applied; every finished transaction is committed, "
            "and running apply again continues from where this stopped",
            executed, total);
        if (options.history) options.history->failed(executed, msg);
        if (options.events) options.events->failed(std::min(current, end - 1) + 1, sqlstate, msg);
        throw ApplyError(msg);
      }
    }
    i = end;
  }
  if (options.history) options.history->succeeded(executed);
  if (options.events)
    options.events->applied(executed, std::chrono::duration<double>(Clock::now() - apply_started).count());
  return executed;
}

}  // namespace schemac
