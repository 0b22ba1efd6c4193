// Parses the `redis.url` setting into the parts a connection needs.
//
//   redis://[[username]:password@]host[:port][/db]
//   redis://:s3cret@redis:6379/2       password "s3cret", database 2
//   redis://app:s3cret@10.0.0.5        ACL user "app", port 6379, database 0
//   redis://[::1]:6380                 IPv6 literal in brackets
//
// User name and password may be percent-encoded ("%40" for "@"). `rediss://` (TLS) is
// refused: the hiredis 0.14 in Debian 12 has no TLS; put a TLS proxy (stunnel, a service
// mesh) in front, or keep Redis on a private network.
// Errors are INVALID_ARGUMENT with a message that never contains the password.
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tracegate::redis {

struct RedisEndpoint {
  std::string host;
  int port = 6379;
  std::string username;  // empty: AUTH <password> (the "default" user)
  std::string password;  // empty: no AUTH
  int db = 0;            // SELECT <db> after connecting when not 0

  // "redis://host:port/db" with the credentials replaced by "***" (safe for logs).
  std::string Redacted() const;
};

absl::StatusOr<RedisEndpoint> ParseRedisUrl(absl::string_view url);

}  // namespace tracegate::redis
