#include "gateway/export/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <climits>

#include "absl/strings/str_cat.h"

namespace tracegate::exporter {
namespace {

constexpr int kGzipWindowBits = 15 + 16;  // 32 KiB window, gzip header and trailer
constexpr int kAutoWindowBits = 15 + 32;  // inflate: detect gzip or zlib header
constexpr size_t kChunk = 64 << 10;

}  // namespace

absl::StatusOr<std::string> Gzip(absl::string_view data, int level) {
  if (level < 0 || level > 9) {
    return absl::InvalidArgumentError(absl::StrCat("gzip level ", level, " is not in 0..9"));
  }
  z_stream stream{};
  if (deflateInit2(&stream, level, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return absl::InternalError("deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&stream, static_cast<uLong>(std::min<size_t>(data.size(), ULONG_MAX))));
  size_t produced = 0;
  size_t consumed = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    size_t in_now = std::min<size_t>(data.size() - consumed, UINT_MAX);
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + consumed));
    stream.avail_in = static_cast<uInt>(in_now);
    if (out.size() - produced < kChunk) out.resize(out.size() + kChunk);
    size_t out_now = std::min<size_t>(out.size() - produced, UINT_MAX);
    stream.next_out = reinterpret_cast<Bytef*>(&out[produced]);
    stream.avail_out = static_cast<uInt>(out_now);
    bool last = consumed + in_now == data.size();
    rc = deflate(&stream, last ? Z_FINISH : Z_NO_FLUSH);
    if (rc == Z_STREAM_ERROR) {
      deflateEnd(&stream);
      return absl::InternalError("deflate failed");
    }
    consumed += in_now - stream.avail_in;
    produced += out_now - stream.avail_out;
  }
  deflateEnd(&stream);
  out.resize(produced);
  return out;
}

absl::StatusOr<std::string> Gunzip(absl::string_view data, size_t max_output) {
  z_stream stream{};
  if (inflateInit2(&stream, kAutoWindowBits) != Z_OK) {
    return absl::InternalError("inflateInit2 failed");
  }
  std::string out;
  size_t consumed = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    size_t in_now = std::min<size_t>(data.size() - consumed, UINT_MAX);
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + consumed));
    stream.avail_in = static_cast<uInt>(in_now);
    size_t before = out.size();
    out.resize(before + kChunk);
    stream.next_out = reinterpret_cast<Bytef*>(&out[before]);
    stream.avail_out = static_cast<uInt>(kChunk);
    rc = inflate(&stream, Z_NO_FLUSH);
    consumed += in_now - stream.avail_in;
    out.resize(before + (kChunk - stream.avail_out));
    bool stuck = rc == Z_BUF_ERROR && stream.avail_in == 0 && consumed == data.size();
    if ((rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) || stuck) {
      inflateEnd(&stream);
      return absl::InvalidArgumentError("gunzip: not a complete gzip stream");
    }
    if (out.size() > max_output) {
      inflateEnd(&stream);
      return absl::InvalidArgumentError(absl::StrCat("gunzip: output exceeds ", max_output));
    }
  }
  inflateEnd(&stream);
  return out;
}

}  // namespace tracegate::exporter
