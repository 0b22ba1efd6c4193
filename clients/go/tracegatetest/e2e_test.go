package tracegatetest_test

// The Go client against the real gateway and the Langfuse emulator. Skipped when the
// gateway binary is missing, unless TRACEGATE_REQUIRE_E2E=1 (ctest sets it).

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracegate/tracegate/clients/go/tracegate"
	"github.com/tracegate/tracegate/clients/go/tracegatetest"
	pb "github.com/tracegate/tracegate/clients/go/tracegatev1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var rec *tracegatetest.Recording

func TestMain(m *testing.M) {
	if _, err := tracegatetest.GatewayBinary(); errors.Is(err, tracegatetest.ErrNoGateway) && os.Getenv("TRACEGATE_REQUIRE_E2E") != "1" {
		fmt.Println("skipping e2e tests:", err)
		os.Exit(0)
	}
	var err error
	rec, err = tracegatetest.StartRecording()
	if err != nil {
		fmt.Println("cannot start gateway + emulator:", err)
		os.Exit(1)
	}
	code := m.Run()
	rec.Stop()
	os.Exit(code)
}

type captureLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *captureLogger) Printf(format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *captureLogger) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

func span(traceID, id string) *pb.TraceEvent {
	now := timestamppb.Now()
	return &pb.TraceEvent{Payload: &pb.TraceEvent_Observation{Observation: &pb.Observation{
		Id: id, TraceId: traceID, Type: pb.ObservationType_OBSERVATION_TYPE_SPAN, Name: "work",
		StartTime: now, EndTime: now,
	}}}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func reset(t *testing.T) {
	if err := rec.Reset(); err != nil {
		t.Fatal(err)
	}
}

// spansReceived sums the spans of every accepted OTLP request: equal to the number sent
// only if each span reached Langfuse exactly once.
func spansReceived(s *tracegatetest.State) int {
	n := 0
	for _, r := range s.Requests {
		if st, _ := r["status"].(float64); st == 200 {
			if v, ok := r["n_spans"].(float64); ok {
				n += int(v)
			}
		}
	}
	return n
}

func TestTenThousandEventsFromEightGoroutinesArriveOnce(t *testing.T) {
	reset(t)
	o := rec.ClientOptions()
	o.BatchSize, o.MaxInFlight = 200, 4
	c := tracegate.New(o)
	var wg sync.WaitGroup
	for p := 0; p < 8; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := 0; i < 1250; i++ {
				if !c.Enqueue(span(fmt.Sprintf("go-trace-%d", p), fmt.Sprintf("go-%d-%d", p, i))) {
					t.Error("enqueue refused")
					return
				}
			}
		}(p)
	}
	wg.Wait()
	if err := c.Flush(ctxFor(t, 60*time.Second)); err != nil {
		t.Fatal(err)
	}
	s := c.Shutdown(context.Background())
	if s.Sent != 10_000 || s.Dropped != 0 || s.Rejected != 0 {
		t.Fatalf("stats %+v", s)
	}
	st, err := rec.WaitFor(map[string]int{"observations": 10_000}, 60)
	if err != nil {
		t.Fatal(err)
	}
	if st.Counts["observations"] != 10_000 || spansReceived(st) != 10_000 {
		t.Fatalf("stored %d, spans received %d", st.Counts["observations"], spansReceived(st))
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestGatewayMissingHostUnharmedCountersTell(t *testing.T) {
	log := &captureLogger{}
	c := tracegate.New(tracegate.Options{
		Endpoint: fmt.Sprintf("127.0.0.1:%d", freePort(t)), APIKey: tracegatetest.APIKey,
		Workspace: tracegatetest.Workspace, Logger: log, MaxQueueSize: 300, BatchSize: 50,
		InitialBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, FlushInterval: 10 * time.Millisecond,
	})
	work := 0
	for i := 0; i < 500; i++ {
		c.Enqueue(span("down", fmt.Sprint(i))) // never blocks, never panics
		work += i
		if i%100 == 99 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if work != 124_750 {
		t.Fatal("host work disturbed")
	}
	if err := c.Flush(ctxFor(t, 300*time.Millisecond)); err == nil {
		t.Fatal("flush succeeded with no gateway")
	}
	s := c.Shutdown(ctxFor(t, 100*time.Millisecond))
	if s.Sent != 0 || s.Dropped != 500 || s.Pending != 0 { // at most 300 queued + 2x50 in flight
		t.Fatalf("stats %+v", s)
	}
	if log.count("unavailable") != 1 || log.count("queue full") != 1 {
		t.Fatalf("log %v", log.lines)
	}
}

func TestGatewayRestartResumesDelivery(t *testing.T) {
	reset(t)
	log := &captureLogger{}
	o := rec.ClientOptions()
	o.Logger, o.InitialBackoff, o.MaxBackoff, o.FlushInterval = log, 50*time.Millisecond, 200*time.Millisecond, 10*time.Millisecond
	c := tracegate.New(o)
	for i := 0; i < 100; i++ {
		c.Enqueue(span("restart", fmt.Sprintf("before-%d", i)))
	}
	if err := c.Flush(ctxFor(t, 15*time.Second)); err != nil {
		t.Fatal(err)
	}
	rec.Gateway.Stop()
	for i := 0; i < 200; i++ {
		c.Enqueue(span("restart", fmt.Sprintf("during-%d", i)))
	}
	if err := c.Flush(ctxFor(t, 500*time.Millisecond)); err == nil {
		t.Fatal("flush succeeded while the gateway is down")
	}
	if err := rec.RestartGateway(); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(ctxFor(t, 30*time.Second)); err != nil {
		t.Fatal("delivery did not resume:", err)
	}
	s := c.Shutdown(context.Background())
	st, _ := rec.WaitFor(map[string]int{"observations": 300}, 30)
	if s.Sent != 300 || s.Dropped != 0 || st.Counts["observations"] != 300 || log.count("unavailable") != 1 {
		t.Fatalf("stats %+v stored %d log %v", s, st.Counts["observations"], log.lines)
	}
}

func TestShutdownFlushes(t *testing.T) {
	reset(t)
	o := rec.ClientOptions()
	o.BatchSize, o.FlushInterval = 1000, time.Hour
	c := tracegate.New(o)
	for i := 0; i < 500; i++ {
		c.Enqueue(span("shutdown", fmt.Sprint(i)))
	}
	s := c.Shutdown(ctxFor(t, 15*time.Second))
	st, _ := rec.WaitFor(map[string]int{"observations": 500}, 15)
	if s.Sent != 500 || st.Counts["observations"] != 500 {
		t.Fatalf("stats %+v stored %d", s, st.Counts["observations"])
	}
}

func TestRejectedCountedLoggedOnce(t *testing.T) {
	reset(t)
	log := &captureLogger{}
	o := rec.ClientOptions()
	o.Logger = log
	c := tracegate.New(o)
	bad := func(id string) *pb.TraceEvent {
		ev := span("rejects", id)
		ob := ev.GetObservation()
		ob.EndTime = timestamppb.New(ob.StartTime.AsTime().Add(-10 * time.Second))
		return ev
	}
	c.Enqueue(bad("bad-1"))
	c.Enqueue(span("rejects", "good-1"))
	c.Enqueue(bad("bad-2"))
	s := c.Shutdown(ctxFor(t, 15*time.Second))
	if s.Rejected != 2 || s.Sent != 1 || log.count("REJECTED InvalidArgument") != 1 || log.count("end_time") != 1 {
		t.Fatalf("stats %+v log %v", s, log.lines)
	}
	if st, _ := rec.WaitFor(map[string]int{"observations": 1}, 15); st.Counts["observations"] != 1 {
		t.Fatalf("stored %d", st.Counts["observations"])
	}
}

func TestWrongKeyOneWarning(t *testing.T) {
	log := &captureLogger{}
	o := rec.ClientOptions()
	o.APIKey, o.Logger = "tg_wrong", log
	c := tracegate.New(o)
	for i := 0; i < 20; i++ {
		c.Enqueue(span("key", fmt.Sprint(i)))
	}
	_ = c.Flush(ctxFor(t, 10*time.Second))
	c.Enqueue(span("key", "late"))
	s := c.Shutdown(ctxFor(t, time.Second))
	if s.Dropped != 21 || s.Sent != 0 || len(log.lines) != 1 || log.count("Unauthenticated") != 1 {
		t.Fatalf("stats %+v log %v", s, log.lines)
	}
}

func TestLargeEventsAndInvalidUTF8Arrive(t *testing.T) {
	// 20 x 900 KB is more than the gateway takes in one request (16 MiB), and grpc-go
	// refuses to marshal a string that is not UTF-8: both used to be retried forever.
	reset(t)
	log := &captureLogger{}
	o := rec.ClientOptions()
	o.Logger = log
	c := tracegate.New(o)
	for i := 0; i < 20; i++ {
		ev := span("go-awkward", fmt.Sprintf("big-%d", i))
		ev.GetObservation().StatusMessage = strings.Repeat("x", 900_000)
		c.Enqueue(ev)
	}
	bad := span("go-awkward", "bad")
	bad.GetObservation().Name = "bad-\xff-name"
	c.Enqueue(bad)
	if err := c.Flush(ctxFor(t, 60*time.Second)); err != nil {
		t.Fatalf("%v; stats %+v log %v", err, c.Stats(), log.lines)
	}
	s := c.Shutdown(context.Background())
	if s.Sent != 21 || s.Dropped != 0 || s.Rejected != 0 || s.Retries != 0 || len(log.lines) != 0 {
		t.Fatalf("stats %+v log %v", s, log.lines)
	}
	st, err := rec.WaitFor(map[string]int{"observations": 21}, 60)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]int{}
	for _, ob := range st.Observations {
		name, _ := ob["name"].(string)
		names[name]++
	}
	if st.Counts["observations"] != 21 || names["bad-\uFFFD-name"] != 1 || names["work"] != 20 {
		t.Fatalf("stored %d, names %v", st.Counts["observations"], names)
	}
}

// The shared recording turns enrichment off; this test runs its own gateway with it on, so
// that the gateway stamps the tag app:<id> and the metadata app_id from the request's app_id.
func TestAppIDBecomesAppTagAndMetadata(t *testing.T) {
	emu, err := tracegatetest.StartEmulator()
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Stop()
	config := strings.Replace(tracegatetest.GatewayConfig(emu.URL(), "127.0.0.1:0"), "enrich: false", "enrich: true", 1)
	if !strings.Contains(config, "enrich: true") {
		t.Fatal("the harness config has no enrich setting to turn on")
	}
	gw, err := tracegatetest.StartGateway(config)
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Stop()
	c := tracegate.New(tracegate.Options{Endpoint: gw.Endpoint(), APIKey: tracegatetest.APIKey,
		Workspace: tracegatetest.Workspace, AppID: "checkout-web"})
	c.Enqueue(&pb.TraceEvent{Payload: &pb.TraceEvent_Trace{Trace: &pb.Trace{Id: "trace-app-id", Name: "app-id-trace"}}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if st := c.Shutdown(ctx); st.Sent != 1 {
		t.Fatalf("stats %+v", st)
	}
	state, err := emu.WaitFor(map[string]int{"traces": 1}, 30)
	if err != nil {
		t.Fatal(err)
	}
	if len(state.Traces) != 1 {
		t.Fatalf("traces: %v", state.Traces)
	}
	for _, tr := range state.Traces {
		tags, _ := tr["tags"].([]any)
		found := false
		for _, tag := range tags {
			found = found || tag == "app:checkout-web"
		}
		meta, _ := tr["metadata"].(map[string]any)
		if !found || meta["app_id"] != "checkout-web" {
			t.Fatalf("trace without app:checkout-web / metadata app_id: %v", tr)
		}
	}
}
