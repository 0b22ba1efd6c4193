#include "bench/loadgen/wire.h"

#include "absl/strings/str_cat.h"
#include "tracegate/v1/ingest_service.pb.h"

namespace tracegate::bench {
namespace {

bool ReadVarint(const char*& p, const char* end, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && p < end; shift += 7) {
    const uint8_t b = static_cast<uint8_t>(*p++);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = v;
      return true;
    }
  }
  return false;
}

// Calls on_field(number, wire_type, varint, bytes) for each top-level field.
template <typename F>
bool Walk(absl::string_view bytes, F on_field) {
  const char* p = bytes.data();
  const char* end = p + bytes.size();
  while (p < end) {
    uint64_t key;
    if (!ReadVarint(p, end, &key)) return false;
    const int number = static_cast<int>(key >> 3);
    const int type = static_cast<int>(key & 7);
    uint64_t v = 0;
    absl::string_view sub;
    switch (type) {
      case 0:
        if (!ReadVarint(p, end, &v)) return false;
        break;
      case 1:
        if (end - p < 8) return false;
        p += 8;
        break;
      case 2:
        if (!ReadVarint(p, end, &v) || v > static_cast<uint64_t>(end - p)) return false;
        sub = absl::string_view(p, v);
        p += v;
        break;
      case 5:
        if (end - p < 4) return false;
        p += 4;
        break;
      default:
        return false;
    }
    on_field(number, type, v, sub);
  }
  return true;
}

}  // namespace

bool ReadIngestAnswer(absl::string_view bytes, IngestAnswer* answer) {
  *answer = IngestAnswer();
  return Walk(bytes, [answer](int number, int type, uint64_t v, absl::string_view) {
    if (type != 0) return;
    switch (number) {
      case 2:
        answer->has_batch_id = true;
        answer->batch_id = v;
        break;
      case 3:
        answer->accepted = static_cast<int64_t>(v);
        break;
      case 4:
        answer->duplicate = static_cast<int64_t>(v);
        break;
      case 5:
        answer->rejected = static_cast<int64_t>(v);
        break;
      default:
        break;
    }
  });
}

std::string FirstRejectedReason(absl::string_view bytes) {
  tracegate::v1::IngestResponse response;
  if (!response.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return "unparsable";
  for (const auto& r : response.results()) {
    if (r.status() == tracegate::v1::EVENT_STATUS_REJECTED) {
      return absl::StrCat("code ", r.code(), ": ", r.reason());
    }
  }
  return "";
}

bool ReadOtlpRejectedSpans(absl::string_view bytes, int64_t* rejected) {
  *rejected = 0;
  return Walk(bytes, [rejected](int number, int type, uint64_t, absl::string_view sub) {
    if (number != 1 || type != 2) return;  // partial_success
    Walk(sub, [rejected](int n, int t, uint64_t v, absl::string_view) {
      if (n == 1 && t == 0) *rejected = static_cast<int64_t>(v);
    });
  });
}

}  // namespace tracegate::bench
