#pragma once
// Progress of long steps on stderr, read from a second connection:
// pg_stat_progress_create_index for concurrent builds, pg_stat_activity for
// what any step waits on. A live line on a terminal; a line every few seconds
// in a CI log.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>

#include "compiler/db.hpp"

namespace schemac {

class Progress {
 public:
  // Watches the backend apply_pid. Without a connection (a failure to open one
  // is not worth failing apply for), it reports nothing.
  Progress(const std::string& url, int apply_pid, bool terminal, std::ostream& out);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void begin(const std::string& label);  // a step starts
  void end();                            // it finished (or failed)

 private:
  void run();
  std::string describe();

  std::unique_ptr<Db> db_;
  int pid_;
  bool terminal_;
  std::ostream& out_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool active_ = false;
  bool line_shown_ = false;
  std::string label_;
  std::chrono::steady_clock::time_point started_;
  std::thread thread_;
};

}  // namespace schemac
