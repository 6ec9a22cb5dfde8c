#include "compiler/deploy/progress.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace schemac {

namespace {

using Clock = std::chrono::steady_clock;

// A terminal is redrawn twice a second; a log gets a line every 5 s, or every
// SCHEMAC_PROGRESS_INTERVAL seconds (the tests use a short one).
std::chrono::milliseconds interval_for(bool terminal) {
  if (terminal) return std::chrono::milliseconds(500);
  if (const char* v = std::getenv("SCHEMAC_PROGRESS_INTERVAL"))
    return std::chrono::milliseconds(static_cast<long>(std::atof(v) * 1000));
  return std::chrono::milliseconds(5000);
}

}  // namespace

Progress::Progress(const std::string& url, int apply_pid, bool terminal, std::ostream& out)
    : pid_(apply_pid), terminal_(terminal), out_(out), interval_(interval_for(terminal)) {
  try {
    db_ = std::make_unique<Db>(url, "schemac progress");
  } catch (const std::exception&) {
    return;
  }
  thread_ = std::thread([this] { run(); });
}

Progress::~Progress() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Progress::begin(const std::string& label) {
  std::lock_guard lock(mutex_);
  label_ = label;
  started_ = Clock::now();
  active_ = true;
}

void Progress::end() {
  std::lock_guard lock(mutex_);
  active_ = false;
  if (terminal_ && line_shown_) out_ << "\r\033[K" << std::flush;
  line_shown_ = false;
}

std::string Progress::describe() {
  auto rows = db_->query(
      fmt::format("SELECT a.wait_event_type, a.wait_event, p.phase, p.blocks_done, p.blocks_total, p.tuples_done, "
                  "p.tuples_total, p.current_locker_pid, left(w.query, 60), now() - w.xact_start "
                  "FROM pg_stat_activity a LEFT JOIN pg_stat_progress_create_index p ON p.pid = a.pid "
                  "LEFT JOIN pg_stat_activity w ON w.pid = nullif(p.current_locker_pid, 0) WHERE a.pid = {}",
                  pid_));
  if (rows.empty()) return {};
  const auto& r = rows[0];
  std::string out;
  if (!r[2].is_null()) {
    out = r[2].as<std::string>();
    // The waiting phases have no blocks or tuples to count.
    auto done = r[3].as<double>(0), total = r[4].as<double>(0);
    if (total <= 0) done = r[5].as<double>(0), total = r[6].as<double>(0);
    if (total > 0 && out.rfind("waiting", 0) != 0) out += fmt::format(" {:.0f}%", 100.0 * done / total);
    if (!r[7].is_null() && r[7].as<long>(0) != 0)
      out += fmt::format(" (waiting for pid {}, in transaction for {}: {})", r[7].c_str(), r[9].c_str(), r[8].c_str());
  } else if (!r[0].is_null()) {
    out = fmt::format("waiting on {} {}", r[0].c_str(), r[1].c_str());
  } else {
    out = "running";
  }
  return out;
}

void Progress::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_);
    if (stopping_ || !active_) continue;
    const auto elapsed = std::chrono::duration<double>(Clock::now() - started_).count();
    if (elapsed < 1.0) continue;
    const std::string label = label_;
    lock.unlock();
    std::string state;
    try {
      state = describe();
    } catch (const std::exception&) {
      state = "running";
    }
    lock.lock();
    // The step may have ended while we asked.
    if (!active_ || label != label_) continue;
    auto line = fmt::format("      {} for {:.0f}s: {}", label, elapsed, state);
    if (terminal_) {
      out_ << "\r\033[K" << line << std::flush;
      line_shown_ = true;
    } else {
      out_ << line << "\n" << std::flush;
    }
  }
}

}  // namespace schemac
