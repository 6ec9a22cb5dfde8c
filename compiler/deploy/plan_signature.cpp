#include "compiler/deploy/plan_signature.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <climits>
#include <cstdlib>
#include <stdexcept>

namespace schemac::plan_signature {

std::string key_from_environment() {
  const char* key = std::getenv(kKeyVariable);
  return key ? key : "";
}

std::string sign(const std::string& body, const std::string& key) {
  if (key.size() > static_cast<std::size_t>(INT_MAX)) throw std::runtime_error("the plan signing key is too long");
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(body.data()),
            body.size(), mac, &length))
    throw std::runtime_error("cannot compute the plan's HMAC-SHA256 (OpenSSL)");
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", mac[i]);
  return hex;
}

bool verify(const std::string& body, const std::string& signature, const std::string& key) {
  const auto expected = sign(body, key);
  // The length is public (always 64); the contents are compared in constant time.
  return signature.size() == expected.size() && CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) == 0;
}

}  // namespace schemac::plan_signature
