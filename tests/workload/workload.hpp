#pragma once
// An application's traffic on the tenant tables of examples/seed-audit, for
// watching what a migration does to it: writers act as the SaaS backend
// (service_role), readers as signed-in users (authenticated, with a JWT's
// claims). Every thread runs one short transaction at a time on its own
// connection; each transaction is timed and attributed to the phase ("before",
// "during", "after") that was current when it started, so a transaction that
// waits on a migration's lock counts against the phase that caused the wait.
#include <memory>
#include <string>
#include <vector>

namespace schemac::workload {

struct Options {
  std::string url;  // libpq URI or key=value string; empty: the PG* variables
  int writers = 2;
  int readers = 2;
  // Transactions per second per thread; 0 runs each thread flat out. Paced by
  // default so that on a small machine the migration gets CPU too, and a drop
  // in throughput means waiting, not a busy server.
  double rate = 100;
  // The two organizations of examples/seed-audit/before.sql.
  std::vector<std::string> organizations = {"00000000-0000-0000-0000-00000000000a",
                                            "00000000-0000-0000-0000-00000000000b"};
  // The JWT claim the tenant policies read ([tenancy] claim in examples/saas/schema/00_project.toml).
  std::string tenant_claim = "organization_id";
};

enum class Kind { writer, reader };

struct PhaseStats {
  std::string phase;
  double seconds = 0;     // from mark(phase) to the next mark, stop(), or now
  long transactions = 0;  // started in this phase and finished (committed or failed)
  long failures = 0;
  std::vector<std::string> failure_messages;  // the first few distinct ones, earliest first
  double throughput = 0;                      // committed transactions per second of the phase
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

class Workload {
 public:
  explicit Workload(Options options);
  ~Workload();  // stops the threads if stop() was not called
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  // Connects every thread (throws if one cannot connect or read its starting
  // rows) and starts them; the first phase is "before" unless mark() named it.
  void start();
  // Ends the current phase and starts one called phase.
  void mark(std::string phase);
  // Stops the threads: each finishes its current transaction; one still
  // waiting after a moment is cancelled (and its cancelled transaction is not
  // counted). Idempotent.
  void stop();

  // One entry per phase, in order: all threads, or only writers or readers.
  std::vector<PhaseStats> stats() const;
  std::vector<PhaseStats> stats(Kind kind) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace schemac::workload
