#pragma once
// Queries sent ahead on a second connection to the same database while the
// first runs others: a catalog read of 2,000 tables is spent in the server,
// and independent queries can run on two of its cores. While it lives, the
// Db's query() of one of these texts takes the result from here (waiting for
// it, or rethrowing its error); any other query runs on the Db as before.
// When the second connection cannot be made, every query runs on the Db.
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "compiler/db.hpp"

namespace schemac {

class QueriesAhead {
 public:
  QueriesAhead(Db& db, std::vector<std::string> queries);
  ~QueriesAhead();
  QueriesAhead(const QueriesAhead&) = delete;
  QueriesAhead& operator=(const QueriesAhead&) = delete;

  // The result of a query sent ahead; nullopt for any other text, or when the
  // second connection failed (the Db then runs it itself).
  std::optional<pqxx::result> take(const std::string& sql);

 private:
  struct Slot {
    std::string sql;
    bool done = false;
    bool taken = false;
    std::optional<pqxx::result> result;
    std::exception_ptr error;
  };
  void run(std::string url);

  Db& db_;
  std::vector<Slot> slots_;
  std::mutex mutex_;
  std::condition_variable ready_;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace schemac
