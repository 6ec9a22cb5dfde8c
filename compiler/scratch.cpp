#include "compiler/scratch.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>

#include "compiler/ddl.hpp"
#include "compiler/introspect.hpp"
#include "runtime/runtime.hpp"

namespace schemac {

std::vector<Statement> scratch_script(const Desired& d) {
  std::vector<Statement> out;
  for (const auto& ext : d.catalog.extensions)
    out.push_back({fmt::format("CREATE EXTENSION IF NOT EXISTS {}", quote_ident(ext)), {}, "extension " + ext});
  auto schemas = d.catalog.schemas;
  schemas.insert("auth");
  for (const auto& s : schemas) out.push_back({fmt::format("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(s)), {}, "schema " + s});
  // Policies call auth.jwt(): the stand-ins exist in the scratch database even
  // for target = "supabase" (where the live ones are Supabase's own).
  if (!d.creates_auth_standins())
    for (const char* name : {"auth_jwt.sql", "auth_uid.sql"}) out.push_back({runtime::render(name, {}), {}, name});
  for (const auto& f : d.catalog.functions) out.push_back({function_sql(f), f.origin, "function " + f.name.display()});
  for (const auto& t : d.catalog.tables)
    for (auto& st : create_table_statements(t, {}, true)) out.push_back(std::move(st));
  for (const auto& t : d.catalog.tables)
    for (const auto& c : t.constraints)
      if (c.kind == ConstraintKind::ForeignKey)
        out.push_back({ddl::add_constraint(t.name, c, false), c.origin, "foreign key " + c.name});
  return out;
}

namespace {

std::optional<Catalog> materialize(Db& db, const Desired& d, Diagnostics& diags) {
  db.exec("BEGIN");
  db.exec(ddl::search_path(d.search_path));
  for (const auto& st : scratch_script(d)) {
    try {
      db.exec(st.sql);
    } catch (const pqxx::sql_error& e) {
      std::string msg = e.what();
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      auto pos = st.origin.known() ? st.origin.pos : SourcePos{d.files.empty() ? "schema" : d.files.front(), 0, 0};
      diags.error(pos, fmt::format("PostgreSQL refused {}: {}", st.what, msg),
                  "fix the declaration; nothing was applied (this was a scratch database)");
      db.exec("ROLLBACK");
      return std::nullopt;
    }
  }
  auto catalog = read_catalog(db, d.scope());
  db.exec("ROLLBACK");
  return catalog;
}

}  // namespace

std::optional<Catalog> normalize_in_scratch(const Desired& d, const ScratchOptions& options, Diagnostics& diags) {
  if (options.dev_url) {
    Db db(*options.dev_url, "schemac scratch");
    return materialize(db, d, diags);
  }
  auto stamp = std::chrono::steady_clock::now().time_since_epoch().count() % 1000000000;
  const std::string name = fmt::format("schemac_scratch_{}_{}", getpid(), stamp);
  Db admin(options.server_url, "schemac scratch");
  try {
    // template0: nothing installed into template1 leaks into the comparison.
    admin.exec(fmt::format("CREATE DATABASE {} TEMPLATE template0", quote_ident(name)));
  } catch (const pqxx::sql_error& e) {
    throw std::runtime_error(fmt::format(
        "could not create the scratch database that normalizes the declarations: {}"
        "pass --dev-url URL to name an empty database schemac may use instead",
        e.what()));
  }
  std::optional<Catalog> out;
  try {
    Db db(Db::with_database(options.server_url, name), "schemac scratch");
    out = materialize(db, d, diags);
  } catch (...) {
    admin.exec(fmt::format("DROP DATABASE IF EXISTS {}", quote_ident(name)));
    throw;
  }
  admin.exec(fmt::format("DROP DATABASE IF EXISTS {}", quote_ident(name)));
  return out;
}

}  // namespace schemac
