#include "gateway/server/reload_snapshot.h"

#include "absl/strings/str_cat.h"
#include "gateway/validate/options.h"

namespace tracegate::server {

absl::StatusOr<std::shared_ptr<Snapshot>> BuildSnapshot(tracegate::config::v1::Config config,
                                                        const Snapshot* previous,
                                                        const SnapshotOptions& options) {
  auto snap = std::make_shared<Snapshot>();
  snap->version = previous != nullptr ? previous->version + 1 : 1;
  snap->config = std::move(config);
  const auto& cfg = snap->config;

  auto authenticator = auth::Authenticator::Create(cfg.api_keys());
  if (!authenticator.ok()) return authenticator.status();
  snap->authenticator = *std::move(authenticator);

  auto router = route::Router::Create(cfg.routes(), options.router);
  if (!router.ok()) return router.status();
  snap->router = *std::move(router);

  snap->validator =
      std::make_unique<validate::Validator>(validate::OptionsFromLimits(cfg.limits()));

  auto limiter = ratelimit::RateLimiter::Create(
      cfg, options.clock, previous != nullptr ? previous->limiter.get() : nullptr);
  if (!limiter.ok()) return limiter.status();
  snap->limiter = *std::move(limiter);

  if (!cfg.security().admin_key_sha256().empty()) {
    google::protobuf::RepeatedPtrField<tracegate::config::v1::ApiKey> admin;
    auto* key = admin.Add();
    key->set_name("admin");
    key->set_sha256(cfg.security().admin_key_sha256());
    key->add_workspaces("*");
    auto checker = auth::Authenticator::Create(admin);
    if (!checker.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("security.admin_key_sha256: ", checker.status().message()));
    }
    snap->admin = *std::move(checker);
  }

  if (!options.make_pipeline) return absl::InvalidArgumentError("make_pipeline is required");
  auto pipeline = options.make_pipeline(*snap);
  if (!pipeline.ok()) return pipeline.status();
  snap->pipeline = *std::move(pipeline);

  Snapshot* raw = snap.get();
  snap->scope.version = snap->version;
  snap->scope.authenticate = [raw](absl::string_view authorization) {
    return raw->authenticator->Authenticate(authorization);
  };
  // Always set: without limits Admit() only counts per key (a few atomic adds).
  snap->scope.admit = [raw](const core::Principal& principal,
                            const tracegate::v1::IngestRequest& request,
                            absl::Duration* retry_after) {
    return raw->limiter->Admit(principal, request, retry_after);
  };
  snap->scope.pipeline = snap->pipeline.get();
  return snap;
}

bool IsAdminKey(const Snapshot& snapshot, absl::string_view authorization) {
  return snapshot.admin != nullptr && snapshot.admin->Authenticate(authorization).ok();
}

}  // namespace tracegate::server
