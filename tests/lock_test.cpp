// Lock discipline under a long transaction: apply waits at most lock_timeout
// per try, so readers queued behind its lock request wait no longer than that;
// it retries with backoff and succeeds once the transaction ends, or stops and
// names the blocking session.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/process.hpp"
#include "tests/test_database.hpp"

namespace schemac::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Reads api_keys in a loop from its own connection; remembers the longest read.
class Readers {
 public:
  explicit Readers(const std::string& url)
      : thread_([this, url] {
          Db db(url, "reader");
          while (!stop_) {
            const auto started = Clock::now();
            db.exec("SELECT count(*) FROM api_keys WHERE organization_id = '00000000-0000-0000-0000-00000000000a'");
            const auto took = std::chrono::duration<double>(Clock::now() - started).count();
            if (took > longest_) longest_ = took;
            ++reads_;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }) {}
  ~Readers() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  double longest() const { return longest_; }
  long reads() const { return reads_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<double> longest_{0};
  std::atomic<long> reads_{0};
  std::thread thread_;
};

}  // namespace

TEST_CASE("a transaction holds a lock for 20 s: apply waits lock_timeout per try, readers are never blocked longer") {
  TestDatabase tdb;
  {
    Db db = tdb.connect();
    db.exec(read_file(source_path("examples/seed-audit/before.sql")));
  }
  const auto out = temp_path("lock");
  const std::string apply = fmt::format(
      "{} apply --schema {} --auto-approve --allow-hazard drops-undeclared --lock-timeout 1s --database-url {}",
      SCHEMAC_BIN, source_path("examples/saas/schema"), shell_quote(tdb.url()));
  // A writer's long transaction: ROW EXCLUSIVE on api_keys, which every
  // ALTER TABLE on api_keys must wait for.
  Db holder = tdb.connect();
  const auto holder_pid = holder.scalar("SELECT pg_backend_pid()").value_or("?");
  holder.exec("BEGIN");
  holder.exec("UPDATE api_keys SET last_used_at = now() WHERE name = 'key 1'");
  Readers readers(tdb.url());

  SUBCASE("the transaction ends after 20 s: apply retries and succeeds") {
    const auto started = Clock::now();
    Process p(apply + " --retries 12", out);
    std::this_thread::sleep_for(std::chrono::seconds(20));
    holder.exec("COMMIT");
    const int code = p.wait();
    const auto took = std::chrono::duration<double>(Clock::now() - started).count();
    readers.stop();
    const auto log = p.output();
    INFO(log);
    CHECK(code == 0);
    CHECK(log.find("Applied 171 statements.") != std::string::npos);
    CHECK(log.find("lock_timeout (1s) waiting on public.api_keys; retry 1/12") != std::string::npos);
    MESSAGE(fmt::format("apply took {:.1f}s; {} reads, the longest {:.3f}s", took, readers.reads(), readers.longest()));
    CHECK(took > 20);
    CHECK(readers.longest() < 1.5);  // lock_timeout 1s plus a margin
  }
  SUBCASE("the transaction never ends: apply stops and names it") {
    Process p(apply + " --retries 2", out);
    const int code = p.wait();
    readers.stop();
    holder.exec("ROLLBACK");
    const auto log = p.output();
    INFO(log);
    CHECK(code == 1);
    CHECK(log.find("was not granted within lock_timeout 1s after 2 retries") != std::string::npos);
    CHECK(log.find(fmt::format("pid {} (idle in transaction, in transaction for", holder_pid)) != std::string::npos);
    CHECK(log.find("UPDATE api_keys SET last_used_at = now()") != std::string::npos);
    CHECK(readers.longest() < 1.5);
  }
  fs::remove(out);
}

}  // namespace schemac::test
