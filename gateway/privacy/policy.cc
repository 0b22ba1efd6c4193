#include "gateway/privacy/policy.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/privacy/metadata_rules.h"
#include "gateway/privacy/payload_rules.h"
#include "gateway/privacy/rules.h"
#include "gateway/privacy/sampler.h"

namespace tracegate::privacy {
namespace {

using google::protobuf::Struct;
using internal::Rules;

constexpr size_t kMinSecretBytes = 16;
constexpr size_t kMaxRequestValueChars = 200;
constexpr size_t kMaxTagChars = 200;

absl::Status CheckRequestValue(absl::string_view value, absl::string_view name) {
  if (value.size() > kMaxRequestValueChars) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": longer than ", kMaxRequestValueChars, " characters"));
  }
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": must not contain control characters"));
    }
  }
  return absl::OkStatus();
}

// Adds `tag` unless the list holds a tag starting with `prefix` (the whole tag when
// `prefix` is empty) or the tag is too long for Langfuse.
void AddTag(google::protobuf::RepeatedPtrField<std::string>* tags, absl::string_view prefix,
            absl::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTagChars) return;
  for (const std::string& t : *tags) {
    if (prefix.empty() ? t == tag : absl::StartsWith(t, prefix)) return;
  }
  tags->Add(std::string(tag));
}

void SetString(Struct* s, const std::string& key, absl::string_view value) {
  if (value.empty()) return;
  (*s->mutable_fields())[key].set_string_value(std::string(value));
}

}  // namespace

Policy::Policy(const PolicyOptions& options) : options_(options) {}

Policy::~Policy() = default;

absl::StatusOr<std::unique_ptr<Policy>> Policy::Create(const PolicyOptions& options) {
  if (options.hmac_secret.size() < kMinSecretBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("privacy: the HMAC secret must be at least ", kMinSecretBytes, " bytes"));
  }
  if (options.capture == CaptureMode::kTruncate && options.truncate_chars == 0) {
    return absl::InvalidArgumentError("privacy: truncate needs a length of at least 1");
  }
  if (!(options.sample_rate >= 0.0 && options.sample_rate <= 1.0)) {
    return absl::InvalidArgumentError("privacy: sample_rate must be between 0 and 1");
  }
  auto scanner = PiiScanner::Create(options.patterns);
  if (!scanner.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("privacy: ", scanner.status().message()));
  }
  auto policy = std::unique_ptr<Policy>(new Policy(options));
  policy->rules_ = std::make_unique<Rules>(options, *std::move(scanner));
  // The hasher holds the key's padded states; the key itself is not kept.
  OPENSSL_cleanse(policy->options_.hmac_secret.data(), policy->options_.hmac_secret.size());
  policy->options_.hmac_secret.clear();
  if (!options.app_env.empty()) policy->env_tag_ = absl::StrCat("env:", options.app_env);
  if (!options.service_name.empty()) {
    policy->service_tag_ = absl::StrCat("service:", options.service_name);
  }
  return policy;
}

bool Policy::Keep(const tracegate::v1::TraceEvent& event) const {
  if (options_.sample_rate >= 1.0) return true;
  switch (event.payload_case()) {
    case tracegate::v1::TraceEvent::kTrace:
      return KeepTrace(event.trace().id(), options_.sample_rate);
    case tracegate::v1::TraceEvent::kObservation:
      return KeepTrace(event.observation().trace_id(), options_.sample_rate);
    case tracegate::v1::TraceEvent::kScore:
      // Session scores (no trace) are not sampled.
      return event.score().trace_id().empty() ||
             KeepTrace(event.score().trace_id(), options_.sample_rate);
    default:
      return true;
  }
}

template <typename T>
void Policy::Enrich(T* t, absl::string_view workspace, const RequestInfo& request) const {
  auto* tags = t->mutable_tags();
  AddTag(tags, "env:", env_tag_);
  AddTag(tags, "service:", service_tag_);
  AddTag(tags, "ws:", absl::StrCat("ws:", workspace));
  const absl::string_view app_id =
      request.app_id.empty() ? absl::string_view(options_.app_id) : request.app_id;
  if (!app_id.empty()) AddTag(tags, "app:", absl::StrCat("app:", app_id));
  for (const std::string& tag : options_.tags) AddTag(tags, "", tag);

  Struct* md = t->mutable_metadata();
  SetString(md, "workspace_id", workspace);
  SetString(md, "request_id", request.request_id);
  SetString(md, "app_id", app_id);
  SetString(md, "langfuse_project", options_.langfuse_project);
  SetString(md, "langfuse_dataset", options_.langfuse_dataset);
  for (const auto& [key, value] : options_.metadata) SetString(md, key, value);
}

template <typename T>
void Policy::TraceLevel(T* t, absl::string_view workspace, const RequestInfo& request) const {
  const Rules& rules = *rules_;
  std::string user_hash;
  if (!t->user_id().empty()) {
    if (options_.user_id == UserIdMode::kHash) {
      user_hash = rules.Hash(t->user_id());
      t->set_user_id(user_hash);
    } else if (options_.user_id == UserIdMode::kDrop) {
      t->clear_user_id();
    }
  }
  if (t->has_metadata()) {
    internal::ApplyMetadata(rules, options_.allow_structured_metadata, t->mutable_metadata());
  }
  if (!user_hash.empty()) SetString(t->mutable_metadata(), "user_id_hash", user_hash);
  for (std::string& tag : *t->mutable_tags()) rules.FreeText(&tag);
  internal::ApplyInputOutput(rules, t);
  if (options_.enrich) Enrich(t, workspace, request);
}

absl::StatusOr<bool> Policy::Apply(tracegate::v1::TraceEvent& event,
                                   const RequestInfo& request) const {
  if (!Keep(event)) return false;
  if (absl::Status s = CheckRequestValue(request.request_id, "request_id"); !s.ok()) return s;
  if (absl::Status s = CheckRequestValue(request.app_id, "app_id"); !s.ok()) return s;
  const Rules& rules = *rules_;
  const std::string& workspace = event.workspace();
  switch (event.payload_case()) {
    case tracegate::v1::TraceEvent::kTrace:
      TraceLevel(event.mutable_trace(), workspace, request);
      break;
    case tracegate::v1::TraceEvent::kObservation: {
      tracegate::v1::Observation* o = event.mutable_observation();
      internal::ApplyInputOutput(rules, o);
      if (o->has_metadata()) {
        internal::ApplyMetadata(rules, options_.allow_structured_metadata, o->mutable_metadata());
      }
      if (!o->status_message().empty()) rules.FreeText(o->mutable_status_message());
      if (o->has_trace() || options_.enrich) TraceLevel(o->mutable_trace(), workspace, request);
      break;
    }
    case tracegate::v1::TraceEvent::kScore: {
      tracegate::v1::Score* s = event.mutable_score();
      if (s->has_metadata()) {
        internal::ApplyMetadata(rules, options_.allow_structured_metadata, s->mutable_metadata());
      }
      if (!s->comment().empty()) rules.FreeText(s->mutable_comment());
      break;
    }
    default:
      break;
  }
  return true;
}

}  // namespace tracegate::privacy
