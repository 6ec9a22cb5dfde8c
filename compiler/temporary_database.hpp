#pragma once
// A database made afresh for one command and dropped after it: the scratch
// database that normalizes declarations, the one `import --from-sql` runs
// SQL files in. TEMPLATE template0, so nothing installed into template1 leaks
// in; a name unique to this process; dropped WITH (FORCE) when it goes out of
// scope, whatever happened in it.
#include <string>

#include "compiler/db.hpp"

namespace schemac {

class TemporaryDatabase {
 public:
  // On the server server_url names; the name is schemac_<purpose>_<pid>_<stamp>_<n>.
  // Throws pqxx::sql_error as CREATE DATABASE does (the role needs CREATEDB).
  TemporaryDatabase(const std::string& server_url, const std::string& purpose);
  ~TemporaryDatabase();
  TemporaryDatabase(const TemporaryDatabase&) = delete;
  TemporaryDatabase& operator=(const TemporaryDatabase&) = delete;

  const std::string& url() const { return url_; }

 private:
  Db admin_;
  std::string name_;
  std::string url_;
};

}  // namespace schemac
