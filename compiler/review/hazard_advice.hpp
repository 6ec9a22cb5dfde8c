#pragma once
// What a reviewer should do about each hazard, in one sentence.
#include <string>

namespace schemac::review {

// "" for a code this version does not know.
std::string hazard_advice(const std::string& code);

}  // namespace schemac::review
