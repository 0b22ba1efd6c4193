#include "gateway/redis/entry_codec.h"

namespace tracegate::redis {
namespace {

constexpr char kEventsTag = (1 << 3) | 2;  // field 1, wire type 2 (length-delimited)

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

}  // namespace

size_t AppendEventRecord(const tracegate::v1::TraceEvent& event, std::string* out) {
  const size_t offset = out->size();
  const size_t size = event.ByteSizeLong();
  out->push_back(kEventsTag);
  AppendVarint(size, out);
  const size_t body = out->size();
  out->resize(body + size);
  event.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(&(*out)[body]));
  return offset;
}

void EncodeRecords(const tracegate::v1::IngestRequest& batch, std::string* buffer,
                   std::vector<absl::string_view>* records) {
  buffer->clear();
  records->clear();
  std::vector<size_t> offsets;
  offsets.reserve(batch.events_size() + 1);
  for (const tracegate::v1::TraceEvent& e : batch.events()) {
    offsets.push_back(AppendEventRecord(e, buffer));
  }
  offsets.push_back(buffer->size());
  for (size_t i = 0; i + 1 < offsets.size(); ++i) {
    records->emplace_back(buffer->data() + offsets[i], offsets[i + 1] - offsets[i]);
  }
}

bool ParseRecords(absl::string_view bytes, tracegate::v1::IngestRequest* batch) {
  return batch->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

bool ParsePayload(absl::string_view bytes, absl::string_view skip,
                  tracegate::v1::IngestRequest* batch) {
  if (!ParseRecords(bytes, batch)) return false;
  if (skip.empty()) return true;
  if (skip.size() != static_cast<size_t>(batch->events_size())) return false;
  int kept = 0;
  for (int i = 0; i < batch->events_size(); ++i) {
    if (skip[i] == '0') continue;
    if (kept != i) batch->mutable_events()->SwapElements(kept, i);
    ++kept;
  }
  batch->mutable_events()->DeleteSubrange(kept, batch->events_size() - kept);
  return true;
}

}  // namespace tracegate::redis
