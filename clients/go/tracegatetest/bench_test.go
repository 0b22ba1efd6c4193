package tracegatetest_test

// Time the Go client adds to the caller per traced LLM call. Run through
// bench/clients_ts_go/run.sh, or:
//   TRACEGATE_BUILD_DIR=build go test ./tracegatetest -run '^$' -bench TracedLLMCall -benchtime 200000x

import (
	"context"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/tracegate/tracegate/clients/go/tracegate"
	pb "github.com/tracegate/tracegate/clients/go/tracegatev1"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// generation builds what a traced chat-model call records: messages in and out, model,
// parameters, usage and the trace attributes.
func generation(i int) *pb.TraceEvent {
	start := time.Now()
	params, _ := structpb.NewStruct(map[string]any{"temperature": 0.2, "max_tokens": 256})
	msgs := func(m ...*pb.ChatMessage) *pb.Payload {
		return &pb.Payload{Kind: &pb.Payload_Messages{Messages: &pb.ChatMessages{Messages: m}}}
	}
	return &pb.TraceEvent{Payload: &pb.TraceEvent_Observation{Observation: &pb.Observation{
		Id: fmt.Sprintf("gen-%d", i), TraceId: fmt.Sprintf("bench-trace-%d", i/100),
		Type: pb.ObservationType_OBSERVATION_TYPE_GENERATION, Name: "ChatModel",
		StartTime: timestamppb.New(start), EndTime: timestamppb.Now(),
		Input: msgs(&pb.ChatMessage{Role: "system", Content: "Answer from the context: Tracegate forwards traces."},
			&pb.ChatMessage{Role: "user", Content: "What does Tracegate do?"}),
		Output:          msgs(&pb.ChatMessage{Role: "assistant", Content: "It forwards traces."}),
		Model:           "fake-gpt-4o-mini",
		ModelParameters: params,
		UsageDetails:    map[string]int64{"input": 30, "output": 5, "total": 35},
		Trace:           &pb.TraceAttributes{Name: "bench", Tags: []string{"service:bench"}},
	}}}
}

// cpuTime: CPU time of the whole process (who == RUSAGE_SELF) or of the calling OS thread
// (rusageThread, with runtime.LockOSThread held) so that other processes on a busy machine
// do not count.
func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(who, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const rusageThread = 1 // RUSAGE_THREAD (Linux)

// measure runs f(i) b.N times on a locked OS thread and reports the caller thread's CPU
// per call and the process's CPU per call (which includes the client's background work).
func measure(b *testing.B, f func(i int), after func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	proc0, thr0 := cpuTime(syscall.RUSAGE_SELF), cpuTime(rusageThread)
	for i := 0; i < b.N; i++ {
		f(i)
	}
	thr := cpuTime(rusageThread) - thr0
	b.StopTimer()
	if after != nil {
		after()
	}
	proc := cpuTime(syscall.RUSAGE_SELF) - proc0
	b.ReportMetric(float64(thr.Nanoseconds())/1e3/float64(b.N), "caller-cpu-us/call")
	b.ReportMetric(float64(proc.Nanoseconds())/1e3/float64(b.N), "process-cpu-us/call")
}

// BenchmarkTracedLLMCall: build the generation event and Enqueue it on one goroutine while
// the client sends to the real gateway in the background, then flush.
func BenchmarkTracedLLMCall(b *testing.B) {
	o := rec.ClientOptions()
	o.MaxQueueSize = 10_000_000
	c := tracegate.New(o)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	measure(b, func(i int) { c.Enqueue(generation(i)) }, func() {
		if err := c.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	})
	if s := c.Shutdown(ctx); s.Sent != int64(b.N) {
		b.Fatalf("stats %+v", s)
	}
	_ = rec.Reset()
}

// BenchmarkBuildOnly is the same event built and dropped (the baseline without tracing I/O).
func BenchmarkBuildOnly(b *testing.B) {
	measure(b, func(i int) { _ = generation(i) }, nil)
}

// BenchmarkEnqueueOnly: the Enqueue alone, of events built before the timer starts.
func BenchmarkEnqueueOnly(b *testing.B) {
	o := rec.ClientOptions()
	o.MaxQueueSize = 10_000_000
	c := tracegate.New(o)
	events := make([]*pb.TraceEvent, b.N)
	for i := range events {
		events[i] = generation(i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	measure(b, func(i int) { c.Enqueue(events[i]) }, func() { _ = c.Flush(ctx) })
	c.Shutdown(ctx)
	_ = rec.Reset()
}
