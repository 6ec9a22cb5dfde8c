#include "compiler/temporary_database.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>

#include "schema/ident.hpp"

namespace schemac {

TemporaryDatabase::TemporaryDatabase(const std::string& server_url, const std::string& purpose)
    : admin_(server_url, "schemac " + purpose) {
  // Two made at once (two scratch databases) differ by the counter.
  static std::atomic<int> made{0};
  const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count() % 1000000000;
  name_ = fmt::format("schemac_{}_{}_{}_{}", purpose, getpid(), stamp, made++);
  admin_.exec(fmt::format("CREATE DATABASE {} TEMPLATE template0", quote_ident(name_)));
  url_ = Db::with_database(server_url, name_);
}

TemporaryDatabase::~TemporaryDatabase() {
  try {
    admin_.exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name_)));
  } catch (...) {
    // A destructor must not throw; the name says what it was if one is left behind.
  }
}

}  // namespace schemac
