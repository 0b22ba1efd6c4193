#include "gateway/redis/redis_url.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace tracegate::redis {
namespace {

absl::Status Bad(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("redis url: ", why));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Decodes %XX escapes; false when an escape is malformed.
bool PercentDecode(absl::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = HexValue(in[i + 1]);
    const int lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

}  // namespace

std::string RedisEndpoint::Redacted() const {
  const std::string host_part =
      host.find(':') != std::string::npos ? absl::StrCat("[", host, "]") : host;
  std::string creds;
  if (!password.empty()) creds = absl::StrCat(username, ":***@");
  if (!username.empty() && password.empty()) creds = absl::StrCat(username, "@");
  return absl::StrCat("redis://", creds, host_part, ":", port, "/", db);
}

absl::StatusOr<RedisEndpoint> ParseRedisUrl(absl::string_view url) {
  absl::string_view rest = url;
  if (absl::StartsWith(url, "rediss://")) {
    return Bad(
        "rediss:// (TLS) is not supported by this build's hiredis; use redis:// on a "
        "private network or a TLS proxy");
  }
  if (!absl::ConsumePrefix(&rest, "redis://")) return Bad("must start with redis://");
  for (char c : url) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) return Bad("must not contain spaces or control characters");
  }
  if (rest.find('?') != absl::string_view::npos || rest.find('#') != absl::string_view::npos) {
    return Bad("query parameters and fragments are not supported (use redis.key_prefix)");
  }
  RedisEndpoint ep;
  // Credentials: everything before the last '@'.
  const size_t at = rest.rfind('@');
  if (at != absl::string_view::npos) {
    absl::string_view creds = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = creds.find(':');
    absl::string_view user = colon == absl::string_view::npos ? creds : creds.substr(0, colon);
    absl::string_view pass =
        colon == absl::string_view::npos ? absl::string_view() : creds.substr(colon + 1);
    if (!PercentDecode(user, &ep.username)) return Bad("bad %-escape in the user name");
    if (!PercentDecode(pass, &ep.password)) return Bad("bad %-escape in the password");
    if (colon == absl::string_view::npos) {
      // "redis://secret@host" is the common shorthand for a password alone.
      ep.password = std::move(ep.username);
      ep.username.clear();
    }
  }
  // Database: "/<n>" after host[:port].
  const size_t slash = rest.find('/');
  absl::string_view hostport = rest.substr(0, slash);
  if (slash != absl::string_view::npos) {
    absl::string_view db = rest.substr(slash + 1);
    if (!db.empty() && (!absl::SimpleAtoi(db, &ep.db) || ep.db < 0 || ep.db > 1000000)) {
      return Bad("the path must be a database number, e.g. redis://host:6379/0");
    }
  }
  absl::string_view port;
  if (absl::StartsWith(hostport, "[")) {
    const size_t close = hostport.find(']');
    if (close == absl::string_view::npos) return Bad("unterminated [IPv6] host");
    ep.host = std::string(hostport.substr(1, close - 1));
    absl::string_view after = hostport.substr(close + 1);
    if (!after.empty() && !absl::ConsumePrefix(&after, ":")) return Bad("junk after [IPv6] host");
    port = after;
  } else {
    const size_t colon = hostport.rfind(':');
    ep.host = std::string(hostport.substr(0, colon));
    if (colon != absl::string_view::npos) port = hostport.substr(colon + 1);
  }
  if (ep.host.empty()) return Bad("a host is required, e.g. redis://redis:6379/0");
  if (!port.empty() && (!absl::SimpleAtoi(port, &ep.port) || ep.port < 1 || ep.port > 65535)) {
    return Bad("the port must be 1..65535");
  }
  return ep;
}

}  // namespace tracegate::redis
