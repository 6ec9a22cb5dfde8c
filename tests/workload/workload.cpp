#include "tests/workload/workload.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>

namespace schemac::workload {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMessagesKept = 5;
// Ids a thread picks rows from: enough that two writers rarely update the same
// row at once (a row lock wait would look like a migration's lock wait).
constexpr std::size_t kIdsSampled = 500;
constexpr std::size_t kIdsKept = 2000;
// After a failure, wait this long before the next transaction, so that a table
// that is gone or a refused login does not turn the workload into a busy loop.
constexpr auto kFailureBackoff = std::chrono::milliseconds(20);
// How long stop() lets a transaction finish before cancelling it.
constexpr auto kStopGrace = std::chrono::milliseconds(500);

// Explicit column lists, never *: a migration adds deleted_at, and a prepared
// statement whose result columns change fails ("cached plan must not change
// result type"), which would be the workload's fault, not the migration's.
// Every value is valid before the migration (created_at and updated_at have no
// default there, so they are given) and after it (the checks of
// examples/saas/schema: a non-empty name and recipient, a known channel and
// status, attempts >= 0).
constexpr const char* kInsertKey =
    "INSERT INTO api_keys (organization_id, name, key_hash, revoked, created_at, updated_at) "
    "VALUES ($1, $2::text, md5($2::text || clock_timestamp()::text), false, now(), now()) RETURNING id::text";
constexpr const char* kInsertOutbox =
    "INSERT INTO outbox (organization_id, channel, recipient, payload, status, attempts, send_after, created_at, "
    "updated_at) VALUES ($1, 'email', $2, jsonb_build_object('template', 'key_created', 'key_id', $3::text), "
    "'pending', 0, now(), now(), now())";
constexpr const char* kUseKey = "UPDATE api_keys SET last_used_at = now(), updated_at = now() WHERE id = $1";
// A page of a tenant's keys. No ORDER BY created_at and no deleted_at: the
// column does not exist before the migration, and without it neither the old
// nor the new partial index serves the sort, so the query would cost a sort of
// the tenant's whole table and drown the lock waits this workload is for.
constexpr const char* kListKeys =
    "SELECT id, name, revoked, last_used_at FROM api_keys WHERE organization_id = $1 LIMIT 20";
constexpr const char* kSetClaims = "SELECT set_config('request.jwt.claims', $1, true)";
// Readers look rows up by primary key: cheap under both the old ownership
// policies and the new tenant ones, so latency measures waiting, not plans.
constexpr const char* kReadKey = "SELECT id, name, revoked, last_used_at FROM api_keys WHERE id = $1";
constexpr const char* kReadWebhook = "SELECT id, url, events, enabled FROM webhooks WHERE id = $1";
constexpr const char* kReadPerson = "SELECT id, email, full_name FROM people WHERE id = $1";
constexpr const char* kReadOutbox = "SELECT id, channel, status, send_after FROM outbox WHERE id = $1";
// Stands in for a table with no row of the tenant: the lookup still takes the
// table's lock, which is what matters.
constexpr const char* kNoRow = "00000000-0000-0000-0000-000000000000";

// One thread's record of one phase.
struct Tally {
  long transactions = 0;
  long failures = 0;
  std::vector<double> latencies_ms;
  std::vector<std::pair<Clock::time_point, std::string>> messages;
};

struct Phase {
  std::string name;
  Clock::time_point start;
  std::optional<Clock::time_point> end;
};

std::string first_line(const std::string& text) {
  auto line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
  return line;
}

// JSON string contents: the claim names and ids here are plain, but a quote or
// backslash must not break the claims document.
std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

struct Worker {
  Kind kind = Kind::writer;
  int index = 0;
  std::string org;     // readers: the tenant the user belongs to
  std::string claims;  // readers: request.jwt.claims
  std::unique_ptr<pqxx::connection> conn;
  std::atomic<int> backend_pid{0};
  std::atomic<bool> finished{false};
  std::mt19937 rng;
  long sequence = 0;
  // Writers: api_keys rows to update. Readers: rows of their tenant to read.
  std::vector<std::string> key_ids, webhook_ids, people_ids, outbox_ids;
  std::size_t next_kept = 0;  // ring position in key_ids once it is full

  mutable std::mutex mutex;  // guards tallies: the thread writes, stats() reads
  std::vector<Tally> tallies;
  std::thread thread;
};

struct Workload::Impl {
  Options options;
  std::vector<std::unique_ptr<Worker>> workers;

  mutable std::mutex phases_mutex;
  std::vector<Phase> phases{Phase{"before", {}, std::nullopt}};
  std::atomic<std::size_t> current{0};

  std::atomic<bool> stopping{false};
  std::mutex wake_mutex;  // pacing sleeps end early when stop() notifies
  std::condition_variable wake;
  bool started = false;
  bool stopped = false;

  void connect(Worker& w, bool sample);
  void write(Worker& w);
  void read(Worker& w);
  void run(Worker& w);
  void record(Worker& w, std::size_t phase, double ms, const std::string& error);
  std::vector<PhaseStats> collect(std::optional<Kind> kind) const;
};

void Workload::Impl::connect(Worker& w, bool sample) {
  auto conn = std::make_unique<pqxx::connection>(options.url);
  {
    pqxx::nontransaction tx(*conn);
    // So the workload's sessions can be told apart in pg_stat_activity and the server log.
    tx.exec("SET application_name = 'workload'");
  }
  if (w.kind == Kind::writer) {
    conn->prepare("wl_insert_key", kInsertKey);
    conn->prepare("wl_insert_outbox", kInsertOutbox);
    conn->prepare("wl_use_key", kUseKey);
    conn->prepare("wl_list_keys", kListKeys);
  } else {
    conn->prepare("wl_claims", kSetClaims);
    conn->prepare("wl_read_key", kReadKey);
    conn->prepare("wl_read_webhook", kReadWebhook);
    conn->prepare("wl_read_person", kReadPerson);
    conn->prepare("wl_read_outbox", kReadOutbox);
  }
  if (sample) {
    // As the connecting user (no SET ROLE): the rows exist whatever the
    // policies let a tenant see at this moment.
    pqxx::read_transaction tx(*conn);
    auto ids = [&](const char* table, const std::string& org) {
      std::vector<std::string> out;
      for (const auto& row : tx.exec_params(
               fmt::format("SELECT id::text FROM {} WHERE organization_id = $1 LIMIT {}", table, kIdsSampled), org))
        out.push_back(row[0].as<std::string>());
      return out;
    };
    if (w.kind == Kind::writer) {
      for (const auto& org : options.organizations) {
        auto some = ids("api_keys", org);
        w.key_ids.insert(w.key_ids.end(), some.begin(), some.end());
      }
    } else {
      w.key_ids = ids("api_keys", w.org);
      w.webhook_ids = ids("webhooks", w.org);
      w.people_ids = ids("people", w.org);
      w.outbox_ids = ids("outbox", w.org);
    }
    tx.commit();
  }
  w.backend_pid = conn->backendpid();
  w.conn = std::move(conn);
}

void Workload::Impl::write(Worker& w) {
  const auto& org = options.organizations[w.rng() % options.organizations.size()];
  // The key to mark used is picked before this transaction's insert: an
  // existing row, as the API's "a key was used" path would update.
  std::string used = w.key_ids.empty() ? std::string(kNoRow) : w.key_ids[w.rng() % w.key_ids.size()];
  pqxx::work tx(*w.conn);
  tx.exec("SET LOCAL ROLE service_role");
  auto id = tx.exec_prepared1("wl_insert_key", org, fmt::format("workload key {}.{}", w.index, ++w.sequence))[0]
                .as<std::string>();
  tx.exec_prepared0("wl_insert_outbox", org, "ops@tenant.test", id);
  tx.exec_prepared("wl_use_key", used);
  tx.exec_prepared("wl_list_keys", org);
  tx.commit();
  // Only committed keys join the pool, so a later update always finds its row.
  if (w.key_ids.size() < kIdsKept) {
    w.key_ids.push_back(id);
  } else {
    w.key_ids[w.next_kept] = id;
    w.next_kept = (w.next_kept + 1) % kIdsKept;
  }
}

void Workload::Impl::read(Worker& w) {
  auto pick = [&](const std::vector<std::string>& ids) {
    return ids.empty() ? std::string(kNoRow) : ids[w.rng() % ids.size()];
  };
  // What PostgREST does for a signed-in user's request: a transaction with the
  // role and the JWT's claims set locally.
  pqxx::read_transaction tx(*w.conn);
  tx.exec("SET LOCAL ROLE authenticated");
  tx.exec_prepared("wl_claims", w.claims);
  tx.exec_prepared("wl_read_key", pick(w.key_ids));
  tx.exec_prepared("wl_read_webhook", pick(w.webhook_ids));
  tx.exec_prepared("wl_read_person", pick(w.people_ids));
  tx.exec_prepared("wl_read_outbox", pick(w.outbox_ids));
  tx.commit();
}

void Workload::Impl::record(Worker& w, std::size_t phase, double ms, const std::string& error) {
  std::lock_guard lock(w.mutex);
  if (w.tallies.size() <= phase) w.tallies.resize(phase + 1);
  auto& t = w.tallies[phase];
  ++t.transactions;
  t.latencies_ms.push_back(ms);
  if (error.empty()) return;
  ++t.failures;
  if (t.messages.size() < kMessagesKept)
    t.messages.emplace_back(Clock::now(), fmt::format("{} {}: {}", w.kind == Kind::writer ? "writer" : "reader",
                                                      w.index, first_line(error)));
}

void Workload::Impl::run(Worker& w) {
  const auto interval =
      options.rate > 0 ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / options.rate))
                       : Clock::duration::zero();
  auto next = Clock::now();
  while (!stopping) {
    // The phase the transaction starts in owns it, however long it then waits.
    const auto phase = current.load();
    const auto begin = Clock::now();
    std::string error;
    try {
      if (!w.conn) connect(w, false);
      if (w.kind == Kind::writer)
        write(w);
      else
        read(w);
    } catch (const pqxx::broken_connection& e) {
      error = e.what();
      w.conn.reset();  // reconnect before the next transaction
    } catch (const std::exception& e) {
      error = e.what();
      // libpqxx reports some losses of the connection as other errors; a new
      // connection (not libpqxx's silent reconnect) keeps backend_pid right for stop().
      if (w.conn && !w.conn->is_open()) w.conn.reset();
    }
    const auto end = Clock::now();
    // stop() cancels what still runs after its grace period: that failure is ours.
    if (stopping && !error.empty()) break;
    record(w, phase, std::chrono::duration<double, std::milli>(end - begin).count(), error);
    if (interval > Clock::duration::zero()) {
      // A fixed schedule, but no burst to catch up after a long wait: an
      // application's requests that timed out are not replayed.
      next = std::max(next + interval, end);
    } else {
      next = end;
    }
    if (!error.empty()) next = std::max(next, end + kFailureBackoff);
    if (next > Clock::now()) {
      std::unique_lock lock(wake_mutex);
      wake.wait_until(lock, next, [&] { return stopping.load(); });
    }
  }
  {
    // Under the mutex, so stop() cannot check, miss this, and then sleep its whole timeout.
    std::lock_guard lock(wake_mutex);
    w.finished = true;
  }
  wake.notify_all();
}

std::vector<PhaseStats> Workload::Impl::collect(std::optional<Kind> kind) const {
  std::vector<Phase> ps;
  {
    std::lock_guard lock(phases_mutex);
    ps = phases;
  }
  std::vector<PhaseStats> out;
  if (!started) return out;
  const auto now = Clock::now();
  for (std::size_t i = 0; i < ps.size(); ++i) {
    PhaseStats s;
    s.phase = ps[i].name;
    s.seconds = std::chrono::duration<double>(ps[i].end.value_or(now) - ps[i].start).count();
    std::vector<double> latencies;
    std::vector<std::pair<Clock::time_point, std::string>> messages;
    for (const auto& w : workers) {
      if (kind && w->kind != *kind) continue;
      std::lock_guard lock(w->mutex);
      if (i >= w->tallies.size()) continue;
      const auto& t = w->tallies[i];
      s.transactions += t.transactions;
      s.failures += t.failures;
      latencies.insert(latencies.end(), t.latencies_ms.begin(), t.latencies_ms.end());
      messages.insert(messages.end(), t.messages.begin(), t.messages.end());
    }
    std::sort(messages.begin(), messages.end());
    for (const auto& [when, text] : messages) {
      (void)when;
      if (s.failure_messages.size() == kMessagesKept) break;
      if (std::find(s.failure_messages.begin(), s.failure_messages.end(), text) == s.failure_messages.end())
        s.failure_messages.push_back(text);
    }
    if (s.seconds > 0) s.throughput = static_cast<double>(s.transactions - s.failures) / s.seconds;
    if (!latencies.empty()) {
      std::sort(latencies.begin(), latencies.end());
      // Nearest rank: the smallest latency at least p of the transactions did not exceed.
      auto rank = [&](double p) {
        auto k = static_cast<std::size_t>(std::ceil(p * static_cast<double>(latencies.size())));
        return latencies[std::clamp<std::size_t>(k, 1, latencies.size()) - 1];
      };
      s.p50_ms = rank(0.50);
      s.p99_ms = rank(0.99);
      s.max_ms = latencies.back();
    }
    out.push_back(std::move(s));
  }
  return out;
}

Workload::Workload(Options options) : impl_(std::make_unique<Impl>()) {
  if (options.organizations.empty()) throw std::invalid_argument("workload: no organizations");
  impl_->options = std::move(options);
}

Workload::~Workload() {
  try {
    stop();
  } catch (...) {
  }
}

void Workload::start() {
  auto& im = *impl_;
  if (im.started) throw std::logic_error("workload: start() called twice");
  const auto& o = im.options;
  // Connect every thread here, on the caller's thread: a connection refused is
  // an error of start(), and the first phase does not begin with logins.
  std::seed_seq seed{std::random_device{}(), std::random_device{}()};
  std::mt19937 seeder(seed);
  auto add = [&](Kind kind, int index) {
    auto w = std::make_unique<Worker>();
    w->kind = kind;
    w->index = index;
    w->rng.seed(seeder());
    if (kind == Kind::reader) {
      w->org = o.organizations[static_cast<std::size_t>(index) % o.organizations.size()];
      // One user per reader; sub is what auth.uid() returns.
      w->claims = fmt::format(R"({{"sub": "00000000-0000-4000-8000-{:012x}", "role": "authenticated", "{}": "{}"}})",
                              index + 1, json_escape(o.tenant_claim), json_escape(w->org));
    }
    im.connect(*w, true);
    im.workers.push_back(std::move(w));
  };
  for (int i = 0; i < o.writers; ++i) add(Kind::writer, i);
  for (int i = 0; i < o.readers; ++i) add(Kind::reader, i);
  {
    std::lock_guard lock(im.phases_mutex);
    im.phases.front().start = Clock::now();
  }
  im.started = true;
  for (auto& w : im.workers) w->thread = std::thread([&im, p = w.get()] { im.run(*p); });
}

void Workload::mark(std::string phase) {
  auto& im = *impl_;
  if (im.stopped) return;
  std::lock_guard lock(im.phases_mutex);
  if (!im.started) {
    im.phases.front().name = std::move(phase);
    return;
  }
  const auto now = Clock::now();
  im.phases.back().end = now;
  im.phases.push_back(Phase{std::move(phase), now, std::nullopt});
  im.current = im.phases.size() - 1;
}

void Workload::stop() {
  auto& im = *impl_;
  if (!im.started || im.stopped) return;
  {
    std::lock_guard lock(im.phases_mutex);
    im.phases.back().end = Clock::now();
  }
  {
    std::lock_guard lock(im.wake_mutex);
    im.stopping = true;
  }
  im.wake.notify_all();
  auto all_finished = [&] {
    return std::all_of(im.workers.begin(), im.workers.end(), [](const auto& w) { return w->finished.load(); });
  };
  {
    std::unique_lock lock(im.wake_mutex);
    im.wake.wait_for(lock, kStopGrace, all_finished);
  }
  // A thread still here is waiting on the server (a lock, most likely): cancel
  // its statement, again each round, since a cancel that lands between two
  // statements of its transaction is lost.
  while (!all_finished()) {
    try {
      pqxx::connection control(im.options.url);
      pqxx::nontransaction tx(control);
      for (const auto& w : im.workers)
        if (!w->finished) tx.exec(fmt::format("SELECT pg_cancel_backend({})", w->backend_pid.load()));
    } catch (const std::exception&) {
      // The server is gone: the threads' connections break and they finish by themselves.
    }
    std::unique_lock lock(im.wake_mutex);
    im.wake.wait_for(lock, std::chrono::milliseconds(200), all_finished);
  }
  for (auto& w : im.workers)
    if (w->thread.joinable()) w->thread.join();
  im.stopped = true;
}

std::vector<PhaseStats> Workload::stats() const {
  return impl_->collect(std::nullopt);
}

std::vector<PhaseStats> Workload::stats(Kind kind) const {
  return impl_->collect(kind);
}

}  // namespace schemac::workload
