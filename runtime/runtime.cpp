#include "runtime/runtime.hpp"

#include <stdexcept>

namespace schemac::runtime {

std::string render(std::string_view name, const std::map<std::string, std::string>& vars) {
  for (const auto& f : embedded_files()) {
    if (name != f.name) continue;
    std::string text = f.text;
    std::string out;
    std::size_t at = 0;
    while (true) {
      auto open = text.find("{{", at);
      if (open == std::string::npos) break;
      auto close = text.find("}}", open);
      out.append(text, at, open - at);
      auto key = text.substr(open + 2, close - open - 2);
      out += vars.at(key);
      at = close + 2;
    }
    out.append(text, at);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
  }
  throw std::out_of_range("no runtime file " + std::string(name));
}

}  // namespace schemac::runtime
