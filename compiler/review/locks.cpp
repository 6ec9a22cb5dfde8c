#include "compiler/review/locks.hpp"

#include <array>
#include <utility>

namespace schemac::review {

namespace {

// Longer names first, so "SHARE ROW EXCLUSIVE" is not read as "SHARE".
constexpr std::array<std::pair<const char*, int>, 8> kModes = {{{"ACCESS EXCLUSIVE", 8},
                                                                {"ACCESS SHARE", 1},
                                                                {"SHARE ROW EXCLUSIVE", 6},
                                                                {"SHARE UPDATE EXCLUSIVE", 4},
                                                                {"ROW EXCLUSIVE", 3},
                                                                {"ROW SHARE", 2},
                                                                {"EXCLUSIVE", 7},
                                                                {"SHARE", 5}}};

std::string trim(std::string s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == ',')) s.erase(s.begin());
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// "(brief: blocks writes, not reads)" -> "brief"; "on x (reads continue)" ->
// "reads continue"; "while every row is rewritten" as it is.
std::string how_long(const std::string& rest) {
  auto open = rest.find('(');
  if (open == std::string::npos) {
    auto s = trim(rest);
    return s.rfind("on ", 0) == 0 ? "" : s;
  }
  auto inner = rest.substr(open + 1);
  auto end = inner.find_first_of(":;)");
  auto s = trim(inner.substr(0, end));
  return s;
}

}  // namespace

std::string LockSummary::short_text() const {
  if (strength == 0) return "none on existing tables";
  return held.empty() ? mode : mode + ", " + held;
}

std::string mode_effect(const std::string& mode) {
  if (mode == "ACCESS EXCLUSIVE") return "blocks reads and writes";
  if (mode == "EXCLUSIVE") return "blocks writes; plain reads continue";
  if (mode == "SHARE ROW EXCLUSIVE" || mode == "SHARE") return "blocks writes, not reads";
  if (mode == "SHARE UPDATE EXCLUSIVE") return "reads and writes continue; other schema changes and VACUUM wait";
  return "reads and writes continue";
}

LockSummary summarize_lock(const Step& step) {
  LockSummary out;
  if (step.lock == "none" || step.lock.empty()) {
    out.mode = "none";
    return out;
  }
  for (const auto& [name, strength] : kModes) {
    std::string n = name;
    if (step.lock.rfind(n, 0) != 0) continue;
    if (step.lock.size() > n.size() && step.lock[n.size()] != ' ') continue;
    out.mode = n;
    out.strength = strength;
    out.held = how_long(step.lock.substr(n.size()));
    return out;
  }
  // A lock described without a mode name: shown as written, ranked weakest.
  out.mode = step.lock;
  out.strength = 1;
  return out;
}

}  // namespace schemac::review
