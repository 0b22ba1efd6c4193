#include "gateway/translate/iso_time.h"

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace tracegate::translate {
namespace {

void AppendDigits(int64_t value, int width, std::string* out) {
  char buf[20];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out->append(buf, static_cast<size_t>(width));
}

}  // namespace

uint64_t ToUnixNanos(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() < 0) return 0;
  int32_t nanos = ts.nanos() < 0 ? 0 : ts.nanos();
  return static_cast<uint64_t>(ts.seconds()) * 1000000000ull + static_cast<uint64_t>(nanos);
}

void AppendIso8601Micros(const google::protobuf::Timestamp& ts, std::string* out) {
  absl::Time t = absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
  absl::CivilSecond cs = absl::ToCivilSecond(t, absl::UTCTimeZone());
  int64_t micros = absl::ToInt64Microseconds(t - absl::FromCivil(cs, absl::UTCTimeZone()));
  int64_t year = cs.year();
  if (year < 0) year = 0;
  AppendDigits(year > 9999 ? 9999 : year, 4, out);
  out->push_back('-');
  AppendDigits(cs.month(), 2, out);
  out->push_back('-');
  AppendDigits(cs.day(), 2, out);
  out->push_back('T');
  AppendDigits(cs.hour(), 2, out);
  out->push_back(':');
  AppendDigits(cs.minute(), 2, out);
  out->push_back(':');
  AppendDigits(cs.second(), 2, out);
  out->push_back('.');
  AppendDigits(micros, 6, out);
  out->push_back('Z');
}

std::string Iso8601Micros(const google::protobuf::Timestamp& ts) {
  std::string out;
  out.reserve(27);
  AppendIso8601Micros(ts, &out);
  return out;
}

}  // namespace tracegate::translate
