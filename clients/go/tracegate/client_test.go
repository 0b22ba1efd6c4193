package tracegate_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracegate/tracegate/clients/go/tracegate"
	pb "github.com/tracegate/tracegate/clients/go/tracegatev1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// fakeGateway is a scripted Transport that records every request.
type fakeGateway struct {
	mu       sync.Mutex
	requests [][]string // event ids per request
	appIDs   []string   // IngestRequest.app_id per request
	answer   func(req *pb.IngestRequest, n int) (*pb.IngestResponse, error)
	closed   int
}

func (f *fakeGateway) Ingest(ctx context.Context, req *pb.IngestRequest) (*pb.IngestResponse, error) {
	ids := make([]string, len(req.Events))
	for i, e := range req.Events {
		ids[i] = e.EventId
	}
	f.mu.Lock()
	f.requests = append(f.requests, ids)
	f.appIDs = append(f.appIDs, req.AppId)
	n := len(f.requests)
	f.mu.Unlock()
	if f.answer == nil {
		return acceptAll(req), nil
	}
	return f.answer(req, n)
}

func (f *fakeGateway) Close() error {
	f.mu.Lock()
	f.closed++
	f.mu.Unlock()
	return nil
}

func (f *fakeGateway) calls() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]string(nil), f.requests...)
}

func acceptAll(req *pb.IngestRequest) *pb.IngestResponse {
	res := &pb.IngestResponse{BatchId: req.BatchId}
	for _, e := range req.Events {
		res.Results = append(res.Results, &pb.EventResult{EventId: e.EventId, Status: pb.EventStatus_EVENT_STATUS_ACCEPTED})
	}
	return res
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

func (l *captureLogger) matching(sub string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			out = append(out, s)
		}
	}
	return out
}

func span(traceID, id string) *pb.TraceEvent {
	now := timestamppb.Now()
	return &pb.TraceEvent{Payload: &pb.TraceEvent_Observation{Observation: &pb.Observation{
		Id: id, TraceId: traceID, Type: pb.ObservationType_OBSERVATION_TYPE_SPAN, Name: "work",
		StartTime: now, EndTime: now,
	}}}
}

func newClient(t *testing.T, f *fakeGateway, log *captureLogger, mod func(*tracegate.Options)) *tracegate.Client {
	t.Helper()
	o := tracegate.Options{APIKey: "k", Workspace: "ws", Transport: f, Logger: log,
		InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, FlushInterval: time.Hour}
	if mod != nil {
		mod(&o)
	}
	return tracegate.New(o)
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestBatchesAndCounts(t *testing.T) {
	f, log := &fakeGateway{}, &captureLogger{}
	c := newClient(t, f, log, func(o *tracegate.Options) { o.BatchSize = 100 })
	for i := 0; i < 250; i++ {
		if !c.Enqueue(span("t", fmt.Sprint(i))) {
			t.Fatal("enqueue refused")
		}
	}
	if err := c.Flush(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	s := c.Shutdown(context.Background())
	if s != (tracegate.Stats{Sent: 250}) {
		t.Fatalf("stats %+v", s)
	}
	seen := map[string]bool{}
	for _, r := range f.calls() {
		if len(r) > 100 {
			t.Fatalf("batch of %d", len(r))
		}
		for _, id := range r {
			if id == "" || seen[id] {
				t.Fatalf("bad or repeated event id %q", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != 250 || len(log.lines) != 0 || f.closed != 1 {
		t.Fatalf("seen %d, log %v, closed %d", len(seen), log.lines, f.closed)
	}
}

func TestTransientFailuresRetrySameIDsOneWarning(t *testing.T) {
	f, log := &fakeGateway{}, &captureLogger{}
	f.answer = func(req *pb.IngestRequest, n int) (*pb.IngestResponse, error) {
		if n <= 3 {
			return nil, status.Error(codes.Unavailable, "connection refused")
		}
		return acceptAll(req), nil
	}
	c := newClient(t, f, log, func(o *tracegate.Options) { o.MaxInFlight = 1 })
	for i := 0; i < 5; i++ {
		c.Enqueue(span("t", fmt.Sprint(i)))
	}
	if err := c.Flush(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	calls := f.calls()
	if len(calls) != 4 {
		t.Fatalf("%d calls", len(calls))
	}
	for _, r := range calls {
		if strings.Join(r, ",") != strings.Join(calls[0], ",") {
			t.Fatalf("ids changed between attempts: %v vs %v", r, calls[0])
		}
	}
	s := c.Shutdown(context.Background())
	if s.Sent != 5 || s.Retries != 15 || len(log.lines) != 1 || !strings.Contains(log.lines[0], "Unavailable") {
		t.Fatalf("stats %+v log %v", s, log.lines)
	}
}

func TestRejectedLoggedOnceNotRetried(t *testing.T) {
	f, log := &fakeGateway{}, &captureLogger{}
	f.answer = func(req *pb.IngestRequest, n int) (*pb.IngestResponse, error) {
		res := acceptAll(req)
		for i, r := range res.Results {
			if i%2 == 0 {
				r.Status, r.Code, r.Reason = pb.EventStatus_EVENT_STATUS_REJECTED, int32(codes.InvalidArgument), "observation.name: required"
			} else {
				r.Status = pb.EventStatus_EVENT_STATUS_DUPLICATE
			}
		}
		return res, nil
	}
	c := newClient(t, f, log, nil)
	for i := 0; i < 10; i++ {
		c.Enqueue(span("t", fmt.Sprint(i)))
	}
	s := c.Shutdown(ctxFor(t, 5*time.Second))
	if s.Rejected != 5 || s.Sent != 5 || s.Duplicate != 5 || len(f.calls()) != 1 {
		t.Fatalf("stats %+v calls %d", s, len(f.calls()))
	}
	if got := log.matching("REJECTED InvalidArgument: observation.name: required (not retried)"); len(got) != 1 || len(log.lines) != 1 {
		t.Fatalf("log %v", log.lines)
	}
}

func TestRetryableRejectionResentWithSameID(t *testing.T) {
	f, log := &fakeGateway{}, &captureLogger{}
	f.answer = func(req *pb.IngestRequest, n int) (*pb.IngestResponse, error) {
		res := acceptAll(req)
		if n == 1 {
			r := res.Results[1]
			r.Status, r.Code, r.RetryAfter = pb.EventStatus_EVENT_STATUS_REJECTED, int32(codes.ResourceExhausted), durationpb.New(time.Millisecond)
		}
		return res, nil
	}
	c := newClient(t, f, log, nil)
	a, b := span("t", "a"), span("t", "b")
	a.EventId, b.EventId = "e-a", "e-b"
	c.Enqueue(a)
	c.Enqueue(b)
	s := c.Shutdown(ctxFor(t, 5*time.Second))
	calls := f.calls()
	if len(calls) != 2 || strings.Join(calls[1], ",") != "e-b" || s.Sent != 2 || s.Rejected != 0 {
		t.Fatalf("calls %v stats %+v", calls, s)
	}
}

func TestMisconfiguredOneWarningThenDrops(t *testing.T) {
	f, log := &fakeGateway{}, &captureLogger{}
	f.answer = func(*pb.IngestRequest, int) (*pb.IngestResponse, error) {
		return nil, status.Error(codes.Unauthenticated, "unknown API key")
	}
	c := newClient(t, f, log, func(o *tracegate.Options) { o.MaxInFlight = 1 })
	for i := 0; i < 7; i++ {
		c.Enqueue(span("t", fmt.Sprint(i)))
	}
	_ = c.Flush(ctxFor(t, 5*time.Second))
	for i := 0; i < 3; i++ {
		if c.Enqueue(span("t", "late")) {
			t.Fatal("misconfigured client accepted an event")
		}
	}
	s := c.Shutdown(context.Background())
	if s.Dropped != 10 || s.Sent != 0 || len(f.calls()) != 1 || len(log.lines) != 1 {
		t.Fatalf("stats %+v calls %d log %v", s, len(f.calls()), log.lines)
	}
}

func TestNoAPIKeyWarnsAndDrops(t *testing.T) {
	log := &captureLogger{}
	c := tracegate.New(tracegate.Options{Endpoint: "127.0.0.1:1", Logger: log})
	if c.Enqueue(span("t", "x")) {
		t.Fatal("accepted without a key")
	}
	if s := c.Shutdown(context.Background()); s.Dropped != 1 || len(log.matching("no API key")) != 1 {
		t.Fatalf("stats %+v log %v", s, log.lines)
	}
}

func TestBoundedQueueAndShutdownDeadline(t *testing.T) {
	release := make(chan struct{})
	f, log := &fakeGateway{}, &captureLogger{}
	f.answer = func(req *pb.IngestRequest, n int) (*pb.IngestResponse, error) {
		<-release // a gateway that hangs (and ignores cancellation)
		return acceptAll(req), nil
	}
	c := newClient(t, f, log, func(o *tracegate.Options) { o.MaxQueueSize, o.BatchSize, o.MaxInFlight = 10, 5, 1 })
	accepted := 0
	for i := 0; i < 30; i++ {
		if c.Enqueue(span("t", fmt.Sprint(i))) {
			accepted++
		}
	}
	if accepted < 10 || accepted > 15 || c.Stats().Dropped != int64(30-accepted) {
		t.Fatalf("accepted %d, stats %+v", accepted, c.Stats())
	}
	if len(log.matching("queue full")) != 1 {
		t.Fatalf("log %v", log.lines)
	}
	// The gateway still hangs (and ignores cancellation): Shutdown gives up at its deadline.
	s := c.Shutdown(ctxFor(t, 50*time.Millisecond))
	close(release)
	if s.Sent != 0 || s.Dropped != 30 || s.Pending != 0 {
		t.Fatalf("stats %+v", s)
	}
	time.Sleep(10 * time.Millisecond) // the late answer must not be counted
	if s2 := c.Stats(); s2 != s {
		t.Fatalf("late answer changed the counters: %+v -> %+v", s, s2)
	}
}

func TestConcurrentProducers(t *testing.T) {
	f, log := &fakeGateway{}, &captureLogger{}
	c := newClient(t, f, log, func(o *tracegate.Options) { o.BatchSize, o.MaxInFlight = 64, 4 })
	var wg sync.WaitGroup
	for p := 0; p < 8; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				c.Enqueue(span("t", fmt.Sprintf("%d-%d", p, i)))
			}
		}(p)
	}
	wg.Wait()
	s := c.Shutdown(ctxFor(t, 10*time.Second))
	total := 0
	seen := map[string]bool{}
	for _, r := range f.calls() {
		for _, id := range r {
			if seen[id] {
				t.Fatalf("event %s sent twice", id)
			}
			seen[id] = true
			total++
		}
	}
	if s.Sent != 8000 || total != 8000 {
		t.Fatalf("stats %+v total %d", s, total)
	}
}

func TestEnvironmentStampAndNil(t *testing.T) {
	f := &fakeGateway{}
	var got []string
	f.answer = func(req *pb.IngestRequest, n int) (*pb.IngestResponse, error) {
		for _, e := range req.Events {
			got = append(got, e.GetTrace().GetEnvironment())
		}
		return acceptAll(req), nil
	}
	c := newClient(t, f, &captureLogger{}, func(o *tracegate.Options) { o.Environment, o.MaxInFlight = "Staging", 1 })
	if c.Enqueue(nil) {
		t.Fatal("nil accepted")
	}
	c.Enqueue(&pb.TraceEvent{Payload: &pb.TraceEvent_Trace{Trace: &pb.Trace{Id: "t1"}}})
	c.Enqueue(&pb.TraceEvent{Payload: &pb.TraceEvent_Trace{Trace: &pb.Trace{Id: "t2", Environment: "prod"}}})
	c.Shutdown(ctxFor(t, 5*time.Second))
	if strings.Join(got, ",") != "staging,prod" {
		t.Fatalf("environments %v", got)
	}
}

func TestOptionsFromEnv(t *testing.T) {
	t.Setenv("TRACEGATE_ENDPOINT", "gw:443")
	t.Setenv("TRACEGATE_API_KEY", "tg_x")
	t.Setenv("TRACEGATE_WORKSPACE", "team")
	t.Setenv("APP_ENV", "prod")
	t.Setenv("TRACEGATE_CA_FILE", "/ca.pem")
	o := tracegate.OptionsFromEnv()
	if o.Endpoint != "gw:443" || o.APIKey != "tg_x" || o.Workspace != "team" || o.Environment != "prod" ||
		o.TLS == nil || o.TLS.CAFile != "/ca.pem" {
		t.Fatalf("%+v", o)
	}
	t.Setenv("TRACEGATE_TLS", "false")
	if tracegate.OptionsFromEnv().TLS != nil {
		t.Fatal("TRACEGATE_TLS=false must win")
	}
	if tracegate.SanitizeEnvironment("langfuse-x") != "" || tracegate.SanitizeEnvironment("Bad Env") != "" {
		t.Fatal("invalid environments must be dropped")
	}
}

func TestAppIDSentOnEveryRequest(t *testing.T) {
	t.Setenv("TRACEGATE_APP_ID", "from-env")
	if got := tracegate.OptionsFromEnv().AppID; got != "from-env" {
		t.Fatalf("OptionsFromEnv().AppID = %q", got)
	}
	f := &fakeGateway{}
	log := &captureLogger{}
	c := newClient(t, f, log, func(o *tracegate.Options) { o.BatchSize = 2; o.AppID = "checkout-web" })
	for i := 0; i < 5; i++ {
		c.Enqueue(span("t", fmt.Sprintf("o%d", i)))
	}
	if err := c.Flush(ctxFor(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	c.Shutdown(ctxFor(t, 5*time.Second))
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.appIDs) != 3 {
		t.Fatalf("requests: %d", len(f.appIDs))
	}
	for _, id := range f.appIDs {
		if id != "checkout-web" {
			t.Fatalf("app ids %q", f.appIDs)
		}
	}
	if len(log.lines) != 0 {
		t.Fatalf("log: %q", log.lines)
	}
}

func TestInvalidAppIDLoggedOnceNotSent(t *testing.T) {
	for _, bad := range []string{"a\nb", strings.Repeat("x", 201), strings.Repeat("é", 101)} {
		f := &fakeGateway{}
		log := &captureLogger{}
		c := newClient(t, f, log, func(o *tracegate.Options) { o.BatchSize = 1; o.AppID = bad })
		c.Enqueue(span("t", "o1"))
		c.Enqueue(span("t", "o2"))
		if err := c.Flush(ctxFor(t, 10*time.Second)); err != nil {
			t.Fatal(err)
		}
		c.Shutdown(ctxFor(t, 5*time.Second))
		f.mu.Lock()
		if len(f.appIDs) != 2 || f.appIDs[0] != "" || f.appIDs[1] != "" {
			t.Errorf("%q: app ids sent %q", bad, f.appIDs)
		}
		f.mu.Unlock()
		if n := len(log.matching("AppID")); n != 1 {
			t.Errorf("%q: %d warnings, want 1: %q", bad, n, log.lines)
		}
	}
	f := &fakeGateway{}
	c := newClient(t, f, &captureLogger{}, func(o *tracegate.Options) { o.AppID = strings.Repeat("é", 100) })
	c.Enqueue(span("t", "o1"))
	if err := c.Flush(ctxFor(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	c.Shutdown(ctxFor(t, 5*time.Second))
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.appIDs) != 1 || f.appIDs[0] != strings.Repeat("é", 100) {
		t.Fatalf("a 200-byte id must be sent: %q", f.appIDs)
	}
}

// bigSpan is a span whose serialized size is a little over `bytes`.
func bigSpan(id string, bytes int) *pb.TraceEvent {
	ev := span("t", id)
	ev.EventId = "e-" + id
	ev.GetObservation().StatusMessage = strings.Repeat("x", bytes)
	return ev
}

// sizeLimited answers like a gateway whose maximum request size is limit (the message is
// gRPC's); it records the sizes of the requests it accepted.
func sizeLimited(limit int, sizes *[]int, mu *sync.Mutex) func(*pb.IngestRequest, int) (*pb.IngestResponse, error) {
	return func(req *pb.IngestRequest, n int) (*pb.IngestResponse, error) {
		size := proto.Size(req)
		if size > limit {
			return nil, status.Errorf(codes.ResourceExhausted, "Received message larger than max (%d vs. %d)", size, limit)
		}
		mu.Lock()
		*sizes = append(*sizes, size)
		mu.Unlock()
		return acceptAll(req), nil
	}
}

func TestLargeEventsAreBatchedBySize(t *testing.T) {
	// 20 events of 900 KB make 18 MB: more than the gateway takes in one request (16 MiB).
	f, log := &fakeGateway{}, &captureLogger{}
	var sizes []int
	var mu sync.Mutex
	f.answer = sizeLimited(16<<20, &sizes, &mu)
	c := newClient(t, f, log, func(o *tracegate.Options) { o.MaxInFlight = 1 })
	for i := 0; i < 20; i++ {
		c.Enqueue(bigSpan(fmt.Sprint(i), 900_000))
	}
	if err := c.Flush(ctxFor(t, 20*time.Second)); err != nil {
		t.Fatalf("%v; stats %+v, %d calls", err, c.Stats(), len(f.calls()))
	}
	s := c.Shutdown(context.Background())
	if s.Sent != 20 || s.Dropped != 0 || s.Retries != 0 || len(f.calls()) != len(sizes) {
		t.Fatalf("stats %+v, %d calls, %d accepted", s, len(f.calls()), len(sizes))
	}
	for _, size := range sizes {
		if size > tracegate.DefaultMaxBatchBytes {
			t.Fatalf("request of %d bytes, more than MaxBatchBytes", size)
		}
	}
}

func TestRequestRefusedAsTooLargeIsSplitAndOversizedEventDropped(t *testing.T) {
	// MaxBatchBytes above what this gateway takes (1 MB): the client must split, and drop
	// the one event that is too large on its own, instead of resending the same bytes.
	f, log := &fakeGateway{}, &captureLogger{}
	var sizes []int
	var mu sync.Mutex
	f.answer = sizeLimited(1_000_000, &sizes, &mu)
	c := newClient(t, f, log, func(o *tracegate.Options) { o.MaxInFlight, o.MaxBatchBytes = 1, 64<<20 })
	for i := 0; i < 10; i++ {
		c.Enqueue(bigSpan(fmt.Sprint(i), 300_000))
		if i == 4 {
			c.Enqueue(bigSpan("huge", 1_500_000))
		}
	}
	if err := c.Flush(ctxFor(t, 20*time.Second)); err != nil {
		t.Fatalf("%v; stats %+v, %d calls", err, c.Stats(), len(f.calls()))
	}
	s := c.Shutdown(context.Background())
	if s.Sent != 10 || s.Dropped != 1 || s.Retries != 0 {
		t.Fatalf("stats %+v", s)
	}
	if n := len(f.calls()); n > 20 {
		t.Fatalf("%d calls for 11 events", n)
	}
	if got := log.matching("larger than the gateway accepts"); len(got) != 1 || !strings.Contains(got[0], "e-huge") {
		t.Fatalf("log %v", log.lines)
	}
	alone := 0
	for _, r := range f.calls() {
		if len(r) == 1 && r[0] == "e-huge" {
			alone++
		}
	}
	if alone != 1 {
		t.Fatalf("the oversized event was sent alone %d times: %v", alone, f.calls())
	}
}

// marshalling answers like grpc-go: a request that does not marshal fails with Internal
// before it is sent. It returns the trace names it received.
func marshalling(names *[]string, mu *sync.Mutex) func(*pb.IngestRequest, int) (*pb.IngestResponse, error) {
	return func(req *pb.IngestRequest, n int) (*pb.IngestResponse, error) {
		if _, err := proto.Marshal(req); err != nil {
			return nil, status.Errorf(codes.Internal, "grpc: error while marshaling: %v", err)
		}
		for _, e := range req.Events {
			if e.EventId == "poison" {
				return nil, status.Error(codes.Internal, "grpc: error while marshaling: proto: cannot encode")
			}
		}
		mu.Lock()
		for _, e := range req.Events {
			*names = append(*names, e.GetTrace().GetName()+"|"+strings.Join(e.GetTrace().GetTags(), ",")+"|"+
				fmt.Sprint(e.GetTrace().GetMetadata().AsMap()))
		}
		mu.Unlock()
		return acceptAll(req), nil
	}
}

func TestInvalidUTF8IsRepairedNotRetried(t *testing.T) {
	f, log := &fakeGateway{}, &captureLogger{}
	var names []string
	var mu sync.Mutex
	f.answer = marshalling(&names, &mu)
	c := newClient(t, f, log, func(o *tracegate.Options) { o.MaxInFlight = 1 })
	meta, err := structpb.NewStruct(map[string]any{"ok": "v"})
	if err != nil {
		t.Fatal(err)
	}
	meta.Fields["k\xc3"] = structpb.NewStringValue("v\xff")
	meta.Fields["nested"] = structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
		"in\xff": structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{structpb.NewStringValue("x\xff")}})}})
	c.Enqueue(&pb.TraceEvent{Payload: &pb.TraceEvent_Trace{Trace: &pb.Trace{Id: "t0", Name: "good"}}})
	c.Enqueue(&pb.TraceEvent{Payload: &pb.TraceEvent_Trace{Trace: &pb.Trace{
		Id: "t1", Name: "bad\xff\xfename", Tags: []string{"a", "b\xff"}, Metadata: meta}}})
	c.Enqueue(&pb.TraceEvent{Payload: &pb.TraceEvent_Trace{Trace: &pb.Trace{Id: "t2", Name: "later"}}})
	if err := c.Flush(ctxFor(t, 10*time.Second)); err != nil {
		t.Fatalf("%v; stats %+v, %d calls", err, c.Stats(), len(f.calls()))
	}
	s := c.Shutdown(context.Background())
	// The first call fails to marshal (nothing is sent); the repaired request goes through.
	if s.Sent != 3 || s.Dropped != 0 || s.Retries != 0 || len(f.calls()) != 2 || len(log.lines) != 0 {
		t.Fatalf("stats %+v, %d calls", s, len(f.calls()))
	}
	want := "good||map[]\nbad\uFFFDname|a,b\uFFFD|map[k\uFFFD:v\uFFFD nested:map[in\uFFFD:[x\uFFFD]] ok:v]\nlater||map[]"
	if got := strings.Join(names, "\n"); got != want {
		t.Fatalf("received\n%s\nwant\n%s", got, want)
	}
}

func TestEventThatCannotBeMarshalledIsDroppedOthersSent(t *testing.T) {
	f, log := &fakeGateway{}, &captureLogger{}
	var names []string
	var mu sync.Mutex
	f.answer = marshalling(&names, &mu)
	c := newClient(t, f, log, func(o *tracegate.Options) { o.MaxInFlight = 1 })
	for i := 0; i < 9; i++ {
		ev := &pb.TraceEvent{Payload: &pb.TraceEvent_Trace{Trace: &pb.Trace{Id: fmt.Sprint(i), Name: "n"}}}
		if i == 6 {
			ev.EventId = "poison"
		}
		c.Enqueue(ev)
	}
	if err := c.Flush(ctxFor(t, 10*time.Second)); err != nil {
		t.Fatalf("%v; stats %+v, %d calls", err, c.Stats(), len(f.calls()))
	}
	s := c.Shutdown(context.Background())
	if s.Sent != 8 || s.Dropped != 1 || s.Retries != 0 || len(names) != 8 {
		t.Fatalf("stats %+v, received %d", s, len(names))
	}
	if n := len(f.calls()); n > 12 {
		t.Fatalf("%d calls for 9 events", n)
	}
	if got := log.matching("cannot be serialized"); len(got) != 1 || len(log.lines) != 1 {
		t.Fatalf("log %v", log.lines)
	}
}
