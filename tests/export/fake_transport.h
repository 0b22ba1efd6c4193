// A scripted HttpTransport for export tests: records every request and answers from a
// queue of scripted results (then from a fallback handler, then 200 "{}").
// Thread-safe, so a test thread may inspect it while an exporter worker posts.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gateway/export/http_transport.h"

namespace tracegate::exporter::testing {

inline HttpResponse Response(int status, std::string body = "{}", HttpHeaders headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

class FakeTransport : public HttpTransport {
 public:
  using Handler = std::function<absl::StatusOr<HttpResponse>(const HttpRequest&)>;

  void Push(absl::StatusOr<HttpResponse> result) {
    absl::MutexLock lock(&mu_);
    script_.push_back(std::move(result));
  }
  // Answers requests once the script is used up.
  void SetHandler(Handler handler) {
    absl::MutexLock lock(&mu_);
    handler_ = std::move(handler);
  }

  absl::StatusOr<HttpResponse> Post(const HttpRequest& request) override {
    return Answer("POST", request);
  }
  absl::StatusOr<HttpResponse> Get(const HttpRequest& request) override {
    return Answer("GET", request);
  }

  std::vector<HttpRequest> requests() const {
    absl::MutexLock lock(&mu_);
    return requests_;
  }
  std::vector<std::string> methods() const {
    absl::MutexLock lock(&mu_);
    return methods_;
  }
  size_t request_count() const {
    absl::MutexLock lock(&mu_);
    return requests_.size();
  }

 private:
  absl::StatusOr<HttpResponse> Answer(const char* method, const HttpRequest& request) {
    Handler handler;
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(request);
      methods_.push_back(method);
      if (!script_.empty()) {
        absl::StatusOr<HttpResponse> next = std::move(script_.front());
        script_.pop_front();
        return next;
      }
      handler = handler_;
    }
    if (handler) return handler(request);
    return Response(200);
  }

  mutable absl::Mutex mu_;
  std::deque<absl::StatusOr<HttpResponse>> script_ ABSL_GUARDED_BY(mu_);
  Handler handler_ ABSL_GUARDED_BY(mu_);
  std::vector<HttpRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> methods_ ABSL_GUARDED_BY(mu_);
};

// Hands out transports that all forward to one shared FakeTransport (for exporter tests
// whose transport_factory must return a fresh unique_ptr per worker).
class ForwardingTransport : public HttpTransport {
 public:
  explicit ForwardingTransport(FakeTransport* target) : target_(target) {}
  absl::StatusOr<HttpResponse> Post(const HttpRequest& r) override { return target_->Post(r); }
  absl::StatusOr<HttpResponse> Get(const HttpRequest& r) override { return target_->Get(r); }

 private:
  FakeTransport* target_;
};

}  // namespace tracegate::exporter::testing
