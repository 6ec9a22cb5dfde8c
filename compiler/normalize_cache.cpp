#include "compiler/normalize_cache.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace nlohmann {
template <typename T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& v) {
    if (v) j = *v;
    else j = nullptr;
  }
  static void from_json(const json& j, std::optional<T>& v) {
    if (j.is_null()) v.reset();
    else v = j.get<T>();
  }
};
}  // namespace nlohmann

namespace schemac {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SourcePos, file, line, column)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(QualifiedName, schema, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Origin, pos, flag)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Column, name, type, nullable, default_expr, comment, renamed_from, volatile_default, origin)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Constraint, name, kind, columns, expression, ref_table, ref_columns, on_delete, definition,
                                   validated, origin)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Index, name, keys, where, unique, method, include, include_deleted, definition, valid,
                                   backs_constraint, origin)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Trigger, name, timing, events, level, referencing, when, function, args, definition, origin)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Policy, name, command, roles, using_expr, check_expr, permissive, columns_used, origin)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Table, name, columns, constraints, indexes, triggers, policies, rls_enabled, rls_forced,
                                   grants, exact_grant_roles, comment, renamed_from, row_estimate, origin)

namespace {

// FNV-1a: stable across runs and builds, unlike std::hash.
std::string fnv1a(const std::string& text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

// Positions do not change the normalized form: a table moved within its file keeps its key.
nlohmann::json without_positions(nlohmann::json j) {
  if (j.is_object()) {
    j.erase("origin");
    for (auto& [k, v] : j.items()) v = without_positions(v);
  } else if (j.is_array()) {
    for (auto& v : j) v = without_positions(v);
  }
  return j;
}

std::optional<std::string> read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_atomically(const std::string& dir, const std::string& name, const std::string& text) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  auto tmp = std::filesystem::path(dir) / fmt::format("{}.{}.tmp", name, getpid());
  {
    std::ofstream out(tmp);
    out << text;
    if (!out) return;  // a cache that cannot be written is only slower
  }
  std::filesystem::rename(tmp, std::filesystem::path(dir) / name, ec);
}

}  // namespace

std::string NormalizeCache::table_key(const Table& declared, const std::string& context) {
  return "t" + fnv1a(without_positions(nlohmann::json(declared)).dump() + "\n" + context);
}

std::string NormalizeCache::function_key(const Function& declared, const std::string& context) {
  return "f" + fnv1a(declared.create_sql + "\n" + context);
}

std::optional<Table> NormalizeCache::table(const std::string& key) const {
  if (!enabled()) return std::nullopt;
  auto text = read_file(std::filesystem::path(dir_) / (key + ".json"));
  if (!text) return std::nullopt;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  try {
    return j.get<Table>();
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // an entry of an older format: normalize again
  }
}

std::optional<std::string> NormalizeCache::function(const std::string& key) const {
  if (!enabled()) return std::nullopt;
  return read_file(std::filesystem::path(dir_) / (key + ".sql"));
}

void NormalizeCache::store(const std::string& key, const Table& normalized) const {
  if (enabled()) write_atomically(dir_, key + ".json", nlohmann::json(normalized).dump());
}

void NormalizeCache::store(const std::string& key, const std::string& function_definition) const {
  if (enabled()) write_atomically(dir_, key + ".sql", function_definition);
}

std::string default_cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/schemac";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/schemac";
  return "";
}

}  // namespace schemac
