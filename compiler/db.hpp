#pragma once
// The one small layer over libpqxx 6 (so a move to 7.x touches one place).
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>

namespace schemac {

class QueriesAhead;

class Db {
 public:
  // url: a libpq URI or key=value string; empty means libpq's own defaults (PG* variables).
  explicit Db(const std::string& url, const std::string& application_name = "schemac");

  pqxx::result query(const std::string& sql);
  void exec(const std::string& sql) { query(sql); }
  std::optional<std::string> scalar(const std::string& sql);

  std::size_t query_count() const { return queries_; }
  const std::string& url() const { return url_; }
  int server_major_version();

  // The same server and credentials, another database.
  static std::string with_database(const std::string& url, const std::string& dbname);

 private:
  friend class QueriesAhead;  // queries_ahead.hpp: results taken from a second connection
  QueriesAhead* ahead_ = nullptr;
  std::string url_;
  std::unique_ptr<pqxx::connection> conn_;
  std::size_t queries_ = 0;
};

}  // namespace schemac
