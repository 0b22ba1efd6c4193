// tracegate-null-gateway: the ceiling for benchmarks. It serves tracegate.v1.IngestService
// (the same proto and RPCs as the gateway) and answers every event ACCEPTED at once, in the
// gRPC reactor, without authentication, validation, dedupe, queueing or export. Whatever a
// client reaches against it is the most any gateway could reach on this machine.
//
//   tracegate-null-gateway --listen=127.0.0.1:0 --port_file=/tmp/port
//
// Prints "port N" on stdout once listening (and writes N to --port_file); stops on SIGTERM
// or SIGINT. Thread-safe by construction: each stream has its own reactor and mutex.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <deque>
#include <fstream>
#include <iostream>
#include <memory>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"
#include "tracegate/v1/ingest_service.grpc.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "host:port to listen on (port 0 = any free)");
ABSL_FLAG(std::string, port_file, "", "write the chosen port here");
ABSL_FLAG(bool, echo_ids, true, "echo each event_id in its result (as the gateway does)");

namespace {

using tracegate::v1::IngestRequest;
using tracegate::v1::IngestResponse;

bool g_echo_ids = true;

void Accept(const IngestRequest& request, IngestResponse* response) {
  response->set_batch_id(request.batch_id());
  response->mutable_results()->Reserve(request.events_size());
  for (const auto& event : request.events()) {
    auto* r = response->add_results();
    if (g_echo_ids) r->set_event_id(event.event_id());
    r->set_status(tracegate::v1::EVENT_STATUS_ACCEPTED);
  }
  response->set_accepted(static_cast<uint32_t>(request.events_size()));
}

class Stream final : public grpc::ServerBidiReactor<IngestRequest, IngestResponse> {
 public:
  Stream() { StartRead(&request_); }

  void OnReadDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    if (!ok) {
      reads_done_ = true;
      MaybeFinishLocked();
      return;
    }
    auto response = std::make_unique<IngestResponse>();
    Accept(request_, response.get());
    writes_.push_back(std::move(response));
    if (!writing_) {
      writing_ = true;
      StartWrite(writes_.front().get());
    }
    StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writes_.pop_front();
    writing_ = false;
    if (ok && !writes_.empty()) {
      writing_ = true;
      StartWrite(writes_.front().get());
    }
    if (!ok) writes_.clear();
    MaybeFinishLocked();
  }

  void OnDone() override { delete this; }

 private:
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (reads_done_ && !writing_ && writes_.empty() && !finished_) {
      finished_ = true;
      Finish(grpc::Status::OK);
    }
  }

  absl::Mutex mu_;
  IngestRequest request_;
  std::deque<std::unique_ptr<IngestResponse>> writes_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

class NullService final : public tracegate::v1::IngestService::CallbackService {
  grpc::ServerUnaryReactor* Ingest(grpc::CallbackServerContext* ctx, const IngestRequest* request,
                                   IngestResponse* response) override {
    Accept(*request, response);
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  grpc::ServerBidiReactor<IngestRequest, IngestResponse>* IngestStream(
      grpc::CallbackServerContext*) override {
    return new Stream();
  }
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  g_echo_ids = absl::GetFlag(FLAGS_echo_ids);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  NullService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::cerr << "null-gateway: cannot listen on " << absl::GetFlag(FLAGS_listen) << "\n";
    return 1;
  }
  if (!absl::GetFlag(FLAGS_port_file).empty()) {
    std::ofstream(absl::GetFlag(FLAGS_port_file)) << port << "\n";
  }
  std::cout << "port " << port << std::endl;
  int sig = 0;
  sigwait(&stop, &sig);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return 0;
}
