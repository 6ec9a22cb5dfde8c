#pragma once
// One text hash for cache keys, fingerprints and checksums: FNV-1a 64, stable
// across runs, builds and machines (unlike std::hash). It detects changes; it
// is not a signature.
#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace schemac {

// Fed in pieces, the same hash as hash_text of the pieces joined.
class TextHash {
 public:
  void add(std::string_view text) {
    for (unsigned char c : text) {
      h_ ^= c;
      h_ *= 1099511628211ULL;
    }
  }
  std::string hex() const { return fmt::format("{:016x}", h_); }

 private:
  std::uint64_t h_ = 14695981039346656037ULL;
};

inline std::string hash_text(const std::string& text) {
  TextHash h;
  h.add(text);
  return h.hex();
}

}  // namespace schemac
