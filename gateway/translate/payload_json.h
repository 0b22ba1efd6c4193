// Payloads and protobuf structured values as JSON text, in the shapes Langfuse renders.
//
//   text       -> a JSON string
//   json       -> the document itself, re-serialised compactly
//   value      -> the google.protobuf.Value as JSON
//   messages   -> [{"role", "content" (string, or [{"type","text"|"image_url":{"url"}}]),
//                  "tool_calls":[{"id","type":"function","function":{"name","arguments"}}],
//                  "tool_call_id", "name"}], empty fields omitted
//   documents  -> [{"page_content", "metadata":{...}, "id"}] ("id" only when set)
//   (not set)  -> null
// Struct keys are written in sorted order so equal inputs give equal bytes. Numbers that
// are not finite become null.
//
// Functions are pure and thread-safe; they append to a caller-owned buffer so hot paths
// can reuse it. Status: INVALID_ARGUMENT when a `json` payload does not parse (the
// buffer is then left as it was); nothing else fails.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "gateway/translate/json_writer.h"
#include "google/protobuf/struct.pb.h"
#include "tracegate/v1/trace_event.pb.h"

namespace tracegate::translate {

// True when a payload kind is set.
inline bool HasPayload(const v1::Payload& p) { return p.kind_case() != v1::Payload::KIND_NOT_SET; }

absl::Status AppendPayloadJson(const v1::Payload& payload, std::string* out);
absl::StatusOr<std::string> PayloadToJson(const v1::Payload& payload);

void AppendValueJson(const google::protobuf::Value& value, std::string* out);
void AppendStructJson(const google::protobuf::Struct& value, std::string* out);
std::string StructToJson(const google::protobuf::Struct& value);

// Writes the members of `value` (sorted by key) into an object being written, leaving
// out keys listed in `skip`. Used to merge extra keys into user metadata.
void AppendStructMembers(const google::protobuf::Struct& value,
                         absl::Span<const absl::string_view> skip, JsonObjectWriter* obj);

}  // namespace tracegate::translate
