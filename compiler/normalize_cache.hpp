#pragma once
// Remembers the normalized (deparsed) form of each declared table and runtime
// function, keyed by everything that determines it, so that a plan only
// materializes in the scratch database what changed since the last run.
#include <map>
#include <optional>
#include <string>

#include "schema/model.hpp"

namespace schemac {

class NormalizeCache {
 public:
  explicit NormalizeCache(std::string dir) : dir_(std::move(dir)) {}
  bool enabled() const { return !dir_.empty(); }

  // context: what else shapes the deparsed form (server version, copied live
  // types and functions, extensions, search_path).
  static std::string table_key(const Table& declared, const std::string& context);
  static std::string function_key(const Function& declared, const std::string& context);

  // What the planner compares, as one hash: equal for a normalized table and a
  // live table that the planner would find nothing to change in (column order,
  // index names' tables and grants aside, which are compared elsewhere).
  static std::string comparable_digest(const Table& table);

  // key -> comparable digest of every table stored so far (one file read).
  std::map<std::string, std::string> digests() const;
  void save_digests(const std::map<std::string, std::string>& digests) const;

  std::optional<Table> table(const std::string& key) const;
  std::optional<std::string> function(const std::string& key) const;
  void store(const std::string& key, const Table& normalized) const;
  void store(const std::string& key, const std::string& function_definition) const;

 private:
  std::string dir_;
};

// $XDG_CACHE_HOME/schemac, else ~/.cache/schemac, else "" (no cache).
std::string default_cache_dir();

}  // namespace schemac
