#include "tracegate/client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace tracegate::client {
namespace {

absl::Status FromGrpc(const grpc::Status& st) {
  if (st.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(st.error_code()), st.error_message());
}

constexpr size_t kMaxAppIdBytes = 200;  // the gateway's limit for app_id and request_id

}  // namespace

std::string AppIdProblem(absl::string_view value) {
  if (value.size() > kMaxAppIdBytes) {
    return absl::StrCat("longer than ", kMaxAppIdBytes, " characters");
  }
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return "must not contain control characters";
  }
  return "";
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<std::unique_ptr<Client>> Client::Create(const ClientOptions& given) {
  ClientOptions options = given;
  if (std::string problem = AppIdProblem(options.app_id); !problem.empty()) {
    std::cerr << "tracegate: app_id (TRACEGATE_APP_ID) " << problem << "; it is not sent\n";
    options.app_id.clear();
  }
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (options.tls) {
    grpc::SslCredentialsOptions ssl;
    if (!options.ca_file.empty()) {
      auto ca = ReadFile(options.ca_file);
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
    }
    if (!options.cert_file.empty()) {
      auto cert = ReadFile(options.cert_file);
      if (!cert.ok()) return cert.status();
      auto key = ReadFile(options.key_file);
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    creds = grpc::SslCredentials(ssl);
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 << 20);
  const int max_backoff_ms = static_cast<int>(
      std::max<int64_t>(100, absl::ToInt64Milliseconds(options.max_reconnect_backoff)));
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, max_backoff_ms);
  auto channel = grpc::CreateCustomChannel(options.endpoint, creds, args);
  return std::unique_ptr<Client>(
      new Client(options, tracegate::v1::IngestService::NewStub(channel)));
}

void Client::Prepare(grpc::ClientContext& ctx, absl::Duration timeout) const {
  if (!options_.api_key.empty()) ctx.AddMetadata("authorization", "Bearer " + options_.api_key);
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
}

absl::StatusOr<tracegate::v1::IngestResponse> Client::Send(
    const tracegate::v1::IngestRequest& request) {
  return Send(request, options_.timeout);
}

void Client::StampAppId(tracegate::v1::IngestRequest& request) const {
  if (request.app_id().empty()) request.set_app_id(options_.app_id);
}

absl::StatusOr<tracegate::v1::IngestResponse> Client::Send(
    const tracegate::v1::IngestRequest& request, absl::Duration timeout) {
  grpc::ClientContext ctx;
  Prepare(ctx, timeout);
  tracegate::v1::IngestResponse response;
  grpc::Status st;
  if (!options_.app_id.empty() && request.app_id().empty()) {
    tracegate::v1::IngestRequest stamped = request;
    StampAppId(stamped);
    st = stub_->Ingest(&ctx, stamped, &response);
  } else {
    st = stub_->Ingest(&ctx, request, &response);
  }
  if (!st.ok()) return FromGrpc(st);
  return response;
}

absl::StatusOr<std::vector<tracegate::v1::IngestResponse>> Client::SendStream(
    const std::vector<tracegate::v1::IngestRequest>& requests) {
  grpc::ClientContext ctx;
  Prepare(ctx, options_.timeout);
  auto stream = stub_->IngestStream(&ctx);
  absl::flat_hash_map<uint64_t, size_t> index;
  for (size_t i = 0; i < requests.size(); ++i) {
    tracegate::v1::IngestRequest r = requests[i];
    r.set_batch_id(i + 1);
    StampAppId(r);
    index[i + 1] = i;
    if (!stream->Write(r)) break;
  }
  stream->WritesDone();
  std::vector<tracegate::v1::IngestResponse> out(requests.size());
  size_t answered = 0;
  tracegate::v1::IngestResponse resp;
  while (stream->Read(&resp)) {
    auto it = index.find(resp.batch_id());
    if (it == index.end()) continue;
    resp.set_batch_id(requests[it->second].batch_id());
    out[it->second] = resp;
    ++answered;
  }
  grpc::Status st = stream->Finish();
  if (!st.ok()) return FromGrpc(st);
  if (answered != requests.size()) {
    return absl::UnavailableError(absl::StrCat("stream ended with ", answered, " of ",
                                               requests.size(), " batches answered"));
  }
  return out;
}

}  // namespace tracegate::client
