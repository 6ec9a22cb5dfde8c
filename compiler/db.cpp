#include "compiler/db.hpp"

#include <libpq-fe.h>

#include <stdexcept>

#include "compiler/queries_ahead.hpp"
#include "schema/ident.hpp"

namespace schemac {

Db::Db(const std::string& url, const std::string& application_name)
    : url_(url), conn_(std::make_unique<pqxx::connection>(url)) {
  // libpqxx 6 documents that it restores a broken connection by itself: a new
  // session, without apply's advisory lock, search_path or lock settings.
  // schemac never wants that; a lost connection is an error (apply.cpp says
  // which step it hit). Deprecated in 6.x, and gone with the behaviour in 7.x.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  conn_->inhibit_reactivation(true);
#pragma GCC diagnostic pop
  exec("SET application_name = " + quote_literal(application_name));
  queries_ = 0;
}

pqxx::result Db::query(const std::string& sql) {
  ++queries_;
  if (ahead_)
    if (auto sent = ahead_->take(sql)) return std::move(*sent);
  pqxx::nontransaction tx(*conn_);
  try {
    return tx.exec(sql);
  } catch (const pqxx::insufficient_privilege& e) {
    // libpqxx 6.4 throws this one class without its SQLSTATE; put it back.
    throw pqxx::insufficient_privilege(e.what(), e.query(), "42501");
  }
}

std::optional<std::string> Db::scalar(const std::string& sql) {
  auto r = query(sql);
  if (r.empty() || r[0][0].is_null()) return std::nullopt;
  return r[0][0].as<std::string>();
}

int Db::server_major_version() {
  return conn_->server_version() / 10000;
}

namespace {
// libpq key=value syntax: single quotes, with \ and ' escaped by a backslash.
std::string conninfo_value(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}
}  // namespace

std::string Db::with_database(const std::string& url, const std::string& dbname) {
  std::string out;
  if (!url.empty()) {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
    if (!opts) {
      std::string msg = err ? err : "invalid connection string";
      PQfreemem(err);
      throw std::runtime_error(msg);
    }
    for (auto* o = opts; o->keyword; ++o) {
      if (!o->val || std::string(o->keyword) == "dbname") continue;
      out += std::string(o->keyword) + "=" + conninfo_value(o->val) + " ";
    }
    PQconninfoFree(opts);
  }
  return out + "dbname=" + conninfo_value(dbname);
}

}  // namespace schemac
