#include "compiler/normalize_cache.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/hash.hpp"

namespace nlohmann {
template <typename T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& v) {
    if (v)
      j = *v;
    else
      j = nullptr;
  }
  static void from_json(const json& j, std::optional<T>& v) {
    if (j.is_null())
      v.reset();
    else
      v = j.get<T>();
  }
};
}  // namespace nlohmann

namespace schemac {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SourcePos, file, line, column)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(QualifiedName, schema, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Origin, pos, flag)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Column, name, type, nullable, default_expr, comment, renamed_from, volatile_default,
                                   origin, identity, generated, grants)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Constraint, name, kind, columns, expression, ref_table, ref_columns, on_delete,
                                   on_update, definition, validated, origin, comment)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Index, name, keys, where, unique, method, include, include_deleted, definition,
                                   valid, backs_constraint, attached_to, origin, comment)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Trigger, name, timing, events, level, referencing, when, function, args, definition,
                                   origin, firing, comment)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Policy, name, command, roles, using_expr, check_expr, permissive, columns_used,
                                   origin, comment)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Table, name, columns, constraints, indexes, triggers, policies, rls_enabled,
                                   rls_forced, grants, exact_grant_roles, comment, renamed_from, row_estimate, origin,
                                   unlogged, partition_by, partition_of, partition_bound, replica_identity)

namespace {

std::optional<std::string> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
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
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    if (!out) return;  // a cache that cannot be written is only slower
  }
  std::filesystem::rename(tmp, std::filesystem::path(dir) / name, ec);
}

}  // namespace

namespace {

// Every field, unambiguously separated, into one string to hash (cheaper than a JSON tree).
struct Fingerprint {
  std::string text;
  Fingerprint& operator<<(const std::string& s) {
    text += std::to_string(s.size());
    text += ':';
    text += s;
    return *this;
  }
  Fingerprint& operator<<(bool b) { return *this << std::string(b ? "1" : "0"); }
  Fingerprint& operator<<(const std::optional<std::string>& s) {
    return s ? *this << std::string("+") << *s : *this << std::string("-");
  }
  Fingerprint& operator<<(const std::vector<std::string>& v) {
    *this << std::to_string(v.size());
    for (const auto& s : v) *this << s;
    return *this;
  }
  Fingerprint& operator<<(const QualifiedName& q) { return *this << q.schema << q.name; }
};

}  // namespace

std::string NormalizeCache::table_key(const Table& t, const std::string& context) {
  Fingerprint f;
  f << t.name << t.comment << t.renamed_from << t.rls_enabled << t.rls_forced << t.replica_identity;
  for (const auto& c : t.columns) f << c.name << c.type << c.nullable << c.default_expr << c.comment << c.renamed_from;
  for (const auto& c : t.constraints)
    f << c.name << std::to_string(static_cast<int>(c.kind)) << c.columns << c.expression << c.ref_table << c.ref_columns
      << c.on_delete;
  // Only when set: the keys of declarations without it stay what they were.
  for (const auto& c : t.constraints)
    if (!c.on_update.empty()) f << c.name << c.on_update;
  for (const auto& i : t.indexes)
    f << i.name << i.keys << i.where << i.unique << i.method << i.include << i.include_deleted;
  for (const auto& tr : t.triggers)
    f << tr.name << tr.timing << tr.events << tr.level << tr.referencing << tr.when << tr.function << tr.args;
  for (const auto& p : t.policies) f << p.name << p.command << p.roles << p.using_expr << p.check_expr << p.permissive;
  f << context;
  return "t" + hash_text(f.text);
}

std::string NormalizeCache::comparable_digest(const Table& t) {
  std::vector<std::string> parts;
  auto part = [&](auto&&... fields) {
    Fingerprint f;
    (f << ... << fields);
    parts.push_back(std::move(f.text));
  };
  for (const auto& c : t.columns) part(std::string("c"), c.name, c.type, c.nullable, c.default_expr, c.comment);
  for (const auto& c : t.constraints) part(std::string("k"), c.name, c.definition, c.validated, c.comment);
  for (const auto& i : t.indexes)
    part(std::string("i"), i.name, index_shape(i.definition), i.valid, i.attached_to, i.comment);
  for (const auto& tr : t.triggers) part(std::string("t"), tr.name, tr.definition, tr.comment);
  for (const auto& p : t.policies)
    part(std::string("p"), p.name, p.command, p.permissive, p.using_expr, p.check_expr, p.comment);
  part(std::string("comment"), t.comment);
  part(std::string("partition"), t.partition_by, t.partition_of ? t.partition_of->display() : std::string(),
       t.partition_bound);
  std::sort(parts.begin(), parts.end());  // column order and catalog order do not matter
  std::string all;
  for (const auto& p : parts) all += p;
  return hash_text(all);
}

std::map<std::string, std::string> NormalizeCache::digests() const {
  std::map<std::string, std::string> out;
  if (!enabled()) return out;
  auto text = read_file(std::filesystem::path(dir_) / "digests");
  if (!text) return out;
  std::stringstream in(*text);
  std::string key, digest;
  while (in >> key >> digest) out[key] = digest;
  return out;
}

void NormalizeCache::save_digests(const std::map<std::string, std::string>& digests) const {
  if (!enabled()) return;
  std::string text;
  for (const auto& [k, d] : digests) text += k + " " + d + "\n";
  write_atomically(dir_, "digests", text);
}

std::string NormalizeCache::function_key(const Function& declared, const std::string& context) {
  return "f" + hash_text(declared.create_sql + "\n" + context);
}

std::optional<Table> NormalizeCache::table(const std::string& key) const {
  if (!enabled()) return std::nullopt;
  auto text = read_file(std::filesystem::path(dir_) / (key + ".cbor"));
  if (!text) return std::nullopt;
  // CBOR: several times faster to read back than JSON text, which matters at 2,000 tables.
  auto j = nlohmann::json::from_cbor(*text, true, false);
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
  if (!enabled()) return;
  auto cbor = nlohmann::json::to_cbor(nlohmann::json(normalized));
  write_atomically(dir_, key + ".cbor", std::string(cbor.begin(), cbor.end()));
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
