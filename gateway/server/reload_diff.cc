#include "gateway/server/reload_diff.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/message_differencer.h"

namespace tracegate::server {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using google::protobuf::util::MessageDifferencer;
using tracegate::config::v1::Config;

bool HotReloaded(const std::string& section) {
  return std::find(std::begin(kHotReloadedSections), std::end(kHotReloadedSections), section) !=
         std::end(kHotReloadedSections);
}

bool FieldEquals(const Message& a, const Message& b, const FieldDescriptor* field) {
  MessageDifferencer differ;
  for (int i = 0; i < a.GetDescriptor()->field_count(); ++i) {
    const FieldDescriptor* f = a.GetDescriptor()->field(i);
    if (f != field) differ.IgnoreField(f);
  }
  return differ.Compare(a, b);
}

// "<prefix><field>: changed; ..." for each differing field of `a`/`b` (one level deep for
// sub-messages, so the message names e.g. server.grpc_listen).
void ListChanged(const Message& a, const Message& b, const std::string& prefix, int depth,
                 std::vector<std::string>* out) {
  const auto* descriptor = a.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* f = descriptor->field(i);
    if (FieldEquals(a, b, f)) continue;
    const std::string path = prefix + f->name();
    if (depth > 0 && f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_repeated()) {
      const Reflection* ra = a.GetReflection();
      ListChanged(ra->GetMessage(a, f), b.GetReflection()->GetMessage(b, f), path + ".", depth - 1,
                  out);
      continue;
    }
    out->push_back(absl::StrCat(path, ": changed; takes effect after a restart"));
  }
}

}  // namespace

std::vector<std::string> DescribeChanges(const Config& old, const Config& next) {
  std::vector<std::string> changes;
  absl::flat_hash_map<std::string, const tracegate::config::v1::ApiKey*> before;
  for (const auto& k : old.api_keys()) before[k.name()] = &k;
  absl::flat_hash_map<std::string, bool> seen;
  for (const auto& k : next.api_keys()) {
    seen[k.name()] = true;
    auto it = before.find(k.name());
    if (it == before.end()) {
      changes.push_back(absl::StrCat("api_keys: added \"", k.name(), "\""));
    } else if (!MessageDifferencer::Equals(*it->second, k)) {
      changes.push_back(absl::StrCat("api_keys: \"", k.name(), "\" changed"));
    }
  }
  for (const auto& k : old.api_keys()) {
    if (!seen.contains(k.name())) {
      changes.push_back(absl::StrCat("api_keys: removed \"", k.name(), "\""));
    }
  }
  if (!MessageDifferencer::Equals(old.limits(), next.limits()))
    changes.push_back("limits: changed");
  if (!MessageDifferencer::Equals(old.rate_limits(), next.rate_limits())) {
    changes.push_back("rate_limits: changed");
  }
  if (!MessageDifferencer::Equals(old.export_(), next.export_())) {
    changes.push_back("export: changed (routes get new exporters)");
  }
  if (old.logging().level() != next.logging().level()) changes.push_back("logging.level: changed");
  if (const FieldDescriptor* privacy = Config::descriptor()->FindFieldByName("privacy");
      privacy != nullptr && !FieldEquals(old, next, privacy)) {
    changes.push_back("privacy: changed");
  }
  // A route's own privacy policy (the rest of a route is reported by ExporterSet::Commit).
  const FieldDescriptor* route_privacy =
      tracegate::config::v1::Route::descriptor()->FindFieldByName("privacy");
  for (const auto& r : next.routes()) {
    for (const auto& o : old.routes()) {
      if (route_privacy != nullptr && o.name() == r.name() && !FieldEquals(o, r, route_privacy)) {
        changes.push_back(absl::StrCat("route \"", r.name(), "\": privacy changed"));
      }
    }
  }
  if (old.security().admin_key_sha256() != next.security().admin_key_sha256()) {
    changes.push_back("security.admin_key_sha256: changed");
  }
  return changes;
}

std::vector<std::string> RestartOnlyChanges(const Config& old, const Config& next) {
  std::vector<std::string> out;
  const auto* descriptor = Config::descriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* f = descriptor->field(i);
    if (HotReloaded(f->name()) || FieldEquals(old, next, f)) continue;
    if (f->name() == "security") {
      Config a = old, b = next;
      a.mutable_security()->clear_admin_key_sha256();
      b.mutable_security()->clear_admin_key_sha256();
      ListChanged(a.security(), b.security(), "security.", 1, &out);
      continue;
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_repeated()) {
      ListChanged(old.GetReflection()->GetMessage(old, f),
                  next.GetReflection()->GetMessage(next, f), f->name() + ".", 1, &out);
    } else {
      out.push_back(absl::StrCat(f->name(), ": changed; takes effect after a restart"));
    }
  }
  return out;
}

}  // namespace tracegate::server
