#include "compiler/queries_ahead.hpp"

namespace schemac {

QueriesAhead::QueriesAhead(Db& db, std::vector<std::string> queries) : db_(db) {
  // Inside a transaction that changed something (--dev-url's scratch work,
  // rolled back at the end) another connection would not see the changes:
  // then everything runs on the Db.
  if (db.scalar("SELECT pg_catalog.txid_current_if_assigned() IS NULL") != "t") return;
  for (auto& q : queries) slots_.push_back(Slot{std::move(q), false, false, std::nullopt, nullptr});
  db_.ahead_ = this;
  worker_ = std::thread(&QueriesAhead::run, this, db.url());
}

QueriesAhead::~QueriesAhead() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;  // the queries not started yet are not needed any more
  }
  if (worker_.joinable()) worker_.join();
  db_.ahead_ = nullptr;
}

void QueriesAhead::run(std::string url) {
  std::optional<Db> second;
  try {
    second.emplace(url, "schemac catalog reader");
    // The same deparsing as the first connection's: names print qualified.
    second->exec("SET search_path = ''");
  } catch (...) {
    second.reset();
  }
  for (auto& slot : slots_) {
    {
      std::lock_guard lock(mutex_);
      if (stop_) break;
    }
    std::optional<pqxx::result> result;
    std::exception_ptr error;
    if (second) try {
        result = second->query(slot.sql);
      } catch (...) {
        error = std::current_exception();
      }
    std::lock_guard lock(mutex_);
    slot.result = std::move(result);
    slot.error = error;
    slot.done = true;
    ready_.notify_all();
  }
  std::lock_guard lock(mutex_);
  for (auto& slot : slots_) slot.done = true;  // stopped or failed: the rest are run by the Db
  ready_.notify_all();
}

std::optional<pqxx::result> QueriesAhead::take(const std::string& sql) {
  std::unique_lock lock(mutex_);
  for (auto& slot : slots_) {
    if (slot.taken || slot.sql != sql) continue;
    ready_.wait(lock, [&] { return slot.done; });
    slot.taken = true;
    if (slot.error) std::rethrow_exception(slot.error);
    return std::move(slot.result);
  }
  return std::nullopt;
}

}  // namespace schemac
