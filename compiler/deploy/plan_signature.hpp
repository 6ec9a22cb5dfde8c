#pragma once
// Signed saved plans: an HMAC-SHA256 (OpenSSL's libcrypto) of a plan file's
// body under a key shared by the jobs that plan and apply (SCHEMAC_PLAN_KEY).
// The checksum next to it detects accidents; only the signature shows that a
// holder of the key wrote the plan.
#include <string>

namespace schemac::plan_signature {

// The variable that holds the key; unset or empty means no signing and no checking.
constexpr const char* kKeyVariable = "SCHEMAC_PLAN_KEY";

// The key from the environment, empty if there is none.
std::string key_from_environment();

// HMAC-SHA256 of body under key, as 64 lowercase hex digits.
std::string sign(const std::string& body, const std::string& key);

// Whether signature is sign(body, key), compared in constant time.
bool verify(const std::string& body, const std::string& signature, const std::string& key);

}  // namespace schemac::plan_signature
