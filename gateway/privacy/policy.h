// The privacy stage: one workspace route's policy, applied to each valid event after
// validation and before dedupe (receive/ calls it through IngestPipelineOptions::policy).
//
// What Apply() does to an event, in this order (docs/privacy.md has the full story):
//  1. Sampling: a trace is kept with probability sample_rate, decided by trace id
//     (sampler.h); a trace's observations and scores follow it. A dropped event returns
//     false: the caller answers ACCEPTED and counts it as "sampled".
//  2. User ids (Trace.user_id, Observation.trace.user_id): "hash" replaces them with the
//     HMAC-SHA256 hex digest and writes the same digest to that metadata as user_id_hash;
//     "drop" removes them; "keep" leaves them.
//  3. Metadata of traces, observations, trace attributes and scores: metadata_rules.h
//     (drop keys, sensitive keys hashed, scalars only unless allowed, PII masked).
//  4. Inputs and outputs under the capture mode, with their structure: payload_rules.h.
//     Tags, status messages and score comments: PII masked unless capture is full.
//     Credentials (Bearer/Basic values, Langfuse/Tracegate/OpenAI/AWS keys, JWTs) are
//     replaced by "[SECRET]" in every mode.
//  5. Enrichment (unless enrich is off): tags env:<app_env>, service:<service>,
//     ws:<workspace>, app:<app id> (each only when the event has no tag with that prefix)
//     and the configured tags; trace metadata workspace_id, request_id, app_id,
//     langfuse_project, langfuse_dataset and the configured metadata. Observations get
//     them in their trace attributes (created when absent), so every span carries them.
//
//   auto policy = Policy::Create(options);             // options: policy_options.h
//   absl::StatusOr<bool> keep = (*policy)->Apply(event, {.request_id = "r-1"});
//
// Status: Create → INVALID_ARGUMENT for bad options (secret shorter than 16 bytes, bad
// pattern, rate outside 0..1, truncate without a length); messages never contain the secret.
// Apply → INVALID_ARGUMENT when the request's request_id/app_id is longer than 200
// characters or holds control characters. Nothing else fails.
// Thread-safety: immutable after Create; Apply may run on any number of threads.
// Dependencies: none at run time (no I/O); the secret is read by policy_config.h.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/privacy/policy_options.h"
#include "tracegate/v1/trace_event.pb.h"

namespace tracegate::privacy {

namespace internal {
class Rules;
}

// Request-level values for the default tags and metadata (IngestRequest fields).
struct RequestInfo {
  absl::string_view request_id;
  absl::string_view app_id;
};

class Policy {
 public:
  static absl::StatusOr<std::unique_ptr<Policy>> Create(const PolicyOptions& options);
  ~Policy();

  // Rewrites `event` in place; false when it is sampled out (left untouched then).
  absl::StatusOr<bool> Apply(tracegate::v1::TraceEvent& event, const RequestInfo& request) const;

  // The sampling decision alone.
  bool Keep(const tracegate::v1::TraceEvent& event) const;

 private:
  explicit Policy(const PolicyOptions& options);

  template <typename T>
  void TraceLevel(T* t, absl::string_view workspace, const RequestInfo& request) const;
  template <typename T>
  void Enrich(T* t, absl::string_view workspace, const RequestInfo& request) const;

  PolicyOptions options_;  // hmac_secret cleared after Create
  std::string env_tag_;
  std::string service_tag_;
  std::unique_ptr<internal::Rules> rules_;
};

}  // namespace tracegate::privacy
