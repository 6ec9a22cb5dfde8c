#pragma once
// Writing TOML: the one way schemac quotes a string or a key in the files it
// writes (schemac import, the declarations an apply records).
#include <string>
#include <utility>
#include <vector>

namespace schemac {

// A basic string, every control character escaped: "a \"b\"\n".
std::string toml_string(const std::string& s);
// A key: bare when it can be (letters, digits, '_', '-'), else quoted.
std::string toml_key(const std::string& k);
// Lines "key = value", the = signs aligned.
std::string toml_lines(const std::vector<std::pair<std::string, std::string>>& lines);
// ["a", "b"]
std::string toml_list(const std::vector<std::string>& items);

}  // namespace schemac
