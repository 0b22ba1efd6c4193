// Internal to privacy/: inputs and outputs (tracegate.v1.Payload) under a policy's
// capture mode, with knowledge of their structure:
//   text       the text
//   json       every string value; object keys kept; values under sensitive keys hashed;
//              drop keys removed; numbers whose digits are PII replaced. Re-serialised
//              (compact) only when something changed.
//   value      like json, on the google.protobuf.Value tree
//   messages   role, name, tool_call_id and tool call ids/names kept; content, text parts
//              and image URLs (not data: URLs in mask/truncate mode) transformed; tool call
//              arguments like json (as text when they do not parse)
//   documents  page_content transformed, metadata like a value tree, id kept
// kDrop: callers remove the payload (ClearPayloads). In kFull only credentials and drop
// keys are removed.
// Never fails: a `json` payload that does not parse is treated as text.
#pragma once

#include "gateway/privacy/rules.h"
#include "google/protobuf/struct.pb.h"
#include "tracegate/v1/trace_event.pb.h"

namespace tracegate::privacy::internal {

void ApplyPayload(const Rules& rules, tracegate::v1::Payload* payload);

// Input and output of a Trace, Observation or TraceAttributes: removed in kDrop, else
// ApplyPayload on each.
template <typename M>
void ApplyInputOutput(const Rules& rules, M* m) {
  if (rules.capture() == CaptureMode::kDrop) {
    m->clear_input();
    m->clear_output();
    return;
  }
  if (m->has_input()) ApplyPayload(rules, m->mutable_input());
  if (m->has_output()) ApplyPayload(rules, m->mutable_output());
}

// A google.protobuf.Struct inside a payload (document metadata).
void ApplyPayloadStruct(const Rules& rules, google::protobuf::Struct* value);

}  // namespace tracegate::privacy::internal
