#include "compiler/deploy/history.hpp"

#include <fmt/format.h>

#include "schema/ident.hpp"

namespace schemac {

namespace {

constexpr const char* kCreate = R"sql(
CREATE SCHEMA IF NOT EXISTS schemac;
CREATE TABLE IF NOT EXISTS schemac.apply_history (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  schemac_version text NOT NULL,
  plan_fingerprint text NOT NULL,
  db_user text NOT NULL DEFAULT current_user,
  client text DEFAULT inet_client_addr()::text,
  started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at timestamptz,
  outcome text NOT NULL DEFAULT 'running'
    CHECK (outcome IN ('running', 'succeeded', 'failed', 'interrupted')),
  steps_total integer NOT NULL,
  steps_run integer NOT NULL DEFAULT 0,
  error text
);
REVOKE ALL ON schemac.apply_history FROM PUBLIC)sql";

// History is bookkeeping: a failure to write it (say, a read-only replica
// answered) must not turn a finished apply into a failed one.
void best_effort(Db& db, const std::string& sql) {
  try {
    db.exec(sql);
  } catch (const std::exception&) {
  }
}

}  // namespace

History::History(Db& db, const HistoryStart& start) : db_(db) {
  // Two applies cannot race here: the caller holds the apply lock. The schema
  // and table are created only if missing, without touching any user table.
  db_.exec(std::string("BEGIN;") + kCreate + ";COMMIT");
  db_.exec(
      "UPDATE schemac.apply_history SET outcome = 'interrupted' "
      "WHERE outcome = 'running'");
  id_ = db_.scalar(fmt::format("INSERT INTO schemac.apply_history (schemac_version, plan_fingerprint, steps_total) "
                               "VALUES ({}, {}, {}) RETURNING id",
                               quote_literal(start.schemac_version), quote_literal(start.plan_fingerprint),
                               start.steps_total))
            .value_or("0");
}

void History::progress(std::size_t steps_run) {
  best_effort(db_, fmt::format("UPDATE schemac.apply_history SET steps_run = {} WHERE id = {}", steps_run, id_));
}

void History::succeeded(std::size_t steps_run) {
  best_effort(db_, fmt::format("UPDATE schemac.apply_history SET steps_run = {}, outcome = 'succeeded', "
                               "finished_at = clock_timestamp() WHERE id = {}",
                               steps_run, id_));
}

void History::failed(std::size_t steps_run, const std::string& error) {
  best_effort(db_, fmt::format("UPDATE schemac.apply_history SET steps_run = {}, outcome = 'failed', "
                               "finished_at = clock_timestamp(), error = {} WHERE id = {}",
                               steps_run, quote_literal(error), id_));
}

std::optional<std::string> already_applied(Db& db, const std::string& plan_fingerprint) {
  if (db.scalar("SELECT to_regclass('schemac.apply_history') IS NOT NULL") != "t") return std::nullopt;
  return db.scalar(fmt::format(
      "SELECT to_char(finished_at, 'YYYY-MM-DD HH24:MI:SS TZ') || ' by ' || db_user FROM schemac.apply_history "
      "WHERE plan_fingerprint = {} AND outcome = 'succeeded' ORDER BY id DESC LIMIT 1",
      quote_literal(plan_fingerprint)));
}

std::string render_history(Db& db, int limit) {
  if (db.scalar("SELECT to_regclass('schemac.apply_history') IS NOT NULL") != "t")
    return "No applies recorded: schemac apply has not run against this database.\n";
  auto rows = db.query(fmt::format(
      "SELECT id, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS'), "
      "coalesce(to_char(finished_at - started_at, 'HH24:MI:SS.MS'), ''), outcome, steps_run || '/' || steps_total, "
      "db_user, schemac_version, left(plan_fingerprint, 16), coalesce(error, '') "
      "FROM schemac.apply_history ORDER BY id DESC LIMIT {}",
      limit));
  if (rows.empty()) return "No applies recorded.\n";
  std::string out = fmt::format("{:>4}  {:<19}  {:<12}  {:<11}  {:>7}  {:<12}  {:<8}  {}\n", "id", "started (UTC)",
                                "took", "outcome", "steps", "user", "version", "plan");
  for (const auto& r : rows) {
    out += fmt::format("{:>4}  {:<19}  {:<12}  {:<11}  {:>7}  {:<12}  {:<8}  {}\n", r[0].c_str(), r[1].c_str(),
                       r[2].c_str(), r[3].c_str(), r[4].c_str(), r[5].c_str(), r[6].c_str(), r[7].c_str());
    if (!std::string(r[8].c_str()).empty()) out += fmt::format("      error: {}\n", r[8].c_str());
  }
  return out;
}

}  // namespace schemac
