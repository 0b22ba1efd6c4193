package tracegate

import (
	"fmt"
	"log"
	"os"
	"regexp"
	"strings"
	"time"
)

// Logger receives the client's few log lines (one per outage, misconfiguration, distinct
// rejection reason or full-queue episode). *log.Logger satisfies it.
type Logger interface {
	Printf(format string, args ...any)
}

// TLSOptions selects TLS for the gRPC channel. Empty files mean the system roots and no
// client certificate.
type TLSOptions struct {
	CAFile   string // PEM roots to trust
	CertFile string // client certificate (mTLS)
	KeyFile  string // client key (mTLS)
}

// Options configure a Client. Zero values take the defaults noted on each field;
// OptionsFromEnv fills the connection fields from the environment.
//
// AppID goes on every IngestRequest: with enrichment on, the gateway tags the trace
// app:<AppID> and sets its metadata app_id. Like the gateway, the client takes at most 200
// bytes and no control characters; an invalid AppID is logged once and not sent.
type Options struct {
	Endpoint    string      // host:port; default 127.0.0.1:50051
	APIKey      string      // gateway API key, sent as "authorization: Bearer <key>"
	Workspace   string      // default workspace of the events; default "default"
	Environment string      // stamped on events that set none (lower case [a-z0-9_-], <= 40)
	AppID       string      // IngestRequest.app_id of every request (tag app:<id>)
	TLS         *TLSOptions // nil: plaintext
	Disabled    bool        // a no-op client that counts every event as dropped

	MaxQueueSize   int           // events buffered at most; default 100000
	BatchSize      int           // events per request; default 100
	MaxBatchBytes  int           // serialized bytes per request at most; default 4 MiB
	FlushInterval  time.Duration // a partial batch is sent after this long; default 500ms
	MaxInFlight    int           // concurrent requests; default 2
	Timeout        time.Duration // deadline of one request; default 10s
	InitialBackoff time.Duration // first retry delay; default 200ms
	MaxBackoff     time.Duration // retry delay cap; default 10s

	Logger    Logger    // default: standard error, prefix "tracegate: "
	Transport Transport // default: gRPC to Endpoint (tests pass a fake)
}

// OptionsFromEnv reads
//
//	TRACEGATE_ENDPOINT, TRACEGATE_API_KEY, TRACEGATE_WORKSPACE, APP_ENV, TRACEGATE_APP_ID,
//	TRACEGATE_TLS ("1"/"true"), TRACEGATE_CA_FILE, TRACEGATE_CERT_FILE, TRACEGATE_KEY_FILE,
//	TRACEGATE_ENABLED ("0"/"false" disables the client).
//
// Any of the three files implies TLS unless TRACEGATE_TLS is false.
func OptionsFromEnv() Options {
	o := Options{
		Endpoint:    os.Getenv("TRACEGATE_ENDPOINT"),
		APIKey:      os.Getenv("TRACEGATE_API_KEY"),
		Workspace:   os.Getenv("TRACEGATE_WORKSPACE"),
		Environment: os.Getenv("APP_ENV"),
		AppID:       os.Getenv("TRACEGATE_APP_ID"),
	}
	files := TLSOptions{
		CAFile:   os.Getenv("TRACEGATE_CA_FILE"),
		CertFile: os.Getenv("TRACEGATE_CERT_FILE"),
		KeyFile:  os.Getenv("TRACEGATE_KEY_FILE"),
	}
	anyFile := files.CAFile != "" || files.CertFile != "" || files.KeyFile != ""
	switch flag, set := truthy(os.Getenv("TRACEGATE_TLS")); {
	case set && flag, !set && anyFile:
		o.TLS = &files
	}
	if enabled, set := truthy(os.Getenv("TRACEGATE_ENABLED")); set && !enabled {
		o.Disabled = true
	}
	return o
}

func truthy(v string) (value, set bool) {
	if v == "" {
		return false, false
	}
	switch strings.ToLower(v) {
	case "0", "false", "no", "off":
		return false, true
	}
	return true, true
}

// DefaultMaxBatchBytes is the default of Options.MaxBatchBytes: well under the gateway's
// maximum request size (16 MiB by default), so that a batch of large events never makes a
// request the gateway refuses.
const DefaultMaxBatchBytes = 4 << 20

var envRE = regexp.MustCompile(`^[a-z0-9_-]{1,40}$`)

// SanitizeEnvironment returns env lower-cased if Langfuse accepts it, else "".
func SanitizeEnvironment(env string) string {
	e := strings.ToLower(strings.TrimSpace(env))
	if !envRE.MatchString(e) || strings.HasPrefix(e, "langfuse") {
		return ""
	}
	return e
}

// maxRequestValueBytes is the gateway's limit for IngestRequest.app_id and request_id.
const maxRequestValueBytes = 200

// requestValueProblem says why the gateway would refuse v as IngestRequest.app_id ("" when
// it is fine): more than 200 bytes, or a control character (below 0x20, or 0x7F).
func requestValueProblem(v string) string {
	if len(v) > maxRequestValueBytes {
		return fmt.Sprintf("longer than %d characters", maxRequestValueBytes)
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] == 0x7F {
			return "must not contain control characters"
		}
	}
	return ""
}

func (o Options) withDefaults() Options {
	if o.Endpoint == "" {
		o.Endpoint = "127.0.0.1:50051"
	}
	if o.Workspace == "" {
		o.Workspace = "default"
	}
	o.Environment = SanitizeEnvironment(o.Environment)
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxQueueSize, 100_000)
	def(&o.BatchSize, 100)
	def(&o.MaxBatchBytes, DefaultMaxBatchBytes)
	def(&o.MaxInFlight, 2)
	defD(&o.FlushInterval, 500*time.Millisecond)
	defD(&o.Timeout, 10*time.Second)
	defD(&o.InitialBackoff, 200*time.Millisecond)
	defD(&o.MaxBackoff, 10*time.Second)
	if o.Logger == nil {
		o.Logger = log.New(os.Stderr, "tracegate: ", log.LstdFlags)
	}
	return o
}
