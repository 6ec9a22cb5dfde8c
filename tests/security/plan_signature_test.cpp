// Signed saved plans (SCHEMAC_PLAN_KEY): the HMAC itself, and plan --out /
// apply FILE run as processes, the way a plan job and an apply job run them.
#include "compiler/deploy/plan_signature.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "compiler/hash.hpp"
#include "tests/test_database.hpp"

namespace schemac::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kSaas = "--schema " + source_path("examples/saas/schema");
// Environment prefixes for run_schemac: a job with the key, one with another key, one without.
const std::string kWithKey = "env SCHEMAC_PLAN_KEY=ci-secret-of-this-project";
const std::string kWithOtherKey = "env SCHEMAC_PLAN_KEY=some-other-secret";
const std::string kWithoutKey = "env -u SCHEMAC_PLAN_KEY";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The saas plan over the seed-audit database has run no step, and apply has not started.
void check_nothing_ran(const TestDatabase& tdb) {
  Db db = tdb.connect();
  CHECK(db.scalar("SELECT count(*) FROM pg_trigger WHERE tgname = 't_api_keys_touch'") == "0");
  CHECK(db.scalar("SELECT to_regclass('schemac.apply_history') IS NULL") == "t");
  CHECK(db.scalar("SELECT to_regclass('public.forged') IS NULL") == "t");
}

// apply FILE with env, refused: exit 1, the message, the advice, and nothing run.
void check_refused(const TestDatabase& tdb, const std::string& file, const std::string& env,
                   const std::string& message) {
  auto refused = run_schemac("apply " + file + " --auto-approve --allow-hazard drops-undeclared", tdb.url(), env);
  INFO(refused.out);
  CHECK(refused.code == 1);
  CHECK(contains(refused.out, file + message));
  CHECK(contains(refused.out, "nothing was executed"));
  CHECK(contains(refused.out, "Make the plan with schemac plan --out in a job that has the same SCHEMAC_PLAN_KEY"));
  check_nothing_ran(tdb);
}

// The text the checksum and the signature cover: the file without either.
std::string signed_body(json body) {
  body.erase("checksum");
  body.erase("signature");
  return body.dump();
}

std::string make_plan(const TestDatabase& tdb, const std::string& env) {
  Db db = tdb.connect();
  load_seed_audit(db);
  const auto file = temp_path(tdb.name() + ".plan.json");
  auto made = run_schemac("plan " + kSaas + " --out " + file, tdb.url(), env);
  REQUIRE_MESSAGE(made.code == 0, made.out);
  return file;
}

}  // namespace

TEST_CASE("a saved plan's signature is HMAC-SHA256 (RFC 4231 test cases 1, 2 and 6), checked in full") {
  using plan_signature::sign;
  using plan_signature::verify;
  CHECK(sign("Hi There", std::string(20, '\x0b')) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(sign("what do ya want for nothing?", "Jefe") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // A key longer than SHA-256's block is hashed first.
  CHECK(sign("Test Using Larger Than Block-Size Key - Hash Key First", std::string(131, '\xaa')) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");

  const std::string body = "what do ya want for nothing?";
  const std::string good = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  CHECK(verify(body, good, "Jefe"));
  CHECK_FALSE(verify(body, good, "Jeff"));
  CHECK_FALSE(verify(body + " ", good, "Jefe"));
  auto last_digit = good;
  last_digit.back() = '2';
  CHECK_FALSE(verify(body, last_digit, "Jefe"));
  CHECK_FALSE(verify(body, good.substr(0, 32), "Jefe"));
  CHECK_FALSE(verify(body, "", "Jefe"));
}

TEST_CASE("a saved plan signed with SCHEMAC_PLAN_KEY applies in a job that has the same key") {
  TestDatabase tdb;
  const auto file = make_plan(tdb, kWithKey);
  const auto written = json::parse(read_file(file));
  REQUIRE(written.contains("signature"));
  // The signature covers the body the checksum covers.
  CHECK(written.at("signature") == plan_signature::sign(signed_body(written), "ci-secret-of-this-project"));
  CHECK(written.at("checksum") == hash_text(signed_body(written)));

  auto applied =
      run_schemac("apply " + file + " --auto-approve --allow-hazard drops-undeclared --quiet", tdb.url(), kWithKey);
  INFO(applied.out);
  CHECK(applied.code == 0);
  CHECK(contains(applied.out, "Applied 171 statements."));
  Db db = tdb.connect();
  CHECK(db.scalar("SELECT count(*) FROM pg_trigger WHERE tgname = 't_api_keys_touch'") == "1");
  fs::remove(file);
}

TEST_CASE("a saved plan signed with another key is refused and runs nothing, and without a key it applies as before") {
  TestDatabase tdb;
  const auto file = make_plan(tdb, kWithKey);
  check_refused(tdb, file, kWithOtherKey, ": the plan's signature does not match SCHEMAC_PLAN_KEY");

  // Verification needs the key: a job without it takes the signed plan on its checksum, as before.
  auto unchecked =
      run_schemac("apply " + file + " --auto-approve --allow-hazard drops-undeclared --quiet", tdb.url(), kWithoutKey);
  INFO(unchecked.out);
  CHECK(unchecked.code == 0);
  CHECK(contains(unchecked.out, "Applied 171 statements."));
  fs::remove(file);
}

TEST_CASE("an unsigned saved plan is refused when SCHEMAC_PLAN_KEY is set, and runs nothing") {
  TestDatabase tdb;
  const auto file = make_plan(tdb, kWithoutKey);
  CHECK_FALSE(json::parse(read_file(file)).contains("signature"));
  check_refused(tdb, file, kWithKey, ": the plan is not signed, but SCHEMAC_PLAN_KEY is set; nothing was executed");

  // An empty key is no key: the unsigned plan applies as it always did.
  auto applied = run_schemac("apply " + file + " --auto-approve --allow-hazard drops-undeclared --quiet", tdb.url(),
                             "env SCHEMAC_PLAN_KEY=");
  INFO(applied.out);
  CHECK(applied.code == 0);
  CHECK(contains(applied.out, "Applied 171 statements."));
  fs::remove(file);
}

TEST_CASE("a saved plan whose SQL was edited and its checksum recomputed is refused when SCHEMAC_PLAN_KEY is set") {
  TestDatabase tdb;
  const auto file = make_plan(tdb, kWithKey);
  // The attacker's edit: other SQL in the first step, and the unkeyed checksum
  // recomputed the way schemac computes it. The old signature stays, or goes.
  auto forged = json::parse(read_file(file));
  forged.at("plan").at("steps").at(0)["sql"] = "CREATE TABLE public.forged (id integer)";
  forged["checksum"] = hash_text(signed_body(forged));
  const auto kept = write_temp(tdb.name() + ".forged.json", forged.dump(2) + "\n");
  forged.erase("signature");
  const auto dropped = write_temp(tdb.name() + ".forged-unsigned.json", forged.dump(2) + "\n");

  // Without the key the checksum is all there is, and the forgery passes it.
  auto passes = run_schemac("apply " + kept + " --dry-run --allow-hazard drops-undeclared", tdb.url(), kWithoutKey);
  INFO(passes.out);
  CHECK(passes.code == 0);
  CHECK(contains(passes.out, "CREATE TABLE public.forged (id integer);"));

  check_refused(tdb, kept, kWithKey, ": the plan's signature does not match SCHEMAC_PLAN_KEY");
  check_refused(tdb, dropped, kWithKey, ": the plan is not signed, but SCHEMAC_PLAN_KEY is set");
  for (const auto& f : {file, kept, dropped}) fs::remove(f);
}

}  // namespace schemac::test
