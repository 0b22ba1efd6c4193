// Package tracegate is the Go client of the Tracegate gateway: a bounded, batching,
// never-blocking queue of TraceEvents sent in the background with grpc-go.
//
//	c := tracegate.New(tracegate.OptionsFromEnv())
//	defer c.Shutdown(context.Background()) // flushes; Go has no exit hook, so defer it
//	c.Enqueue(&tracegatev1.TraceEvent{Payload: &tracegatev1.TraceEvent_Trace{
//		Trace: &tracegatev1.Trace{Id: "t1", Name: "hello"}}})
//
// Contract
//   - Enqueue only appends to a bounded in-memory queue under a short mutex: no I/O, no
//     panic, safe from any number of goroutines. When the queue is full (MaxQueueSize),
//     the client is disabled or shut down, the event is dropped and counted; one warning
//     per full-queue episode.
//   - MaxInFlight goroutines send batches of up to BatchSize events with the unary Ingest
//     RPC, at once when a batch is full, else after FlushInterval. A request carries at
//     most MaxBatchBytes (default 4 MiB) of serialized events, so a batch of large events
//     leaves in several requests.
//   - A request the gateway refuses as too large (RESOURCE_EXHAUSTED "... larger than
//     max ...") is never resent as is: later requests are capped at half its size, and an
//     event too large on its own is dropped and counted (one log line).
//   - When grpc-go cannot marshal a request (nothing is sent), every string of its batch
//     is made valid UTF-8 (each run of bad bytes becomes U+FFFD) and it is sent again; an
//     event that still cannot be marshalled is isolated and dropped, counted, one log
//     line, never retried. The other events of its batch are sent.
//   - Per-event results: ACCEPTED and DUPLICATE count as sent; REJECTED with a retryable
//     code (UNAVAILABLE, RESOURCE_EXHAUSTED) is resent with the same event_id after its
//     retry_after; other rejections are counted, logged once per distinct code+reason,
//     never resent.
//   - Gateway unreachable (UNAVAILABLE, DEADLINE_EXCEEDED, ...): the batch is retried with
//     the same event ids and exponential backoff; one warning per outage, then quiet.
//   - Misconfigured (no API key, UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT,
//     UNIMPLEMENTED, a bad endpoint or TLS file): one warning; events are dropped, counted.
//   - Flush waits until everything enqueued so far is settled; Shutdown flushes until its
//     context ends, then drops (and counts) what is left, cancels calls in flight and closes.
//   - Nothing flushes at process exit: Go has no exit hook. Callers must defer
//     c.Shutdown(ctx) in main (and call it on signals), else what is still queued is lost.
//
// Ownership: the client owns an event once enqueued (it may set EventId, Timestamp and
// Environment, and repair invalid UTF-8); do not modify it afterwards.
package tracegate

import (
	"context"
	cryptorand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	pb "github.com/tracegate/tracegate/clients/go/tracegatev1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Stats are the client's counters.
type Stats struct {
	Sent      int64 // answered ACCEPTED or DUPLICATE
	Duplicate int64 // of those, DUPLICATE (already delivered, e.g. by an earlier attempt)
	Dropped   int64 // dropped by the client: queue full, misconfiguration, shutdown deadline
	Rejected  int64 // answered REJECTED (not retryable)
	Retries   int64 // events resent (transient failures, retryable rejections)
	Pending   int64 // waiting or in flight
}

type batch struct {
	events    []*pb.TraceEvent
	abandoned bool // given up by Shutdown: its late answer is ignored
}

// Client is safe for concurrent use.
type Client struct {
	opts      Options
	transport Transport
	ctx       context.Context // canceled when the client stops: aborts calls and sleeps
	cancel    context.CancelFunc

	mu           sync.Mutex
	queue        []*pb.TraceEvent
	head         int
	oldest       time.Time
	active       map[*batch]struct{}
	changed      chan struct{} // closed and replaced on every state change (broadcast)
	closed       bool          // no more Enqueue
	stopped      bool          // workers exit
	urgent       int           // flushes waiting: send partial batches at once
	down         bool          // inside an outage (warned)
	misconfig    bool          // warned; everything is dropped
	queueWarned  bool
	rejectLogged map[string]bool
	batchSeq     uint64

	sent, duplicate, dropped, rejected, retries atomic.Int64
	batchBytes                                  atomic.Int64 // request size cap (MaxBatchBytes, lowered on refusal)
}

var (
	retryableReject = map[codes.Code]bool{codes.Unavailable: true, codes.ResourceExhausted: true}
	permanentCall   = map[codes.Code]bool{
		codes.Unauthenticated: true, codes.PermissionDenied: true, codes.InvalidArgument: true,
		codes.Unimplemented: true, codes.FailedPrecondition: true, codes.OutOfRange: true,
	}
)

// New starts a client. It never fails: a misconfigured client logs one warning and drops
// (and counts) every event, so tracing can never break the host.
func New(o Options) *Client {
	o = o.withDefaults()
	if problem := requestValueProblem(o.AppID); problem != "" {
		o.Logger.Printf("AppID (TRACEGATE_APP_ID) %s; it is not sent", problem)
		o.AppID = ""
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		opts: o, ctx: ctx, cancel: cancel, active: map[*batch]struct{}{},
		changed: make(chan struct{}), rejectLogged: map[string]bool{},
	}
	c.batchBytes.Store(int64(o.MaxBatchBytes))
	c.transport = o.Transport
	switch {
	case o.Disabled:
	case c.transport == nil && o.APIKey == "":
		c.warnMisconfigured("no API key (set TRACEGATE_API_KEY); events will be dropped")
	case c.transport == nil:
		t, err := NewGRPCTransport(o)
		if err != nil {
			c.warnMisconfigured(fmt.Sprintf("%v; events will be dropped", err))
		} else {
			c.transport = t
		}
	}
	for i := 0; i < o.MaxInFlight; i++ {
		go c.worker()
	}
	return c
}

// Enqueue queues one event and reports whether it was accepted into the queue. It never
// blocks on the network and never panics.
func (c *Client) Enqueue(ev *pb.TraceEvent) (ok bool) {
	defer func() {
		if recover() != nil {
			c.dropped.Add(1)
			ok = false
		}
	}()
	if ev == nil {
		c.dropped.Add(1)
		return false
	}
	if ev.EventId == "" {
		ev.EventId = newUUID()
	}
	if ev.Timestamp == nil {
		ev.Timestamp = timestamppb.Now()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.misconfig || c.opts.Disabled {
		c.dropped.Add(1)
		return false
	}
	n := len(c.queue) - c.head
	if n >= c.opts.MaxQueueSize {
		c.dropped.Add(1)
		if !c.queueWarned {
			c.queueWarned = true
			c.opts.Logger.Printf("queue full (%d events): dropping events until it drains", c.opts.MaxQueueSize)
		}
		return false
	}
	if n == 0 {
		c.oldest = time.Now()
	}
	c.queue = append(c.queue, ev)
	if n+1 == 1 || n+1 >= c.opts.BatchSize {
		c.broadcastLocked()
	}
	return true
}

// Stats returns the counters.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	pending := c.pendingLocked()
	c.mu.Unlock()
	return Stats{Sent: c.sent.Load(), Duplicate: c.duplicate.Load(), Dropped: c.dropped.Load(), Rejected: c.rejected.Load(),
		Retries: c.retries.Load(), Pending: int64(pending)}
}

// Flush waits until every event enqueued so far is settled (sent, rejected or dropped),
// or returns ctx.Err(). Events stay queued when it gives up.
func (c *Client) Flush(ctx context.Context) error {
	c.mu.Lock()
	c.urgent++
	c.broadcastLocked()
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.urgent--
		c.mu.Unlock()
	}()
	for {
		c.mu.Lock()
		if c.pendingLocked() == 0 {
			c.mu.Unlock()
			return nil
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Shutdown stops accepting events, flushes until ctx ends, then drops what is left
// (counted), cancels calls in flight and closes the channel. Safe to call twice.
func (c *Client) Shutdown(ctx context.Context) Stats {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	c.mu.Unlock()
	if !already {
		_ = c.Flush(ctx)
		c.mu.Lock()
		c.stopped = true
		left := c.pendingLocked()
		for b := range c.active {
			b.abandoned = true
		}
		c.active = map[*batch]struct{}{}
		c.queue, c.head = nil, 0
		c.dropped.Add(int64(left))
		if left > 0 {
			c.opts.Logger.Printf("shutdown: %d events not delivered in time, dropped", left)
		}
		c.broadcastLocked()
		c.mu.Unlock()
		c.cancel() // aborts calls in flight and backoff sleeps; workers exit on their own
		if c.transport != nil {
			_ = c.transport.Close()
		}
	}
	return c.Stats()
}

func (c *Client) pendingLocked() int {
	n := len(c.queue) - c.head
	for b := range c.active {
		n += len(b.events)
	}
	return n
}

func (c *Client) broadcastLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

func (c *Client) takeLocked() *batch {
	end := min(len(c.queue), c.head+c.opts.BatchSize)
	b := &batch{events: append([]*pb.TraceEvent(nil), c.queue[c.head:end]...)}
	for i := c.head; i < end; i++ {
		c.queue[i] = nil
	}
	c.head = end
	if c.head == len(c.queue) {
		c.queue, c.head = c.queue[:0], 0
	} else if c.head > 4096 && c.head*2 > len(c.queue) {
		c.queue, c.head = append([]*pb.TraceEvent(nil), c.queue[c.head:]...), 0
	}
	c.oldest = time.Now()
	c.active[b] = struct{}{}
	return b
}

func (c *Client) worker() {
	for {
		c.mu.Lock()
		if c.stopped {
			c.mu.Unlock()
			return
		}
		n := len(c.queue) - c.head
		ch := c.changed
		var wait <-chan time.Time
		if n > 0 && n < c.opts.BatchSize && c.urgent == 0 && !c.closed {
			if due := time.Until(c.oldest.Add(c.opts.FlushInterval)); due > 0 {
				wait = time.After(due)
			}
		}
		if n == 0 || wait != nil {
			c.mu.Unlock()
			select {
			case <-ch:
			case <-wait:
			case <-c.ctx.Done():
			}
			continue
		}
		b := c.takeLocked()
		c.mu.Unlock()
		c.deliver(b)
		c.mu.Lock()
		delete(c.active, b)
		c.broadcastLocked()
		c.mu.Unlock()
	}
}

// deliver sends one batch until every event is settled, dropped, or the batch abandoned.
// A request carries at most MaxBatchBytes of serialized events (and fewer when the gateway
// refused a request as too large), so one batch may leave in several requests.
func (c *Client) deliver(b *batch) {
	c.mu.Lock()
	events := b.events
	c.mu.Unlock()
	c.stampEnvironment(events) // the events belong to this worker now; Shutdown only counts them
	repaired := false          // invalid UTF-8 repaired (done once, after the first marshalling failure)
	repair := false
	backoff := c.opts.InitialBackoff
	tried := map[*pb.TraceEvent]bool{}
	limit := len(events) // events per request; halved to isolate an event that cannot be marshalled
	for {
		c.mu.Lock()
		if b.abandoned || len(b.events) == 0 {
			c.mu.Unlock()
			return
		}
		if c.misconfig || c.transport == nil {
			c.dropped.Add(int64(len(b.events)))
			b.events = nil
			c.mu.Unlock()
			return
		}
		events := b.events
		c.batchSeq++
		req := &pb.IngestRequest{DefaultWorkspace: c.opts.Workspace, BatchId: c.batchSeq, AppId: c.opts.AppID}
		c.mu.Unlock()
		if repair {
			repairUTF8(events)
			repair, repaired = false, true
		}
		n, size := c.cut(events, limit, proto.Size(req))
		part := events[:n]
		req.Events = part
		var resent int64
		for _, ev := range part {
			if tried[ev] {
				resent++
			}
			tried[ev] = true
		}
		c.retries.Add(resent)
		res, err := c.ingest(req)

		c.mu.Lock()
		if b.abandoned {
			c.mu.Unlock()
			return
		}
		var after time.Duration
		code := status.Code(err)
		switch {
		case err == nil:
			c.down = false
			retry, retryAfter := c.settleLocked(part, res)
			b.events = append(retry, events[n:]...)
			if len(retry) > 0 {
				after = max(retryAfter, jitter(backoff))
				backoff = min(backoff*2, c.opts.MaxBackoff)
			} else {
				backoff = c.opts.InitialBackoff
			}
		case code == codes.ResourceExhausted && strings.Contains(status.Convert(err).Message(), "larger than max"):
			// Resending the same bytes would be refused forever: send less at a time, and
			// drop an event that is too large on its own.
			if n > 1 {
				c.lowerBatchBytes(size / 2)
			} else {
				c.dropOneLocked(b, "too-large", fmt.Sprintf("event %s (%d bytes) is larger than the gateway accepts (%s); dropped",
					events[0].GetEventId(), size, status.Convert(err).Message()))
			}
			c.retries.Add(-resent)
			for _, ev := range part {
				delete(tried, ev)
			}
		case code == codes.Internal && strings.Contains(status.Convert(err).Message(), "error while marshaling"):
			// Nothing was sent. First make every string valid UTF-8 (grpc-go refuses to
			// marshal invalid UTF-8); if that was not it, halve the request until the event
			// that cannot be marshalled is alone, then drop it. Never retry the same bytes.
			if !repaired {
				repair = true
			} else if n > 1 {
				limit = max(1, n/2)
			} else {
				c.dropOneLocked(b, "marshal", fmt.Sprintf("event %s cannot be serialized (%s); dropped",
					events[0].GetEventId(), status.Convert(err).Message()))
				limit = len(b.events)
			}
			c.retries.Add(-resent)
			for _, ev := range part {
				delete(tried, ev)
			}
		case permanentCall[code]:
			c.warnMisconfiguredLocked(fmt.Sprintf("gateway at %s refused the call (%s: %s); tracing is off, events are dropped",
				c.opts.Endpoint, code, status.Convert(err).Message()))
			c.dropped.Add(int64(len(b.events)))
			b.events = nil
		default:
			if !c.down {
				c.down = true
				c.opts.Logger.Printf("gateway at %s unavailable (%s); retrying quietly, buffering up to %d events",
					c.opts.Endpoint, code, c.opts.MaxQueueSize)
			}
			after = jitter(backoff)
			backoff = min(backoff*2, c.opts.MaxBackoff)
		}
		remaining := len(b.events)
		c.broadcastLocked()
		c.mu.Unlock()
		if remaining == 0 || after <= 0 {
			continue
		}
		select {
		case <-time.After(after):
		case <-c.ctx.Done():
		}
	}
}

// ingest makes one call. A panic while marshalling (an event changed after Enqueue) is
// reported as a marshalling failure, so that event is dropped and the host lives on.
func (c *Client) ingest(req *pb.IngestRequest) (res *pb.IngestResponse, err error) {
	ctx, cancel := context.WithTimeout(c.ctx, c.opts.Timeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, status.Errorf(codes.Internal, "grpc: error while marshaling: panic: %v", r)
		}
	}()
	return c.transport.Ingest(ctx, req)
}

// cut returns how many events from the front of events make the next request (at least
// one, at most limit) and that request's serialized size; base is the size of the request
// without events.
func (c *Client) cut(events []*pb.TraceEvent, limit, base int) (n, size int) {
	maxBytes := int(c.batchBytes.Load())
	size = base
	for n < len(events) && n < limit {
		s := proto.Size(events[n])
		s += protowire.SizeTag(1) + protowire.SizeBytes(s) - s // field 1 of IngestRequest
		if n > 0 && size+s > maxBytes {
			break
		}
		size += s
		n++
	}
	return n, size
}

// lowerBatchBytes caps every later request at v bytes (the gateway refused a larger one).
func (c *Client) lowerBatchBytes(v int) {
	v = max(v, 1)
	for {
		cur := c.batchBytes.Load()
		if int64(v) >= cur || c.batchBytes.CompareAndSwap(cur, int64(v)) {
			return
		}
	}
}

// dropOneLocked drops the first event of b, counted, with one log line per kind.
func (c *Client) dropOneLocked(b *batch, kind, msg string) {
	c.dropped.Add(1)
	b.events = b.events[1:]
	c.logOnceLocked(kind, msg)
}

func (c *Client) logOnceLocked(key, msg string) {
	if !c.rejectLogged["drop "+key] {
		c.rejectLogged["drop "+key] = true
		c.opts.Logger.Printf("%s", msg)
	}
}

// repairUTF8 makes every string of the events valid UTF-8: each run of bad bytes becomes
// U+FFFD. Only called after grpc-go failed to marshal a request (it costs about as much
// as marshalling).
func repairUTF8(events []*pb.TraceEvent) {
	for _, ev := range events {
		func() {
			defer func() { _ = recover() }() // a broken event fails to marshal later and is dropped
			validUTF8(ev.ProtoReflect())
		}()
	}
}

func validString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// validUTF8 repairs the strings of m and of the messages, lists and maps inside it.
func validUTF8(m protoreflect.Message) {
	type fix struct {
		fd protoreflect.FieldDescriptor
		v  protoreflect.Value
	}
	var fixes []fix
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			validMap(fd, v.Map())
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				switch fd.Kind() {
				case protoreflect.StringKind:
					if s := l.Get(i).String(); !utf8.ValidString(s) {
						l.Set(i, protoreflect.ValueOfString(validString(s)))
					}
				case protoreflect.MessageKind, protoreflect.GroupKind:
					validUTF8(l.Get(i).Message())
				}
			}
		case fd.Kind() == protoreflect.StringKind:
			if s := v.String(); !utf8.ValidString(s) {
				fixes = append(fixes, fix{fd, protoreflect.ValueOfString(validString(s))})
			}
		case fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind:
			validUTF8(v.Message())
		}
		return true
	})
	for _, f := range fixes {
		m.Set(f.fd, f.v)
	}
}

func validMap(fd protoreflect.FieldDescriptor, mp protoreflect.Map) {
	stringKeys := fd.MapKey().Kind() == protoreflect.StringKind
	var badKeys []protoreflect.MapKey
	var badValues []protoreflect.MapKey
	mp.Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
		if stringKeys && !utf8.ValidString(k.String()) {
			badKeys = append(badKeys, k)
		}
		switch fd.MapValue().Kind() {
		case protoreflect.StringKind:
			if !utf8.ValidString(v.String()) {
				badValues = append(badValues, k)
			}
		case protoreflect.MessageKind, protoreflect.GroupKind:
			validUTF8(v.Message())
		}
		return true
	})
	for _, k := range badValues {
		mp.Set(k, protoreflect.ValueOfString(validString(mp.Get(k).String())))
	}
	for _, k := range badKeys {
		v := mp.Get(k)
		mp.Clear(k)
		mp.Set(protoreflect.ValueOfString(validString(k.String())).MapKey(), v)
	}
}

// settleLocked counts per-event results; returns the events to resend and how long to wait.
func (c *Client) settleLocked(sent []*pb.TraceEvent, res *pb.IngestResponse) ([]*pb.TraceEvent, time.Duration) {
	var retry []*pb.TraceEvent
	var wait time.Duration
	results := res.GetResults()
	for i, ev := range sent {
		if i >= len(results) {
			retry = append(retry, ev) // the gateway answers every event; resend if it did not
			continue
		}
		r := results[i]
		switch {
		case r.GetStatus() == pb.EventStatus_EVENT_STATUS_ACCEPTED:
			c.sent.Add(1)
		case r.GetStatus() == pb.EventStatus_EVENT_STATUS_DUPLICATE:
			c.sent.Add(1)
			c.duplicate.Add(1)
		case retryableReject[codes.Code(r.GetCode())]:
			retry = append(retry, ev)
			if ra := r.GetRetryAfter(); ra != nil {
				wait = max(wait, min(ra.AsDuration(), c.opts.MaxBackoff))
			}
		default:
			c.rejected.Add(1)
			key := fmt.Sprintf("%d %s", r.GetCode(), r.GetReason())
			if !c.rejectLogged[key] && len(c.rejectLogged) < 1000 {
				c.rejectLogged[key] = true
				c.opts.Logger.Printf("event %s REJECTED %s: %s (not retried)", r.GetEventId(), codes.Code(r.GetCode()), r.GetReason())
			}
		}
	}
	return retry, wait
}

func (c *Client) stampEnvironment(events []*pb.TraceEvent) {
	env := c.opts.Environment
	if env == "" {
		return
	}
	for _, e := range events {
		switch p := e.GetPayload().(type) {
		case *pb.TraceEvent_Trace:
			if p.Trace != nil && p.Trace.Environment == "" {
				p.Trace.Environment = env
			}
		case *pb.TraceEvent_Observation:
			if p.Observation != nil && p.Observation.Environment == "" {
				p.Observation.Environment = env
			}
		case *pb.TraceEvent_Score:
			if p.Score != nil && p.Score.Environment == "" {
				p.Score.Environment = env
			}
		}
	}
}

func (c *Client) warnMisconfigured(msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.warnMisconfiguredLocked(msg)
}

func (c *Client) warnMisconfiguredLocked(msg string) {
	if c.misconfig {
		return
	}
	c.misconfig = true
	c.opts.Logger.Printf("%s", msg)
}

func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.5 + rand.Float64()*0.5))
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = cryptorand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
