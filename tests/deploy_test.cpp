// apply in deploy jobs: saved plans, history, guards (pooler, privileges,
// one apply at a time), and the errors a user can cause at apply time.
// schemac runs as a process, the way a job runs it.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/process.hpp"
#include "tests/test_database.hpp"

namespace schemac::test {
namespace {

namespace fs = std::filesystem;

void load_seed_audit(const TestDatabase& tdb) {
  Db db = tdb.connect();
  schemac::test::load_seed_audit(db);
}

const std::string kSaas = "--schema " + source_path("examples/saas/schema");

bool has_trigger(Db& db, const std::string& name) {
  return !db.query(fmt::format("SELECT 1 FROM pg_trigger WHERE tgname = {}", quote_literal(name))).empty();
}

// An events table with rows, applied from declarations; returns the path of
// declarations that add what `additions` says (TOML appended to the table's).
std::string events_with_rows(const TestDatabase& tdb, long rows, const std::string& additions) {
  const std::string base =
      "[project]\ntarget = \"postgres\"\n[tables.events.columns]\n"
      "id = { type = \"bigint\", primary_key = true }\nn = { type = \"integer\" }\n";
  auto before = write_temp(tdb.name() + ".before.toml", base);
  REQUIRE(run_schemac("apply --schema " + before + " --auto-approve --allow-hazard drops-undeclared --quiet", tdb.url())
              .code == 0);
  fs::remove(before);
  Db db = tdb.connect();
  db.exec(fmt::format("INSERT INTO events SELECT g, g % 1000 FROM generate_series(1, {}) g", rows));
  return write_temp(tdb.name() + ".after.toml", base + additions);
}

}  // namespace

TEST_CASE("a saved plan runs only against the catalog it was made for, and only once") {
  TestDatabase tdb;
  load_seed_audit(tdb);
  Db db = tdb.connect();
  const auto file = temp_path(tdb.name() + ".plan.json");
  auto made = run_schemac("plan " + kSaas + " --out " + file, tdb.url());
  REQUIRE_MESSAGE(made.code == 0, made.out);

  // An unrelated manual change to a table the plan touches.
  db.exec("ALTER TABLE api_keys ADD COLUMN note text");
  auto refused = run_schemac("apply " + file + " --auto-approve --allow-hazard drops-undeclared", tdb.url());
  INFO(refused.out);
  CHECK(refused.code == 1);
  CHECK(refused.out.find("the database changed since this plan was made") != std::string::npos);
  CHECK(refused.out.find("column public.api_keys.note was added") != std::string::npos);
  CHECK_FALSE(has_trigger(db, "t_api_keys_touch"));  // nothing ran

  db.exec("ALTER TABLE api_keys DROP COLUMN note");
  auto applied = run_schemac("apply " + file + " --auto-approve --allow-hazard drops-undeclared --quiet", tdb.url());
  INFO(applied.out);
  CHECK(applied.code == 0);
  CHECK(applied.out.find("Applied 171 statements.") != std::string::npos);
  CHECK(has_trigger(db, "t_api_keys_touch"));

  auto again = run_schemac("apply " + file + " --auto-approve --allow-hazard drops-undeclared", tdb.url());
  INFO(again.out);
  CHECK(again.code == 0);
  CHECK(again.out.find("already applied") != std::string::npos);
  CHECK(again.out.find("Applied") == std::string::npos);

  // Applied by other means (the history forgotten): the catalog says so too.
  db.exec("TRUNCATE schemac.apply_history");
  auto by_catalog = run_schemac("apply " + file + " --auto-approve --allow-hazard drops-undeclared", tdb.url());
  INFO(by_catalog.out);
  CHECK(by_catalog.code == 0);
  CHECK(by_catalog.out.find("already applied: the database has every change this plan makes") != std::string::npos);
  CHECK(run_schemac("plan " + kSaas + " --detailed-exitcode", tdb.url()).code == 0);
  fs::remove(file);
}

TEST_CASE("a plan file that was cut short, edited, or made for another database is refused and runs nothing") {
  TestDatabase tdb, other;
  load_seed_audit(tdb);
  load_seed_audit(other);
  const auto file = temp_path(tdb.name() + ".plan.json");
  REQUIRE(run_schemac("plan " + kSaas + " --out " + file, tdb.url()).code == 0);
  const auto text = read_file(file);

  auto truncated = write_temp(tdb.name() + ".cut.json", text.substr(0, text.size() / 2));
  auto cut = run_schemac("apply " + truncated + " --auto-approve --allow-hazard drops-undeclared", tdb.url());
  INFO(cut.out);
  CHECK(cut.code == 1);
  CHECK(cut.out.find("not a complete schemac plan (it may have been cut short)") != std::string::npos);

  auto edited_text = text;
  auto at = edited_text.find("CREATE INDEX CONCURRENTLY");
  REQUIRE(at != std::string::npos);
  edited_text.replace(at, 25, "CREATE INDEX             ");
  auto edited = write_temp(tdb.name() + ".edited.json", edited_text);
  auto changed = run_schemac("apply " + edited + " --auto-approve --allow-hazard drops-undeclared", tdb.url());
  INFO(changed.out);
  CHECK(changed.code == 1);
  CHECK(changed.out.find("the plan was changed after schemac wrote it") != std::string::npos);

  auto elsewhere = run_schemac("apply " + file + " --auto-approve --allow-hazard drops-undeclared", other.url());
  INFO(elsewhere.out);
  CHECK(elsewhere.code == 1);
  CHECK(elsewhere.out.find(fmt::format("was made for database {}", tdb.name())) != std::string::npos);

  for (auto* t : {&tdb, &other}) {
    Db db = t->connect();
    CHECK_FALSE(has_trigger(db, "t_api_keys_touch"));
    CHECK(db.scalar("SELECT to_regclass('schemac.apply_history') IS NULL") == "t");
  }
  for (const auto& f : {file, truncated, edited}) fs::remove(f);
}

TEST_CASE("every apply is recorded, and schemac history prints it") {
  TestDatabase tdb;
  load_seed_audit(tdb);
  auto empty = run_schemac("history", tdb.url());
  CHECK(empty.out.find("No applies recorded") != std::string::npos);
  REQUIRE(run_schemac("apply " + kSaas + " --auto-approve --allow-hazard drops-undeclared --quiet", tdb.url()).code ==
          0);
  auto h = run_schemac("history", tdb.url());
  INFO(h.out);
  CHECK(h.code == 0);
  CHECK(h.out.find("succeeded") != std::string::npos);
  CHECK(h.out.find("171/171") != std::string::npos);
  Db db = tdb.connect();
  auto row = db.query(
      "SELECT schemac_version, db_user = current_user, finished_at >= started_at, length(plan_fingerprint) "
      "FROM schemac.apply_history");
  REQUIRE(row.size() == 1);
  CHECK(std::string(row[0][0].c_str()) == SCHEMAC_VERSION);
  CHECK(std::string(row[0][1].c_str()) == "t");
  CHECK(std::string(row[0][2].c_str()) == "t");
  CHECK(std::string(row[0][3].c_str()) == "16");
  // The history table is schemac's, never a user table to report or drop.
  auto plan = run_schemac("plan " + kSaas, tdb.url());
  CHECK(plan.out.find("apply_history") == std::string::npos);
}

TEST_CASE("a check that existing rows violate: apply says how many and which, and the constraint stays NOT VALID") {
  TestDatabase tdb;
  auto before = write_temp(tdb.name() + ".before.toml", R"([project]
target = "postgres"
[tables.ledger.columns]
id = { type = "integer", primary_key = true }
amount = { type = "integer" }
)");
  auto after = write_temp(tdb.name() + ".after.toml", read_file(before) + R"([tables.ledger.checks]
ledger_amount_positive = "amount > 0"
)");
  REQUIRE(run_schemac("apply --schema " + before + " --auto-approve --allow-hazard drops-undeclared --quiet", tdb.url())
              .code == 0);
  Db db = tdb.connect();
  db.exec("INSERT INTO ledger SELECT g, CASE WHEN g IN (7, 3, 12) THEN -g ELSE g END FROM generate_series(1, 20) g");
  auto r =
      run_schemac("apply --schema " + after + " --auto-approve --allow-hazard drops-undeclared --quiet", tdb.url());
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK(r.out.find("3 rows of public.ledger violate ledger_amount_positive (keys 12; 3; 7)") != std::string::npos);
  CHECK(r.out.find("the constraint stays NOT VALID") != std::string::npos);
  CHECK(db.scalar("SELECT convalidated FROM pg_constraint WHERE conname = 'ledger_amount_positive'") == "f");
  CHECK(db.scalar("SELECT count(*) FROM ledger") == "20");
  // New rows are checked already.
  CHECK_THROWS(db.exec("INSERT INTO ledger VALUES (21, -1)"));
  auto h = run_schemac("history", tdb.url());
  CHECK(h.out.find("failed") != std::string::npos);
  CHECK(h.out.find("ledger_amount_positive") != std::string::npos);
  // Fixed rows: the next apply validates it.
  db.exec("UPDATE ledger SET amount = -amount WHERE amount < 0");
  CHECK(run_schemac("apply --schema " + after + " --auto-approve --allow-hazard drops-undeclared --quiet", tdb.url())
            .code == 0);
  CHECK(db.scalar("SELECT convalidated FROM pg_constraint WHERE conname = 'ledger_amount_positive'") == "t");
  fs::remove(before);
  fs::remove(after);
}

TEST_CASE("a role that does not own the tables is told which privileges it lacks, and nothing runs") {
  TestDatabase tdb;
  load_seed_audit(tdb);
  const std::string role = tdb.name() + "_deployer";
  Db db = tdb.connect();
  db.exec(fmt::format("CREATE ROLE {} LOGIN PASSWORD 'deploy'", quote_ident(role)));
  db.exec(fmt::format("GRANT CREATE ON SCHEMA public TO {}", quote_ident(role)));
  auto r = run_schemac("apply " + kSaas + " --auto-approve --allow-hazard drops-undeclared",
                       tdb.url() + fmt::format(" user={} password=deploy", role));
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK(r.out.find(fmt::format("role {} lacks privileges this plan needs; nothing was executed", role)) !=
        std::string::npos);
  CHECK(r.out.find("alter table public.api_keys: only its owner postgres") != std::string::npos);
  CHECK(r.out.find("CREATEROLE") == std::string::npos);  // the roles exist: none to create
  CHECK_FALSE(has_trigger(db, "t_api_keys_touch"));
  CHECK(db.scalar("SELECT to_regclass('schemac.apply_history') IS NULL") == "t");
  db.exec(fmt::format("REVOKE ALL ON SCHEMA public FROM {}", quote_ident(role)));
  db.exec(fmt::format("DROP OWNED BY {}; DROP ROLE {}", quote_ident(role), quote_ident(role)));
}

TEST_CASE("a connection string that does not work is a clear error") {
  auto r =
      run_schemac("apply " + kSaas + " --auto-approve --allow-hazard drops-undeclared", "host=/nonexistent port=1");
  CHECK(r.code == 1);
  CHECK(r.out.find("schemac: cannot connect to the database") != std::string::npos);
  CHECK(r.out.find("--database-url, DATABASE_URL or the PG* variables") != std::string::npos);
}

TEST_CASE("two applies started together: exactly one runs, the other exits, or waits and finds nothing to do") {
  TestDatabase tdb;
  auto after = events_with_rows(tdb, 300000,
                                "[tables.events.indexes]\nidx_events_n = { columns = [\"n\"] }\n"
                                "[tables.events.checks]\nevents_n_not_negative = \"n >= 0\"\n");
  Db db = tdb.connect();
  const std::string cmd =
      fmt::format("{} apply --schema {} --auto-approve --allow-hazard drops-undeclared --database-url {}", SCHEMAC_BIN,
                  after, shell_quote(tdb.url()));
  SUBCASE("without --wait") {
    Process a(cmd, temp_path(tdb.name() + ".a")), b(cmd, temp_path(tdb.name() + ".b"));
    const int ca = a.wait(), cb = b.wait();
    const auto oa = a.output(), ob = b.output();
    INFO(oa, "\n----\n", ob);
    CHECK(ca + cb == 1);  // one 0, one 1
    const auto& winner = ca == 0 ? oa : ob;
    const auto& loser = ca == 0 ? ob : oa;
    CHECK(winner.find("Applied 3 statements.") != std::string::npos);
    CHECK(loser.find("another schemac apply is running against this database") != std::string::npos);
    CHECK(loser.find("(pid ") != std::string::npos);  // the holder, named
    CHECK(loser.find("[1/") == std::string::npos);
  }
  SUBCASE("with --wait") {
    Process a(cmd + " --wait", temp_path(tdb.name() + ".a")), b(cmd + " --wait", temp_path(tdb.name() + ".b"));
    const int ca = a.wait(), cb = b.wait();
    const auto both = a.output() + "\n----\n" + b.output();
    INFO(both);
    CHECK(ca == 0);
    CHECK(cb == 0);
    auto count = [&](const std::string& text) {
      std::size_t n = 0;
      for (auto at = both.find(text); at != std::string::npos; at = both.find(text, at + 1)) ++n;
      return n;
    };
    CHECK(count("Applied 3 statements.") == 1);
    CHECK(count("Nothing to apply: the database matches the declarations.") == 1);
  }
  // The first apply made the table; of the two racing ones, one succeeded and the other never started.
  CHECK(db.scalar("SELECT count(*) FROM schemac.apply_history WHERE outcome = 'succeeded'") == "2");
  CHECK(db.scalar("SELECT count(*) FROM schemac.apply_history") == "2");
  CHECK(db.scalar("SELECT count(*) FROM pg_index WHERE indrelid = 'events'::regclass AND indisvalid") == "2");
  fs::remove(after);
}

TEST_CASE("a concurrent build reports its progress, and what it waits for, while it runs") {
  TestDatabase tdb;
  auto after = events_with_rows(tdb, 100000, "[tables.events.indexes]\nidx_events_n = { columns = [\"n\"] }\n");
  // A transaction with an old snapshot: the build waits for it to end.
  Db holder = tdb.connect();
  holder.exec("BEGIN ISOLATION LEVEL REPEATABLE READ");
  holder.exec("SELECT count(*) FROM events");
  const auto holder_pid = holder.scalar("SELECT pg_backend_pid()").value_or("?");
  Process apply(fmt::format("env SCHEMAC_PROGRESS_INTERVAL=0.5 {} apply --schema {} --auto-approve --allow-hazard "
                            "drops-undeclared --database-url {}",
                            SCHEMAC_BIN, after, shell_quote(tdb.url())),
                temp_path(tdb.name() + ".progress"));
  // Not a terminal: a line every SCHEMAC_PROGRESS_INTERVAL seconds.
  const bool waited = apply.wait_for_output(fmt::format("waiting for pid {}", holder_pid), std::chrono::seconds(15));
  holder.exec("COMMIT");
  CHECK(apply.wait() == 0);
  INFO(apply.output());
  CHECK(waited);
  CHECK(apply.output().find("create index idx_events_n for ") != std::string::npos);
  fs::remove(after);
}

namespace {

// PgBouncer (Debian's pgbouncer package) in front of the test server, in the
// given pool mode, on a port of its own. It refuses to run as root.
class Bouncer {
 public:
  Bouncer(const std::string& mode, int port) : dir_(temp_path("pgbouncer_" + mode)), port_(port) {
    fs::create_directories(dir_);
    fs::permissions(dir_, fs::perms::all);
    auto env = [](const char* name, const char* fallback) {
      const char* v = std::getenv(name);
      return std::string(v ? v : fallback);
    };
    const auto user = env("PGUSER", "postgres");
    std::ofstream(dir_ + "/users.txt") << fmt::format("\"{}\" \"unused\"\n", user);
    std::ofstream(dir_ + "/pgbouncer.ini") << fmt::format(
        "[databases]\n* = host={} port={} user={} password={}\n"
        "[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {}\nunix_socket_dir =\nauth_type = trust\n"
        "auth_file = {}/users.txt\npool_mode = {}\nlogfile = {}/pgbouncer.log\npidfile = {}/pgbouncer.pid\n"
        "ignore_startup_parameters = extra_float_digits,options\n",
        env("PGHOST", "localhost"), env("PGPORT", "5432"), user, env("PGPASSWORD", ""), port, dir_, mode, dir_, dir_);
    for (const auto& f : fs::directory_iterator(dir_))
      fs::permissions(f.path(), fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                    fs::perms::others_read | fs::perms::others_write);
    std::string out;
    const std::string as = geteuid() == 0 ? "runuser -u postgres -- " : "";
    REQUIRE_MESSAGE(run_command(as + "pgbouncer -d " + dir_ + "/pgbouncer.ini 2>&1", out) == 0, out);
    for (int i = 0; i < 50 && read_file(dir_ + "/pgbouncer.log").find("process up") == std::string::npos; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    url_ = fmt::format("host=127.0.0.1 port={} user={}", port, user);
  }
  ~Bouncer() {
    std::string out;
    run_command("kill $(cat " + dir_ + "/pgbouncer.pid) 2>&1", out);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    fs::remove_all(dir_);
  }
  std::string url(const std::string& dbname) const { return url_ + " dbname=" + dbname; }

 private:
  std::string dir_;
  int port_;
  std::string url_;
};

}  // namespace

TEST_CASE("apply refuses a transaction-mode pooler and says why, a session-mode pooler is fine") {
  TestDatabase tdb;
  load_seed_audit(tdb);
  const int port = 20000 + static_cast<int>(getpid() % 20000);
  {
    Bouncer bouncer("transaction", port);
    auto r = run_schemac("apply " + kSaas + " --auto-approve --allow-hazard drops-undeclared", bouncer.url(tdb.name()));
    INFO(r.out);
    CHECK(r.code == 1);
    CHECK(r.out.find("the connection goes through a transaction-mode pooler") != std::string::npos);
    CHECK(r.out.find("session advisory locks do not survive one") != std::string::npos);
    Db db = tdb.connect();
    CHECK_FALSE(has_trigger(db, "t_api_keys_touch"));
  }
  Bouncer bouncer("session", port + 1);
  auto r = run_schemac("apply " + kSaas + " --auto-approve --allow-hazard drops-undeclared --quiet",
                       bouncer.url(tdb.name()));
  INFO(r.out);
  CHECK(r.code == 0);
  CHECK(r.out.find("Applied 171 statements.") != std::string::npos);
}

TEST_CASE("filling a new column's volatile default neither moves updated_at nor writes the audit trail") {
  TestDatabase tdb;
  const std::string v1 =
      "[project]\ntarget = \"postgres\"\n[tables.items]\naudited = true\ntouch_updated_at = true\n"
      "[tables.items.columns]\nid = { type = \"uuid\", primary_key = true, default = \"gen_random_uuid()\" }\n"
      "name = { type = \"text\" }\n";
  auto before = write_temp(tdb.name() + ".v1.toml", v1);
  auto after =
      write_temp(tdb.name() + ".v2.toml", v1 + "public_id = { type = \"uuid\", default = \"gen_random_uuid()\" }\n");
  REQUIRE(run_schemac("apply --schema " + before + " --auto-approve --allow-hazard drops-undeclared --quiet", tdb.url())
              .code == 0);
  Db db = tdb.connect();
  db.exec("INSERT INTO items (name) SELECT 'item ' || g FROM generate_series(1, 12000) g");
  // As the API left them, long ago (the touch trigger would say now()).
  db.exec(
      "SET session_replication_role = replica; UPDATE items SET updated_at = '2020-01-01'; "
      "SET session_replication_role = origin");
  const auto audit_rows = db.scalar("SELECT count(*) FROM audit_trail");
  auto r =
      run_schemac("apply --schema " + after + " --auto-approve --allow-hazard drops-undeclared --quiet", tdb.url());
  INFO(r.out);
  REQUIRE(r.code == 0);
  CHECK(db.scalar("SELECT count(*) FROM items WHERE public_id IS NULL") == "0");
  CHECK(db.scalar("SELECT count(DISTINCT public_id) FROM items") == "12000");
  CHECK(db.scalar("SELECT count(*) FROM items WHERE updated_at <> '2020-01-01'") == "0");
  CHECK(db.scalar("SELECT count(*) FROM audit_trail") == audit_rows);
  // The flag is the owner's: another role that sets it is touched and audited as usual.
  const auto writer = tdb.name() + "_writer";
  db.exec(fmt::format("CREATE ROLE {} LOGIN PASSWORD 'w'", quote_ident(writer)));
  db.exec(fmt::format("GRANT SELECT, UPDATE ON items TO {}", quote_ident(writer)));
  {
    Db other(tdb.url() + fmt::format(" user={} password=w", writer));
    other.exec("SELECT set_config('schemac.backfill', 'on', false)");
    other.exec("UPDATE items SET name = 'renamed' WHERE name = 'item 1'");
  }
  CHECK(db.scalar("SELECT count(*) FROM audit_trail") == std::to_string(std::stoi(audit_rows.value_or("0")) + 1));
  CHECK(db.scalar("SELECT updated_at <> '2020-01-01' FROM items WHERE name = 'renamed'") == "t");
  db.exec(fmt::format("DROP OWNED BY {}; DROP ROLE {}", quote_ident(writer), quote_ident(writer)));
  fs::remove(before);
  fs::remove(after);
}

TEST_CASE("tables and the audit trail in schemas that do not exist yet: apply creates the schemas") {
  for (const std::string target : {"postgres", "supabase"}) {
    INFO("target " << target);
    TestDatabase tdb;
    Db db = tdb.connect();
    if (target == "supabase") db.exec(read_file(source_path("tests/supabase_like.sql")));
    auto schema = write_temp(tdb.name() + ".toml", fmt::format(R"toml([project]
target = "{}"
schemas = ["app"]
[audit]
table = "audit.trail"
[tables.items]
audited = true
[tables.items.columns]
id = {{ type = "uuid", primary_key = true, default = "gen_random_uuid()" }}
name = "text"
)toml",
                                                               target));
    auto r =
        run_schemac("apply --schema " + schema + " --auto-approve --allow-hazard drops-undeclared --quiet", tdb.url());
    INFO(r.out);
    CHECK(r.code == 0);
    db.exec("INSERT INTO app.items (name) VALUES ('one')");
    CHECK(db.scalar("SELECT count(*) FROM audit.trail WHERE table_schema = 'app'") == "1");
    CHECK(run_schemac("plan --schema " + schema + " --detailed-exitcode", tdb.url()).code == 0);
    fs::remove(schema);
  }
}

TEST_CASE("a trigger and a foreign key no file declares are never dropped silently: the plan says so and apply stops") {
  TestDatabase tdb;
  Db db = tdb.connect();
  // What a real schema has and the language cannot declare yet: a trigger
  // that guards a column, and a key to a table outside the managed schemas.
  db.exec(
      "CREATE SCHEMA ext; CREATE TABLE ext.users (id uuid PRIMARY KEY);"
      "CREATE TABLE accounts (id uuid PRIMARY KEY, owner_id uuid NOT NULL REFERENCES ext.users (id));"
      "CREATE FUNCTION keep_owner() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "IF NEW.owner_id <> OLD.owner_id THEN RAISE EXCEPTION 'the owner cannot change'; END IF; RETURN NEW; END $$;"
      "CREATE TRIGGER accounts_keep_owner BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION keep_owner();"
      "CREATE VIEW account_owners AS SELECT id, owner_id FROM accounts; CREATE TYPE plan_tier AS ENUM ('free')");
  auto schema = write_temp(tdb.name() + ".toml", R"toml([project]
target = "postgres"
[tables.accounts.columns]
id = { type = "uuid", primary_key = true }
owner_id = "uuid"
)toml");
  auto plan = run_schemac("plan --schema " + schema, tdb.url());
  INFO(plan.out);
  CHECK(plan.out.find("drops 1 foreign key and 1 trigger that no file declares; apply needs --allow-hazard for: "
                      "drops-undeclared.") != std::string::npos);
  // What no file declares is listed, and left alone (project.undeclared_objects = "keep").
  CHECK(plan.out.find("Unmanaged objects (no file declares them; left alone, see project.undeclared_objects):\n  enum "
                      "public.plan_tier\n  function public.keep_owner()\n  view public.account_owners\n") !=
        std::string::npos);
  auto json = nlohmann::json::parse(run_schemac("plan --format json --schema " + schema, tdb.url()).out);
  CHECK(json.at("schemac_version") == SCHEMAC_VERSION);  // which schemac made the plan, for a deploy system's log
  CHECK(json.at("drops_undeclared") ==
        nlohmann::json::parse(R"([{"kind": "foreign key", "name": "accounts_owner_id_fkey", "table": "public.accounts"},
                                  {"kind": "trigger", "name": "accounts_keep_owner", "table": "public.accounts"}])"));
  auto refused = run_schemac("apply --auto-approve --schema " + schema, tdb.url());
  CHECK(refused.code == 3);
  CHECK(db.scalar("SELECT count(*) FROM pg_trigger WHERE tgname = 'accounts_keep_owner'") == "1");
  CHECK(db.scalar("SELECT count(*) FROM pg_constraint WHERE conname = 'accounts_owner_id_fkey'") == "1");
  // Allowed, on purpose: they go.
  CHECK(
      run_schemac("apply --auto-approve --quiet --allow-hazard drops-undeclared --schema " + schema, tdb.url()).code ==
      0);
  CHECK(db.scalar("SELECT count(*) FROM pg_trigger WHERE tgname = 'accounts_keep_owner'") == "0");
  CHECK(db.scalar("SELECT count(*) FROM pg_views WHERE viewname = 'account_owners'") == "1");
  fs::remove(schema);
}

TEST_CASE("a foreign key to auth.users: checked to exist, created, converged, beside a public.users of the same name") {
  TestDatabase tdb;
  Db db = tdb.connect();
  db.exec(read_file(source_path("tests/supabase_like.sql")));
  auto schema = write_temp(tdb.name() + ".toml", R"toml([project]
target = "supabase"
[tables.users.columns]
id = { type = "uuid", primary_key = true }
handle = "text"
[tables.profiles.columns]
id = { type = "uuid", primary_key = true, references = "auth.users(id)", on_delete = "cascade" }
owner = { type = "uuid", nullable = true, references = "users(id)" }
)toml");
  // Not there yet: said at the declaration, before anything runs.
  auto missing = run_schemac("plan --schema " + schema, tdb.url());
  CHECK(missing.code == 1);
  CHECK(missing.out.find(schema +
                         ":7:56: error: foreign key profiles_id_fkey references auth.users, which the database does "
                         "not have") != std::string::npos);
  db.exec("CREATE TABLE auth.users (id uuid PRIMARY KEY, email text)");
  auto r = run_schemac("apply --auto-approve --quiet --schema " + schema, tdb.url());
  INFO(r.out);
  CHECK(r.code == 0);
  CHECK(db.scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'profiles_id_fkey'") ==
        "FOREIGN KEY (id) REFERENCES auth.users(id) ON DELETE CASCADE");
  CHECK(run_schemac("plan --detailed-exitcode --schema " + schema, tdb.url()).code == 0);
  db.exec("INSERT INTO auth.users VALUES ('00000000-0000-0000-0000-000000000001', 'a@b.c')");
  db.exec("INSERT INTO profiles (id) VALUES ('00000000-0000-0000-0000-000000000001')");
  db.exec("DELETE FROM auth.users");
  CHECK(db.scalar("SELECT count(*) FROM profiles") == "0");
  fs::remove(schema);
}

TEST_CASE("a --dev-url that does not connect is named as the --dev-url, not as the database to plan") {
  TestDatabase tdb;
  auto r = run_schemac(
      "plan --no-cache " + kSaas + " --dev-url " + shell_quote(Db::with_database(tdb.url(), tdb.name() + "_missing")),
      tdb.url());
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK(r.out.find("cannot connect to the --dev-url database") != std::string::npos);
  CHECK(r.out.find("name it with --database-url") == std::string::npos);
}

TEST_CASE(
    "a --dev-url database that already has the live enums (restored from production) normalizes as an empty one") {
  TestDatabase live, dev;
  for (const auto* db : {&live, &dev}) db->connect().exec("CREATE TYPE public.mood AS ENUM ('sad', 'ok')");
  const auto schema = write_temp("dev_enum.toml", R"toml(
[project]
target = "postgres"
[tables.people.columns]
id = { type = "bigint", primary_key = true }
feeling = { type = "mood" }
)toml");
  auto r = run_schemac("plan --no-cache --schema " + shell_quote(schema) + " --dev-url " + shell_quote(dev.url()),
                       live.url());
  INFO(r.out);
  CHECK(r.code == 0);
  CHECK(r.out.find("CREATE TABLE \"public\".\"people\"") != std::string::npos);
  CHECK(r.out.find("already exists") == std::string::npos);
  // Nothing stays behind in the --dev-url database: it ran in a rolled-back transaction.
  CHECK(dev.connect().scalar("SELECT count(*) FROM pg_class WHERE relname = 'people'") == "0");
}

}  // namespace schemac::test
