// A fixed pool of threads that runs the blocking part of ingestion (validate … queue) so
// the gRPC reactors never block. Tasks run in submission order per thread, any thread.
//
// Thread-safe. Submit() never blocks: when `max_pending` tasks wait already it returns false
// and the caller answers RESOURCE_EXHAUSTED. Stop() runs the tasks already submitted,
// then joins the threads; later Submit() calls return false.
#pragma once

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace tracegate::receive {

class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_pending);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  bool Submit(std::function<void()> task);
  void Stop();
  size_t pending() const;

 private:
  void Loop();

  const size_t max_pending_;
  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace tracegate::receive
