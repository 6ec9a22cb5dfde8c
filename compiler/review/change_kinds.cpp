#include "compiler/review/change_kinds.hpp"

#include <array>
#include <cctype>
#include <utility>
#include <vector>

namespace schemac::review {

namespace {

// The statement's leading keywords, upper case, quoted identifiers and
// everything from the first parenthesis on left out: "ALTER TABLE ADD
// CONSTRAINT" for ALTER TABLE "public"."x" ADD CONSTRAINT "c" CHECK (...).
std::vector<std::string> leading_words(const std::string& sql, std::size_t max_words) {
  std::vector<std::string> words;
  std::string word;
  bool quoted = false;
  auto flush = [&] {
    if (!word.empty()) words.push_back(word);
    word.clear();
  };
  for (char c : sql) {
    if (words.size() >= max_words) break;
    if (c == '"') {
      quoted = !quoted;
      flush();
      continue;
    }
    if (quoted) continue;
    if (c == '(' || c == ';' || c == '\'') break;
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_')
      word += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    else
      flush();
  }
  flush();
  return words;
}

bool has(const std::vector<std::string>& words, const char* w) {
  for (const auto& x : words)
    if (x == w) return true;
  return false;
}

}  // namespace

std::string change_kind(const Step& step) {
  const auto w = leading_words(step.sql, 12);
  if (w.empty()) return "other";
  if (w[0] == "COMMENT") return "comment";
  if (w[0] == "GRANT" || w[0] == "REVOKE" || has(w, "PRIVILEGES")) return "privileges";
  if (w[0] == "DO" || w[0] == "UPDATE" || w[0] == "SELECT") return "data";
  if (has(w, "POLICY")) return "policy";
  if (has(w, "TRIGGER")) return "trigger";
  if (has(w, "INDEX")) return "index";
  if (has(w, "FUNCTION") || has(w, "PROCEDURE")) return "function";
  if (has(w, "SECURITY") && has(w, "LEVEL")) return "row level security";
  if (has(w, "IDENTITY") && has(w, "REPLICA")) return "replica identity";
  if (has(w, "PARTITION")) return "partition";
  if (has(w, "CONSTRAINT")) return "constraint";
  if (w[0] == "ALTER" && w.size() > 1 && w[1] == "TABLE") {
    if (has(w, "COLUMN") || has(w, "ADD") || has(w, "SET") || has(w, "DROP")) return "column";
    return "table";
  }
  constexpr std::array<std::pair<const char*, const char*>, 10> kObjects = {{{"MATERIALIZED", "materialized view"},
                                                                             {"VIEW", "view"},
                                                                             {"TABLE", "table"},
                                                                             {"TYPE", "type"},
                                                                             {"SEQUENCE", "sequence"},
                                                                             {"PUBLICATION", "publication"},
                                                                             {"EXTENSION", "extension"},
                                                                             {"SCHEMA", "schema"},
                                                                             {"ROLE", "role"},
                                                                             {"DOMAIN", "domain"}}};
  for (const auto& [keyword, kind] : kObjects)
    if (has(w, keyword)) return kind;
  return "other";
}

}  // namespace schemac::review
