#pragma once
// One text hash for cache keys, fingerprints and checksums: FNV-1a 64, stable
// across runs, builds and machines (unlike std::hash). It detects changes; it
// is not a signature.
#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace schemac {

inline std::string hash_text(const std::string& text) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

}  // namespace schemac
