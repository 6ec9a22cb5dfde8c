// The seed-audit plan applied while the application works: writers (the
// backend, service_role) and readers (signed-in users, authenticated with JWT
// claims) on the tenant tables before, during and after apply. No workload
// transaction may fail, and none may wait much longer than lock_timeout.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/process.hpp"
#include "tests/test_database.hpp"
#include "tests/workload/workload.hpp"

namespace schemac::test {

TEST_CASE("apply of the seed-audit plan under load: no workload transaction fails or waits beyond lock_timeout") {
  TestDatabase tdb;
  {
    Db db = tdb.connect();
    load_seed_audit(db, 100000);
  }
  workload::Workload load({tdb.url()});
  load.start();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  load.mark("during");
  const auto out = temp_path("load");
  Process apply(fmt::format("{} apply --schema {} --auto-approve --allow-hazard drops-undeclared --lock-timeout 1s "
                            "--retries 20 --database-url {}",
                            SCHEMAC_BIN, source_path("examples/saas/schema"), shell_quote(tdb.url())),
                out);
  const int code = apply.wait();
  load.mark("after");
  std::this_thread::sleep_for(std::chrono::seconds(3));
  load.stop();
  INFO(apply.output());
  CHECK(code == 0);
  CHECK(apply.output().find("Applied 171 statements.") != std::string::npos);
  for (const auto& s : load.stats()) {
    std::string failures;
    for (const auto& m : s.failure_messages) failures += "\n  " + m;
    MESSAGE(fmt::format(
        "{:<7} {:>5.1f}s  {:>6} transactions  {:>3} failed  {:>7.1f} tx/s  p50 {:.2f} ms  p99 {:.2f} ms  "
        "max {:.1f} ms{}",
        s.phase, s.seconds, s.transactions, s.failures, s.throughput, s.p50_ms, s.p99_ms, s.max_ms, failures));
    CHECK(s.transactions > 0);
    CHECK(s.failures == 0);
    CHECK(s.max_ms < 1500);  // lock_timeout 1s plus a margin
  }
  std::filesystem::remove(out);
}

}  // namespace schemac::test
