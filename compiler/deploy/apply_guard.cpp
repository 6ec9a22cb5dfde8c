#include "compiler/deploy/apply_guard.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <set>
#include <thread>

#include "schema/ident.hpp"

namespace schemac {

namespace {

std::string text_array(const std::set<std::string>& items) {
  std::string out = "ARRAY[";
  bool first = true;
  for (const auto& i : items) {
    out += (first ? "" : ", ") + quote_literal(i);
    first = false;
  }
  return out + "]::text[]";
}

}  // namespace

ApplyLock::ApplyLock(Db& db, bool wait) : db_(db) {
  const auto try_lock = fmt::format("SELECT pg_try_advisory_lock({})", kApplyLockKey);
  if (wait) {
    // Polled, not pg_advisory_lock(): a statement blocked on the lock keeps
    // its snapshot, and the running apply's CREATE INDEX CONCURRENTLY waits
    // for every such snapshot to end, so each would wait for the other.
    while (db_.scalar(try_lock) != "t") std::this_thread::sleep_for(std::chrono::milliseconds(250));
    return;
  }
  if (db_.scalar(try_lock) == "t") return;
  std::string holder;
  try {
    auto rows = db_.query(fmt::format(
        "SELECT a.pid, a.application_name, a.state, date_trunc('second', now() - a.query_start), left(a.query, 100) "
        "FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.classid = {} AND l.objid = {} AND l.objsubid = 1 AND l.granted",
        kApplyLockKey >> 32, kApplyLockKey & 0xffffffff));
    for (const auto& r : rows)
      holder = fmt::format(" (pid {}, {}, {} for {}: {})", r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str(),
                           r[4].c_str());
  } catch (const std::exception&) {
  }
  throw ApplyError(fmt::format(
      "another schemac apply is running against this database{}; run again when it is done, or pass --wait to "
      "wait for it. (A killed apply's server session lives on until its statement notices the client is gone.)",
      holder));
}

ApplyLock::~ApplyLock() {
  try {
    db_.exec(fmt::format("SELECT pg_advisory_unlock({})", kApplyLockKey));
  } catch (const std::exception&) {
    // The connection is gone, and with it the session lock.
  }
}

void refuse_transaction_pooler(Db& db) {
  const auto mine = db.scalar("SELECT pg_backend_pid()").value_or("");
  // A second client connection, asked while the first is idle: a direct
  // connection (or a session-mode pooler) gets a backend of its own; a
  // transaction-mode pooler serves it from the idle backend the first one
  // just released.
  std::string other;
  {
    Db second(db.url(), "schemac pooler check");
    other = second.scalar("SELECT pg_backend_pid()").value_or("");
  }
  std::string again = db.scalar("SELECT pg_backend_pid()").value_or("");
  if (mine == other || mine != again)
    throw ApplyError(fmt::format(
        "the connection goes through a transaction-mode pooler (two client connections were served by server "
        "process {}{}): session advisory locks do not survive one, so two applies could run at once; connect apply "
        "directly to PostgreSQL (on Supabase, the "
        "direct connection on port 5432, not the pooler on 6543) or through a session-mode pooler",
        mine, mine != again ? fmt::format(", then by {}", again) : ""));
}

void check_privileges(Db& db, const Plan& plan) {
  std::set<std::string> tables, roles;
  for (const auto& s : plan.steps) {
    if (!s.table.empty()) tables.insert(s.table);
    if (!s.creates_role.empty()) roles.insert(s.creates_role);
  }
  std::vector<std::string> missing;
  if (!tables.empty()) {
    for (const auto& r : db.query(fmt::format(
             "SELECT n.nspname || '.' || c.relname, pg_catalog.pg_get_userbyid(c.relowner) "
             "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
             "WHERE n.nspname || '.' || c.relname = ANY({}) AND NOT pg_catalog.pg_has_role(c.relowner, 'USAGE') "
             "ORDER BY 1",
             text_array(tables))))
      missing.push_back(
          fmt::format("alter table {}: only its owner {} (or a member of that role) may; GRANT {} TO "
                      "the role apply runs as, or run apply as {}",
                      r[0].c_str(), r[1].c_str(), quote_ident(r[1].c_str()), r[1].c_str()));
    std::set<std::string> schemas;
    for (const auto& t : tables) schemas.insert(t.substr(0, t.find('.')));
    for (const auto& r : db.query(fmt::format(
             // By oid: a schema the plan creates is not there yet, and the
             // by-name form would fail on it (SQL does not promise to test EXISTS first).
             "SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname = ANY({}) "
             "AND NOT pg_catalog.has_schema_privilege(n.oid, 'CREATE') ORDER BY 1",
             text_array(schemas))))
      missing.push_back(
          fmt::format("CREATE on schema {} (to create tables, indexes and triggers in it)", r[0].c_str()));
  }
  if (!roles.empty() &&
      db.scalar("SELECT rolcreaterole OR rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user") != "t")
    missing.push_back("CREATEROLE (the plan creates the roles " + fmt::format("{}", fmt::join(roles, ", ")) +
                      "; create them beforehand, or set [project] target = \"supabase\" where they exist)");
  if (missing.empty()) return;
  std::string msg = fmt::format("role {} lacks privileges this plan needs; nothing was executed:",
                                db.scalar("SELECT current_user").value_or("?"));
  for (const auto& m : missing) msg += "\n  " + m;
  throw ApplyError(msg);
}

}  // namespace schemac
