#pragma once
// The whole desired state: the compiled tables plus the support objects they
// need (schemas, roles, runtime functions, auth stand-ins, extensions).
#include <map>
#include <string>
#include <vector>

#include "compiler/introspect.hpp"
#include "schema/compile.hpp"

namespace schemac {

struct Desired {
  Settings settings;
  Catalog catalog;
  std::map<std::string, std::string> role_attributes;  // roles schemac creates (target postgres)
  std::vector<std::string> required_roles;             // roles the plan needs to exist
  std::vector<std::string> search_path;                // for DDL: user expressions resolve as in the scratch database
  std::vector<std::string> files;

  IntrospectScope scope() const;
  bool creates_auth_standins() const { return settings.target == "postgres"; }
};

Desired desired_state(const CompiledSchema& schema);

}  // namespace schemac
