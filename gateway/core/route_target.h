// Where a workspace's events go: one Langfuse project reached over one egress protocol.
// Built once from config by route/ and shared read-only (shared_ptr<const RouteTarget>).
#pragma once

#include <string>

#include "absl/time/time.h"

namespace tracegate::core {

enum class Egress {
  kOtlp,    // POST /api/public/otel/v1/traces (protobuf, gzip); scores via /ingestion
  kLegacy,  // POST /api/public/ingestion for everything (Langfuse v2/v3)
};

struct RouteTarget {
  std::string name;          // route name: metrics label, queue name
  std::string base_url;      // "http://langfuse-web:3000", no trailing slash
  std::string public_key;    // Langfuse project public key (pk-lf-...)
  std::string secret_key;    // never logged
  Egress egress = Egress::kOtlp;
  // Config said "auto": export/ asks GET /api/public/health at start and sets `egress`
  // (Langfuse >= 3.22 → kOtlp, older → kLegacy).
  bool egress_auto = false;
  std::string environment;   // stamped on events without one; empty = none
  absl::Duration timeout = absl::Seconds(10);
  std::string ca_file;       // for https; empty = system store
};

inline const char* EgressName(Egress e) { return e == Egress::kOtlp ? "otlp" : "legacy"; }

}  // namespace tracegate::core
