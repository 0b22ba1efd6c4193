// Who is calling: the result of authenticating an API key. Immutable once built.
#pragma once

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"

namespace tracegate::core {

struct Principal {
  // The key's label from config (safe to log; never the key itself).
  std::string key_name;
  // True when the key lists "*": any workspace that has a route.
  bool any_workspace = false;
  absl::flat_hash_set<std::string> workspaces;

  bool MayWrite(absl::string_view workspace) const {
    return any_workspace || workspaces.contains(workspace);
  }
};

}  // namespace tracegate::core
