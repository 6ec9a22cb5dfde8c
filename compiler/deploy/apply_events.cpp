#include "compiler/deploy/apply_events.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "compiler/render.hpp"

namespace schemac {

namespace {

std::string now_utc() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(now)), ms);
}

// One line, flushed: a log reader sees each event as it happens.
void emit(std::ostream& out, nlohmann::json event, const char* name) {
  event["event"] = name;
  event["at"] = now_utc();
  out << event.dump() << "\n" << std::flush;
}

}  // namespace

void ApplyEvents::plan(const Plan& plan) {
  emit(out_,
       {{"schemac_version", SCHEMAC_VERSION},
        {"summary", summary_line(plan)},
        {"steps", plan.steps.size()},
        {"hazards", plan.hazards()}},
       "plan");
}

void ApplyEvents::started(std::size_t index, std::size_t total, const Step& step) {
  emit(out_,
       {{"step", index},
        {"of", total},
        {"table", step.table},
        {"summary", step.summary},
        {"lock", step.lock},
        {"transactional", step.transactional}},
       "started");
}

void ApplyEvents::finished(std::size_t index, double seconds) {
  emit(out_, {{"step", index}, {"seconds", seconds}}, "finished");
}

void ApplyEvents::retried(std::size_t index, const std::string& reason, int attempt, int retries, long delay_ms) {
  emit(out_, {{"step", index}, {"reason", reason}, {"attempt", attempt}, {"of", retries}, {"delay_ms", delay_ms}},
       "retried");
}

void ApplyEvents::failed(std::size_t index, const std::string& sqlstate, const std::string& message) {
  emit(out_, {{"step", index}, {"sqlstate", sqlstate}, {"message", message}}, "failed");
}

void ApplyEvents::applied(std::size_t statements, double seconds) {
  emit(out_, {{"statements", statements}, {"seconds", seconds}}, "applied");
}

void ApplyEvents::nothing_to_apply(const std::string& why) {
  emit(out_, {{"reason", why}}, "nothing_to_apply");
}

}  // namespace schemac
