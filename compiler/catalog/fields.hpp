#pragma once
// Reading the values the catalog queries return: NULL as empty text, and the
// JSON arrays (to_json(ARRAY(...))) they aggregate lists into.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace schemac::catalog {

inline std::string str(const pqxx::field& f) {
  return f.is_null() ? std::string{} : f.as<std::string>();
}

inline std::vector<std::string> json_strings(const pqxx::field& f) {
  std::vector<std::string> out;
  if (f.is_null()) return out;
  for (const auto& v : nlohmann::json::parse(f.as<std::string>())) out.push_back(v.get<std::string>());
  return out;
}

}  // namespace schemac::catalog
