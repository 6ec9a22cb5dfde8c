#pragma once
// Building hostile or huge test input.
#include <string>

namespace schemac::test {

// s, n times, with sep between: repeat("a", 3, " + ") == "a + a + a".
inline std::string repeat(const std::string& s, int n, const std::string& sep = "") {
  std::string out;
  for (int i = 0; i < n; ++i) out += (i ? sep : "") + s;
  return out;
}

}  // namespace schemac::test
