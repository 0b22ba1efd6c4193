// How queue entries and dead letters are stored: as protobuf bytes that Lua can splice.
//
// An event "record" is one TraceEvent encoded as the `events` field (number 1, length-
// delimited) of IngestRequest. Any concatenation of records is a valid serialized
// IngestRequest, so a Lua script can build an entry from the fresh events of a batch, or a
// replay entry from dead letters, without knowing protobuf.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "tracegate/v1/ingest_service.pb.h"

namespace tracegate::redis {

// Appends the record of `event` to `out`; returns the record's offset in `out`.
size_t AppendEventRecord(const tracegate::v1::TraceEvent& event, std::string* out);

// Encodes every event of `batch` into `buffer` and points `records` at them (views into
// `buffer`, valid until it changes).
void EncodeRecords(const tracegate::v1::IngestRequest& batch, std::string* buffer,
                   std::vector<absl::string_view>* records);

// Parses concatenated records; false when the bytes are not a valid IngestRequest.
bool ParseRecords(absl::string_view bytes, tracegate::v1::IngestRequest* batch);

// Parses a queue entry's payload and drops the events whose `skip` flag is '0' (the
// duplicates of a partly duplicate batch; empty `skip` keeps all). False when unreadable.
bool ParsePayload(absl::string_view bytes, absl::string_view skip,
                  tracegate::v1::IngestRequest* batch);

}  // namespace tracegate::redis
