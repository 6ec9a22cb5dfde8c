// libFuzzer target for the whole front end: the same bytes as a TOML file and
// as a .sql declaration file, each through the same compile_schema `schemac
// check` runs, to a catalog or rendered errors.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "schema/compile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const char* name : {"fuzz.toml", "fuzz.sql"}) {
    schemac::Diagnostics diags;
    const std::vector<schemac::SourceFile> files{{name, text}};
    auto compiled = schemac::compile_schema(files, diags);
    const auto rendered = diags.render();
    // A schema either compiles or says why, never both and never neither.
    if (compiled.has_value() != rendered.empty()) __builtin_trap();
  }
  return 0;
}
