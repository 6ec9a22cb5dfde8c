#pragma once
// The apply history: one row per apply in schemac.apply_history, written as
// apply goes (so a killed apply leaves a row that says how far it got).
#include <optional>
#include <string>

#include "compiler/db.hpp"

namespace schemac {

struct HistoryStart {
  std::string schemac_version;
  std::string plan_fingerprint;
  std::size_t steps_total = 0;
};

class History {
 public:
  // Creates schemac.apply_history if needed and records the start. Call while
  // holding the apply lock: rows still 'running' then belong to dead applies
  // and are marked 'interrupted'.
  History(Db& db, const HistoryStart& start);
  void progress(std::size_t steps_run);
  void succeeded(std::size_t steps_run);
  void failed(std::size_t steps_run, const std::string& error);

 private:
  Db& db_;
  std::string id_;
};

// When this plan was last applied to the end, if it was ("2026-11-26 10:00:00+00 by alice").
std::optional<std::string> already_applied(Db& db, const std::string& plan_fingerprint);

// The history as a table for people, newest first.
std::string render_history(Db& db, int limit);

}  // namespace schemac
