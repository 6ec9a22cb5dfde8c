// libFuzzer target for the whole front end: bytes as a TOML file, through the
// same compile_schema `schemac check` runs, to a catalog or rendered errors.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "schema/compile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  schemac::Diagnostics diags;
  const std::vector<schemac::SourceFile> files{{"fuzz.toml", std::string(reinterpret_cast<const char*>(data), size)}};
  auto compiled = schemac::compile_schema(files, diags);
  const auto rendered = diags.render();
  // A schema either compiles or says why, never both and never neither.
  if (compiled.has_value() == rendered.empty()) return 0;
  __builtin_trap();
}
