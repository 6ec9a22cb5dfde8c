#pragma once
// `apply --format json`: one JSON object per line on stdout for deploy systems
// that parse logs (the human progress stays on stderr). Events: "plan", then
// per step "started" and "finished" (with seconds), "retried" when a
// transaction hit lock_timeout or a deadlock, "failed", and at the end
// "applied" (or "nothing_to_apply"). Every event carries "at", UTC.
#include <cstddef>
#include <ostream>
#include <string>

#include "compiler/planner/plan.hpp"

namespace schemac {

class ApplyEvents {
 public:
  explicit ApplyEvents(std::ostream& out) : out_(out) {}

  void plan(const Plan& plan);
  void started(std::size_t index, std::size_t total, const Step& step);  // index from 1
  void finished(std::size_t index, double seconds);
  void retried(std::size_t index, const std::string& reason, int attempt, int retries, long delay_ms);
  void failed(std::size_t index, const std::string& sqlstate, const std::string& message);
  void applied(std::size_t statements, double seconds);
  void nothing_to_apply(const std::string& why);

 private:
  std::ostream& out_;
};

}  // namespace schemac
