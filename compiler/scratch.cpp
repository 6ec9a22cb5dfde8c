#include "compiler/scratch.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "compiler/catalog/introspect.hpp"
#include "compiler/ddl.hpp"
#include "compiler/hash.hpp"
#include "compiler/live_reprint.hpp"
#include "compiler/planner/plan.hpp"
#include "compiler/temporary_database.hpp"
#include "runtime/runtime.hpp"
#include "schema/sql_syntax.hpp"
#include "schema/sql_written.hpp"

namespace schemac {

namespace {

// "ALTER DEFAULT PRIVILEGES <rest>" -> "ALTER DEFAULT PRIVILEGES FOR ROLE role <rest>":
// after the statement's first three words (comments between them skipped).
std::string for_role(const std::string& sql, const std::string& role) {
  std::size_t at = 0;
  for (int words = 0; words < 3 && at < sql.size();) {
    if (std::isspace(static_cast<unsigned char>(sql[at]))) {
      ++at;
    } else if (sql.compare(at, 2, "--") == 0) {
      at = sql.find('\n', at);
      if (at == std::string::npos) return sql;
    } else if (sql.compare(at, 2, "/*") == 0) {
      at = sql.find("*/", at);
      if (at == std::string::npos) return sql;
      at += 2;
    } else {
      while (at < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[at])) || sql[at] == '_')) ++at;
      ++words;
    }
  }
  return sql.substr(0, at) + " FOR ROLE " + quote_ident(role) + sql.substr(at);
}

// The wanted tables, in the declarations' order except that a table comes
// after the tables its foreign keys reference and after its partition parent,
// where a cycle of keys does not prevent it.
template <typename Wanted>
std::vector<const Table*> creation_order(const Catalog& catalog, const Wanted& wanted) {
  std::vector<const Table*> left, out;
  std::set<QualifiedName> names, placed;
  for (const auto& t : catalog.tables)
    if (wanted(t)) {
      left.push_back(&t);
      names.insert(t.name);
    }
  // A table not created here (declared in SQL, outside the project) is there already.
  auto exists = [&](const QualifiedName& n) { return !names.count(n) || placed.count(n) > 0; };
  auto ready = [&](const Table& t) { return references_exist(t, exists); };
  auto parent_ready = [&](const Table& t) { return !t.partition_of || exists(*t.partition_of); };
  while (!left.empty()) {
    auto next = std::find_if(left.begin(), left.end(), [&](const Table* t) { return ready(*t); });
    // A cycle of foreign keys: the first that only waits for keys goes now (its keys come after all tables).
    if (next == left.end())
      next = std::find_if(left.begin(), left.end(), [&](const Table* t) { return parent_ready(*t); });
    if (next == left.end()) next = left.begin();
    placed.insert((*next)->name);
    out.push_back(*next);
    left.erase(next);
  }
  return out;
}

}  // namespace

std::vector<Statement> scratch_script(const Desired& d, const LiveDependencies& deps,
                                      const std::set<QualifiedName>* only_tables) {
  auto wanted = [&](const Table& t) { return !only_tables || only_tables->count(t.name) > 0; };
  std::vector<Statement> out;
  auto schemas = d.catalog.schemas;
  schemas.insert("auth");
  schemas.insert(deps.schemas.begin(), deps.schemas.end());
  for (const auto& [ext, schema] : d.catalog.extension_schemas) schemas.insert(schema);
  for (const auto& s : schemas)
    out.push_back({fmt::format("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(s)), {}, "schema " + s});
  for (const auto& ext : d.catalog.extensions) {
    const auto in = d.catalog.extension_schemas.find(ext);
    out.push_back({ddl::create_extension(ext, in == d.catalog.extension_schemas.end() ? "" : in->second),
                   {},
                   "extension " + ext});
  }
  // Copies of the live types and functions the declarations use; bodies are
  // not checked (a function may read a table that does not exist yet).
  out.push_back({"SET check_function_bodies = off", {}, "setting"});
  const auto declared = sql_declared_names(d);
  for (std::size_t i = 0; i < deps.statements.size(); ++i)
    if (i >= deps.copies.size() || !declared.count(deps.copies[i])) {
      out.push_back({deps.statements[i], {}, "a copy of a live type or function the declarations use"});
      out.back().may_exist = true;
    }
  // Policies call auth.jwt(): the stand-ins exist in the scratch database even
  // for target = "supabase" (where the live ones are Supabase's own).
  if (!d.creates_auth_standins())
    for (const char* name : {"auth_jwt.sql", "auth_uid.sql"}) out.push_back({runtime::render(name, {}), {}, name});
  for (const auto& f : d.catalog.functions) out.push_back({f.create_sql, f.origin, "function " + f.name.display()});
  // A publication the declarations only add tables to (Supabase's
  // supabase_realtime, which the platform creates): an empty one to add them to.
  std::set<std::string> publications, altered;
  for (const auto& decl : d.sql) {
    if (decl.kind == "publication") publications.insert(decl.name.name);
    if (decl.kind == "alter publication") altered.insert(decl.name.name);
  }
  for (const auto& p : altered)
    if (!publications.count(p)) {
      out.push_back({fmt::format("CREATE PUBLICATION {}", quote_ident(p)), {}, "publication " + p});
      out.back().may_exist = true;
    }
  // The .sql declarations, then the TOML tables: either may need the other
  // (a TOML column of an enum a .sql file declares, a view on a TOML table),
  // so a statement that names what does not exist yet waits for the rest.
  const bool mixed = !d.sql.empty();
  for (const auto& decl : d.sql) {
    // Not run: BEGIN/COMMIT (the scratch database has its own), owners (roles
    // the scratch server may lack; ownership is not declared), settings (the
    // scratch database sets its own), DO blocks that create roles (cluster-wide:
    // planning never creates roles).
    // Schemas and extensions: created above, from the declared ones.
    if (decl.kind == "transaction" || decl.kind == "owner" || decl.kind == "setting" || decl.kind == "do" ||
        decl.kind == "schema" || decl.kind == "extension")
      continue;
    Statement st{decl.sql, {decl.pos, ""}, decl.kind + (decl.name.name.empty() ? "" : " " + decl.name.name)};
    // Default privileges under a SET ROLE (not run here): for that role, said with FOR ROLE.
    if (decl.kind == "default privileges" && !decl.default_privileges.for_role &&
        !decl.default_privileges.roles.empty() && !decl.default_privileges.roles.front().empty())
      st.sql = for_role(decl.sql, decl.default_privileges.roles.front());
    st.may_wait = true;
    out.push_back(std::move(st));
  }
  const std::size_t tables_from = out.size();
  std::vector<Statement> later;
  // A foreign key in CREATE TABLE adds 0.5 ms to it; added by ALTER TABLE it
  // also plans and runs a query that checks the rows (1.9 ms; 3.8 s of server
  // time in a 2,000-table cold plan). So the tables a key references come first
  // where they can; only the keys of a cycle, or to a table declared in SQL,
  // are added after all tables.
  std::set<QualifiedName> created;
  std::vector<std::pair<const Table*, const Constraint*>> late_keys;
  for (const Table* t : creation_order(d.catalog, wanted)) {
    for (auto& st : create_table_statements(*t, created, true))
      (st.after_all_tables ? later : out).push_back(std::move(st));
    created.insert(t->name);
    for (const auto& c : t->constraints)
      if (c.kind == ConstraintKind::ForeignKey && !created.count(c.ref_table)) late_keys.push_back({t, &c});
  }
  for (const auto& [t, c] : late_keys)
    out.push_back({ddl::add_constraint(t->name, *c, false), c->origin, "foreign key " + c->name});
  out.insert(out.end(), later.begin(), later.end());
  if (mixed)
    for (std::size_t i = tables_from; i < out.size(); ++i) out[i].may_wait = true;
  return out;
}

std::set<QualifiedName> sql_declared_names(const Desired& d) {
  std::set<QualifiedName> out;
  for (const auto& decl : d.sql)
    if (!decl.name.name.empty())
      out.insert({decl.name.schema.empty() ? d.settings.default_schema() : decl.name.schema, decl.name.name});
  return out;
}

namespace {

// A volatile default (gen_random_uuid(), clock_timestamp()) makes ADD COLUMN
// rewrite the table; the planner adds such a column in steps instead.
void mark_volatile_defaults(Db& db, const Catalog& declared, Catalog& normalized) {
  std::map<std::pair<QualifiedName, std::string>, std::vector<std::string>> calls;
  std::set<std::string> names;
  for (const auto& t : declared.tables)
    for (const auto& c : t.columns)
      if (c.default_expr)
        for (auto& f : called_functions(SqlFragment::Expression, *c.default_expr)) {
          names.insert(f);
          calls[{t.name, c.name}].push_back(f);
        }
  if (names.empty()) return;
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + quote_literal(n);
  std::set<std::string> volatile_names;
  for (const auto& r : db.query(fmt::format(
           "SELECT DISTINCT proname::text FROM pg_catalog.pg_proc WHERE proname IN ({}) AND provolatile = 'v'", list)))
    volatile_names.insert(r[0].as<std::string>());
  for (const auto& [key, functions] : calls)
    if (auto* t = normalized.table(key.first))
      if (auto* c = t->column(key.second))
        c->volatile_default = std::any_of(functions.begin(), functions.end(),
                                          [&](const std::string& f) { return volatile_names.count(f) > 0; });
}

// Apply sends the checks and defaults of tables declared in SQL as the
// statements wrote them (schema/sql_written.hpp), which the scratch database
// got too. Those it cannot tell from the statements (an unnamed check added by
// ALTER TABLE, a default set by ALTER COLUMN) are sent as PostgreSQL printed
// them; printing is not always a fixed point (`status IN ('a', 'b')` on a
// varchar column), so those are set once more from their printed form, here,
// and read back: what the plan compares is then what apply's statements make.
// Returns whether anything was set again.
bool reprint_sql_tables(Db& db, const Desired& d, const Catalog& catalog) {
  const auto written = written_expressions(d.sql, d.settings.default_schema());
  std::vector<std::string> statements;
  for (const auto& t : catalog.tables) {
    if (d.catalog.table(t.name)) continue;  // TOML: apply sends the text as written, as the scratch database got it
    for (const auto& c : t.constraints)
      if (c.kind == ConstraintKind::Check && !written.checks.count({t.name, c.name}))
        statements.push_back(fmt::format("ALTER TABLE {} DROP CONSTRAINT {}, ADD CONSTRAINT {} {}{}", t.name.sql(),
                                         quote_ident(c.name), quote_ident(c.name), c.definition,
                                         c.validated ? "" : " NOT VALID"));
    // Its comment went with the constraint dropped above.
    for (const auto& c : t.constraints)
      if (c.kind == ConstraintKind::Check && c.comment)
        statements.push_back(ddl::comment_on("CONSTRAINT " + quote_ident(c.name) + " ON " + t.name.sql(), c.comment));
    for (const auto& c : t.columns)
      if (c.default_expr && !written.defaults.count({t.name, c.name}))
        statements.push_back(fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}", t.name.sql(),
                                         quote_ident(c.name), ddl::default_expression(*c.default_expr)));
  }
  for (const auto& st : statements) db.exec(st);
  return !statements.empty();
}

// in_transaction: for a --dev-url database, everything runs in one transaction
// that is rolled back. A temporary database is dropped instead, so statements
// commit as they go: one transaction creating 2,000 tables would run out of
// lock slots (max_locks_per_transaction).
std::optional<Catalog> materialize(Db& db, const Desired& d, const LiveDependencies& deps, bool in_transaction,
                                   const ScratchOptions& options, Diagnostics& diags) {
  const Catalog* live = options.live;
  if (in_transaction) db.exec("BEGIN");
  db.exec(ddl::search_path(d.search_path));
  auto script = scratch_script(d, deps, options.only_tables);
  std::vector<std::pair<const Statement*, std::string>> waiting;  // with the error it last gave
  auto run = [&](const Statement& st) -> std::optional<std::string> {
    const bool savepoint = in_transaction && (st.may_wait || st.may_exist);
    if (savepoint) db.exec("SAVEPOINT schemac_statement");
    try {
      db.exec(st.sql);
      if (savepoint) db.exec("RELEASE SAVEPOINT schemac_statement");
      return std::nullopt;
    } catch (const pqxx::sql_error& e) {
      if (savepoint) db.exec("ROLLBACK TO SAVEPOINT schemac_statement");
      if (st.may_exist && e.sqlstate() == "42710") return std::nullopt;  // duplicate_object: already there
      std::string msg = e.what();
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      // Something it names does not exist (yet): a table, type, function, schema or column.
      static const std::set<std::string> not_yet = {"42P01", "42704", "42883", "3F000", "42703"};
      if (st.may_wait && not_yet.count(e.sqlstate())) waiting.push_back({&st, msg});
      return msg;
    }
  };
  auto refuse = [&](const Statement& st, const std::string& msg) {
    auto pos = st.origin.known() ? st.origin.pos : SourcePos{d.files.empty() ? "schema" : d.files.front(), 0, 0};
    diags.error(pos, fmt::format("PostgreSQL refused {}: {}", st.what, msg),
                "fix the declaration; nothing was applied (this was a scratch database)");
    if (in_transaction) db.exec("ROLLBACK");
  };
  // One statement per round trip, each its own commit, is most of a cold
  // plan's time at 2,000 tables (30,000 statements). They go in batches, each
  // one implicit transaction (a savepoint in a --dev-url transaction); a batch
  // that fails is undone whole and its statements run one at a time, so that
  // the one that failed is named, or waits for what it needs. Nothing is kept
  // of a temporary database: its commits need not wait for the disk.
  if (!in_transaction) db.exec("SET synchronous_commit = off");
  constexpr std::size_t kBatch = 64;
  for (std::size_t first = 0; first < script.size(); first += kBatch) {
    const std::size_t end = std::min(script.size(), first + kBatch);
    if (end - first > 1) {
      std::string batch;
      // A newline before each ';': a statement may end in a -- comment.
      for (std::size_t i = first; i < end; ++i) batch += script[i].sql + "\n;\n";
      if (in_transaction) db.exec("SAVEPOINT schemac_batch");
      try {
        db.exec(batch);
        if (in_transaction) db.exec("RELEASE SAVEPOINT schemac_batch");
        continue;
      } catch (const pqxx::sql_error&) {
        if (in_transaction) db.exec("ROLLBACK TO SAVEPOINT schemac_batch");
      }
    }
    for (std::size_t i = first; i < end; ++i) {
      const auto before = waiting.size();
      if (auto msg = run(script[i]); msg && waiting.size() == before) {
        refuse(script[i], *msg);
        return std::nullopt;
      }
    }
  }
  // Each round runs what waits, in order, until a round makes no progress.
  while (!waiting.empty()) {
    auto round = std::move(waiting);
    waiting.clear();
    for (const auto& [st, msg] : round)
      if (auto again = run(*st); again && (waiting.empty() || waiting.back().first != st)) {
        refuse(*st, *again);
        return std::nullopt;
      }
    if (waiting.size() == round.size()) {
      refuse(*waiting.front().first, waiting.front().second);
      return std::nullopt;
    }
  }
  // Everything ran: the script (40,000 statements at 2,000 tables) is not
  // needed while the catalog is read back.
  script = {};
  auto catalog = read_catalog(db, d.scope());
  if (reprint_sql_tables(db, d, catalog)) catalog = read_catalog(db, d.scope());
  // Copies of live types and functions are there for the declarations to use,
  // not declared: they do not count as wanted.
  std::set<QualifiedName> copied(deps.copies.begin(), deps.copies.end());
  for (const auto& n : sql_declared_names(d)) copied.erase(n);
  std::erase_if(catalog.objects, [&](const SchemaObject& o) {
    return (o.kind == ObjectKind::Enum || o.kind == ObjectKind::Domain || o.kind == ObjectKind::Function) &&
           copied.count(o.name);
  });
  mark_volatile_defaults(db, d.catalog, catalog);
  if (live) {
    if (!in_transaction) db.exec("BEGIN");
    // .sql tables only: they are normalized every time, never cached, so what
    // is equated to one live database is never reused against another.
    equate_reprinted(db, *live, catalog, d.catalog);
    db.exec("ROLLBACK");
  } else if (in_transaction) {
    db.exec("ROLLBACK");
  }
  return catalog;
}

}  // namespace

std::optional<Catalog> normalize_in_scratch(const Desired& d, const LiveDependencies& deps,
                                            const ScratchOptions& options, Diagnostics& diags) {
  if (options.dev_url) {
    std::optional<Db> db;
    try {
      db.emplace(*options.dev_url, "schemac scratch");
    } catch (const pqxx::broken_connection& e) {
      // Not the database being planned: say which URL failed, and what it is for.
      throw std::runtime_error(fmt::format(
          "cannot connect to the --dev-url database: {}--dev-url names an empty database schemac may use to "
          "normalize the declarations; create it, fix the URL, or leave --dev-url out (schemac then creates a "
          "temporary one, with CREATEDB)",
          e.what()));
    }
    return materialize(*db, d, deps, true, options, diags);
  }
  std::optional<TemporaryDatabase> scratch;
  try {
    scratch.emplace(options.server_url, "scratch");
  } catch (const pqxx::sql_error& e) {
    throw std::runtime_error(
        fmt::format("could not create the scratch database that normalizes the declarations: {}"
                    "pass --dev-url URL to name an empty database schemac may use instead",
                    e.what()));
  }
  Db db(scratch->url(), "schemac scratch");
  return materialize(db, d, deps, false, options, diags);
}

}  // namespace schemac

namespace schemac {

namespace {

// The tables `tables` need to be created: themselves and, transitively, the
// tables their foreign keys reference.
std::set<QualifiedName> with_referenced(const Desired& d, std::set<QualifiedName> tables) {
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& t : d.catalog.tables)
      if (tables.count(t.name))
        for (const auto& c : t.constraints)
          if (c.kind == ConstraintKind::ForeignKey && d.catalog.table(c.ref_table) && tables.insert(c.ref_table).second)
            grew = true;
  }
  return tables;
}

// Below this many tables one scratch database is as fast: creating a second
// costs about as much as a few hundred tables' DDL.
constexpr std::size_t kParallelFrom = 300;

// Many tables to materialize, on a server schemac may create databases on:
// two scratch databases, each creating half of the tables (and what their
// foreign keys reference, created in both), filled at the same time. The
// server runs the DDL of both on two cores; a cold plan of 2,000 tables is
// most of its time in that DDL. nullopt when it is not worth it, or when
// either half failed (the caller then materializes everything in one database
// and reports the error from there, as without this).
std::optional<Catalog> normalize_in_two(const Desired& d, const LiveDependencies& deps, const ScratchOptions& options,
                                        const std::set<QualifiedName>& needed) {
  if (options.dev_url || needed.size() < kParallelFrom || std::thread::hardware_concurrency() < 2) return std::nullopt;
  std::set<QualifiedName> halves[2];
  std::size_t i = 0;
  for (const auto& n : needed) halves[i++ * 2 / needed.size()].insert(n);
  struct Half {
    std::set<QualifiedName> created;
    ScratchOptions options;
    Diagnostics diags;
    std::optional<Catalog> catalog;
  };
  Half h[2];
  for (int k = 0; k < 2; ++k) {
    h[k].created = with_referenced(d, halves[k]);
    h[k].options = options;
    h[k].options.only_tables = &h[k].created;
  }
  auto run = [&](Half& half) {
    try {
      half.catalog = normalize_in_scratch(d, deps, half.options, half.diags);
    } catch (const std::exception&) {
      half.catalog.reset();  // the one-database path says what went wrong
    }
  };
  auto second = std::async(std::launch::async, run, std::ref(h[1]));
  run(h[0]);
  second.get();
  if (!h[0].catalog || !h[1].catalog) return std::nullopt;
  Catalog out = std::move(*h[0].catalog);
  std::erase_if(out.tables, [&](const Table& t) { return !halves[0].count(t.name); });
  for (auto& t : h[1].catalog->tables)
    if (halves[1].count(t.name)) out.tables.push_back(std::move(t));
  std::sort(out.tables.begin(), out.tables.end(), [](const Table& a, const Table& b) { return a.name < b.name; });
  return out;
}

}  // namespace

std::optional<Catalog> normalize(const Desired& d, const Catalog& live, const LiveDependencies& deps,
                                 const ScratchOptions& options, const NormalizeCache& cache,
                                 const std::map<std::string, std::string>& recorded, Diagnostics& diags,
                                 NormalizeStats& stats) {
  std::string context = fmt::format("server {}\nsearch_path", options.server_version);
  for (const auto& s : d.search_path) context += " " + s;
  for (const auto& e : d.catalog.extensions) context += "\nextension " + e;
  for (const auto& st : deps.statements) context += "\n" + st;
  ScratchOptions with_live = options;
  with_live.live = &live;

  if (!d.sql.empty()) {
    // .sql declarations are statements, not per-table keys: normalized whole, every time.
    stats.scratch_database_used = true;
    auto whole = normalize_in_scratch(d, deps, with_live, diags);
    if (whole) stats.tables_materialized = whole->tables.size();
    return whole;
  }
  Catalog out;
  std::set<QualifiedName> missing;
  std::map<QualifiedName, std::string> keys;
  auto digests = cache.digests();
  const auto digests_before = digests;
  // The remembered digest of a key: this machine's cache first, then the database's record.
  auto remembered = [&](const std::string& key) -> const std::string* {
    if (auto it = digests.find(key); it != digests.end()) return &it->second;
    if (auto it = recorded.find(key); it != recorded.end()) return &it->second;
    return nullptr;
  };
  for (const auto& t : d.catalog.tables) {
    const auto& key = keys[t.name] = NormalizeCache::table_key(t, context);
    if (d.table_texts.count(t.name)) stats.declared_tables[key] = t.name;
    // In sync: the live table already is what this declaration normalizes to,
    // so it stands in for the normalized form and nothing is read or created.
    const Table* lt = live.table(t.name);
    const std::string* digest = lt ? remembered(key) : nullptr;
    if (digest && *digest == NormalizeCache::comparable_digest(*lt)) {
      out.tables.push_back(*lt);
      ++stats.tables_in_sync;
      if (!digests.count(key)) ++stats.recorded_forms_used;
      stats.digests[key] = *digest;
    } else if (auto cached = cache.table(key)) {
      stats.digests[key] = NormalizeCache::comparable_digest(*cached);
      out.tables.push_back(std::move(*cached));
      ++stats.tables_from_cache;
    } else {
      missing.insert(t.name);
    }
  }
  bool functions_missing = false;
  for (const auto& f : d.catalog.functions) {
    const auto key = NormalizeCache::function_key(f, context);
    const Function* lf = live.function(f.name);
    const std::string* digest = lf ? remembered(key) : nullptr;
    std::optional<std::string> def;
    if (digest && *digest == hash_text(lf->definition))
      def = lf->definition;  // in sync, as tables are
    else
      def = cache.function(key);
    if (def) {
      stats.digests[key] = hash_text(*def);
      Function n = f;
      n.definition = std::move(*def);
      out.functions.push_back(std::move(n));
    } else {
      functions_missing = true;
    }
  }
  if (missing.empty() && !functions_missing) {
    out.index_tables();
    return out;
  }

  // What must exist for the missing tables to be created: the tables their foreign keys reference.
  std::set<QualifiedName> needed = with_referenced(d, missing);
  // Only the needed tables are created, named rather than copied (at 2,000
  // tables a copy of the declarations is tens of MiB).
  const bool everything = needed.size() == d.catalog.tables.size();
  ScratchOptions subset = with_live;
  if (!everything) subset.only_tables = &needed;
  stats.scratch_database_used = true;
  Diagnostics first_try;
  auto normalized = normalize_in_two(d, deps, with_live, needed);
  if (normalized)
    stats.scratch_databases = 2;
  else
    normalized = normalize_in_scratch(d, deps, subset, everything ? diags : first_try);
  if (!normalized && needed.size() != d.catalog.tables.size()) {
    // A policy may read a table no foreign key names: materialize everything.
    needed.clear();
    for (const auto& t : d.catalog.tables) needed.insert(t.name);
    normalized = normalize_in_scratch(d, deps, with_live, diags);
  }
  if (!normalized) return std::nullopt;
  stats.tables_materialized = needed.size();
  for (auto& t : normalized->tables) {
    if (!keys.count(t.name)) continue;
    cache.store(keys[t.name], t);
    digests[keys[t.name]] = stats.digests[keys[t.name]] = NormalizeCache::comparable_digest(t);
    if (missing.count(t.name)) out.tables.push_back(std::move(t));  // moved: no second copy of the scratch catalog
  }
  out.functions = std::move(normalized->functions);
  for (const auto& f : d.catalog.functions)
    if (const auto* n = out.function(f.name)) {
      const auto key = NormalizeCache::function_key(f, context);
      cache.store(key, n->definition);
      digests[key] = stats.digests[key] = hash_text(n->definition);
    }
  if (digests != digests_before) cache.save_digests(digests);
  std::sort(out.tables.begin(), out.tables.end(), [](const Table& a, const Table& b) { return a.name < b.name; });
  out.index_tables();
  return out;
}

}  // namespace schemac
