// Package tracegatetest runs the real gateway with a recording Langfuse (the repository's
// emulator, tests/emulator) for Go tests, and reads back what it received.
//
//	rec, err := tracegatetest.StartRecording()   // emulator + gateway on 127.0.0.1:0
//	defer rec.Stop()
//	c := tracegate.New(rec.ClientOptions())
//	... ; c.Shutdown(ctx)
//	state, _ := rec.WaitFor(map[string]int{"observations": 3}, 15)
//
// Programs are found through TRACEGATE_BIN (else $TRACEGATE_BUILD_DIR/gateway/tracegate,
// else <repo>/build/gateway/tracegate), TRACEGATE_EMULATOR and TRACEGATE_PYTHON (else
// <repo>/.venv/bin/python3, else python3). Every process listens on 127.0.0.1 port 0, has
// a bounded lifetime and is stopped by Stop.
package tracegatetest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/tracegate/tracegate/clients/go/tracegate"
)

// The API key and workspace of the generated gateway config.
const (
	APIKey    = "tg_test_key_alpha"
	Workspace = "alpha"
	pk, sk    = "pk-lf-test", "sk-lf-test"
)

// ErrNoGateway means the gateway binary was not found.
var ErrNoGateway = errors.New("tracegate binary not found: set TRACEGATE_BIN or TRACEGATE_BUILD_DIR")

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// GatewayBinary locates the tracegate binary.
func GatewayBinary() (string, error) {
	if b := os.Getenv("TRACEGATE_BIN"); b != "" {
		return b, nil
	}
	var candidates []string
	if d := os.Getenv("TRACEGATE_BUILD_DIR"); d != "" {
		candidates = append(candidates, filepath.Join(d, "gateway", "tracegate"))
	}
	candidates = append(candidates, filepath.Join(repoRoot(), "build", "gateway", "tracegate"))
	for _, c := range candidates {
		if exists(c) {
			return c, nil
		}
	}
	return "", ErrNoGateway
}

// Process is a child process whose start-up line was seen.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
	Log  *bytes.Buffer
}

// Stop sends SIGTERM, then SIGKILL after 10 s, and waits for the exit.
func (p *Process) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// start runs cmd and scans `stream` line by line until match returns true.
// keepLogFile opens a file for a copy of a gateway's log when TRACEGATE_GATEWAY_LOG_DIR is
// set (Tracegate's ctest sets it so that its log scan checks every gateway log line of the
// run for secrets); nil otherwise.
func keepLogFile() *os.File {
	dir := os.Getenv("TRACEGATE_GATEWAY_LOG_DIR")
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil
	}
	f, err := os.CreateTemp(dir, "go-*.log")
	if err != nil {
		return nil
	}
	return f
}

// start runs cmd, reads its log from stream (copying each line to keep when not nil) and
// returns once match accepts a line.
func start(cmd *exec.Cmd, stream func() (io.ReadCloser, error), match func(string) bool,
	keep *os.File) (*Process, error) {
	r, err := stream()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd, done: make(chan struct{}), Log: &bytes.Buffer{}}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<16), 1<<20)
		found := false
		if keep != nil {
			defer keep.Close()
		}
		for sc.Scan() {
			line := sc.Text()
			if keep != nil {
				_, _ = keep.WriteString(line + "\n")
			}
			if p.Log.Len() < 1<<20 {
				p.Log.WriteString(line + "\n")
			}
			if !found && match(line) {
				found = true
				ready <- true
			}
		}
		if !found {
			ready <- false
		}
	}()
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	select {
	case ok := <-ready:
		if ok {
			return p, nil
		}
	case <-time.After(20 * time.Second):
	}
	p.Stop()
	return nil, fmt.Errorf("%s did not start:\n%s", cmd.Path, p.Log.String())
}

// Emulator is a running Langfuse emulator.
type Emulator struct {
	*Process
	Port int
}

// URL is the emulator's base URL.
func (e *Emulator) URL() string { return fmt.Sprintf("http://127.0.0.1:%d", e.Port) }

// StartEmulator starts tests/emulator/langfuse_emulator.py (server version 4.16.0).
func StartEmulator() (*Emulator, error) {
	script := os.Getenv("TRACEGATE_EMULATOR")
	if script == "" {
		script = filepath.Join(repoRoot(), "tests", "emulator", "langfuse_emulator.py")
	}
	python := os.Getenv("TRACEGATE_PYTHON")
	if python == "" {
		python = "python3"
		if v := filepath.Join(repoRoot(), ".venv", "bin", "python3"); exists(v) {
			python = v
		}
	}
	cmd := exec.Command(python, script, "--host", "127.0.0.1", "--port", "0", "--public-key", pk,
		"--secret-key", sk, "--server-version", "4.16.0", "--max-lifetime-seconds", "900")
	port := 0
	p, err := start(cmd, cmd.StdoutPipe, func(line string) bool {
		_, err := fmt.Sscanf(line, "PORT %d", &port)
		return err == nil
	}, nil)
	if err != nil {
		return nil, err
	}
	return &Emulator{Process: p, Port: port}, nil
}

// State is the emulator's /_emulator/state (see tests/emulator/README.md).
type State struct {
	Traces       map[string]map[string]any `json:"traces"`
	Observations map[string]map[string]any `json:"observations"`
	Requests     []map[string]any          `json:"requests"`
	Counts       map[string]int            `json:"counts"`
}

func (e *Emulator) call(method, path string) (*http.Response, error) {
	req, err := http.NewRequest(method, e.URL()+path, nil)
	if err != nil {
		return nil, err
	}
	return http.DefaultClient.Do(req)
}

// State reads everything the emulator stored.
func (e *Emulator) State() (*State, error) {
	res, err := e.call("GET", "/_emulator/state")
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var s State
	return &s, json.NewDecoder(res.Body).Decode(&s)
}

// Reset clears what the emulator stored.
func (e *Emulator) Reset() error {
	res, err := e.call("POST", "/_emulator/reset")
	if err == nil {
		res.Body.Close()
	}
	return err
}

// WaitFor blocks until the counts (traces, observations, scores) are reached or timeoutS
// passes, then returns the state either way.
func (e *Emulator) WaitFor(counts map[string]int, timeoutS int) (*State, error) {
	q := url.Values{}
	for k, v := range counts {
		q.Set(k, fmt.Sprint(v))
	}
	q.Set("timeout", fmt.Sprint(timeoutS))
	res, err := e.call("GET", "/_emulator/wait?"+q.Encode())
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	return e.State()
}

// GatewayConfig: APIKey may write workspaces alpha and beta, routed (OTLP) to langfuseURL.
func GatewayConfig(langfuseURL, grpcListen string) string {
	digest := sha256.Sum256([]byte(APIKey))
	return strings.Join([]string{
		"server:",
		fmt.Sprintf("  grpc_listen: %q", grpcListen),
		`  admin_listen: "127.0.0.1:0"`,
		"  drain_timeout: 10s",
		"api_keys:",
		"  - name: test-key",
		"    sha256: " + hex.EncodeToString(digest[:]),
		"    workspaces: [alpha, beta]",
		"routes:",
		"  - name: test-route",
		`    workspaces: ["alpha", "beta"]`,
		"    egress: otlp",
		"    langfuse:",
		"      base_url: " + langfuseURL,
		"      public_key: " + pk,
		"      secret_key: " + sk,
		"      timeout: 5s",
		"export:",
		"  linger: 20ms",
		"  initial_backoff: 100ms",
		"  max_backoff: 2s",
		// The gateway hashes user ids, masks PII and adds default tags unless told otherwise
		// (docs/privacy.md); tests here check what the client sends, so that is turned off.
		"privacy:",
		"  user_id: keep",
		"  capture: full",
		"  enrich: false",
		"",
	}, "\n")
}

// Gateway is a running tracegate process.
type Gateway struct {
	*Process
	GRPCPort, AdminPort int
}

// Endpoint is host:port of the gRPC listener.
func (g *Gateway) Endpoint() string { return fmt.Sprintf("127.0.0.1:%d", g.GRPCPort) }

// StartGateway writes configText to a temp file and runs the gateway with it.
func StartGateway(configText string) (*Gateway, error) {
	bin, err := GatewayBinary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "tracegate-go-")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "tracegate.yaml")
	if err := os.WriteFile(path, []byte(configText), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--config="+path)
	var grpcPort, adminPort int
	p, err := start(cmd, cmd.StderrPipe, func(line string) bool {
		var m struct {
			Msg       string `json:"msg"`
			GRPCPort  any    `json:"grpc_port"`
			AdminPort any    `json:"admin_port"`
		}
		if json.Unmarshal([]byte(line), &m) != nil || m.Msg != "tracegate listening" {
			return false
		}
		fmt.Sscan(fmt.Sprint(m.GRPCPort), &grpcPort)
		fmt.Sscan(fmt.Sprint(m.AdminPort), &adminPort)
		return true
	}, keepLogFile())
	if err != nil {
		return nil, err
	}
	return &Gateway{Process: p, GRPCPort: grpcPort, AdminPort: adminPort}, nil
}

// Recording is an emulator and a gateway wired together.
type Recording struct {
	*Emulator
	Gateway *Gateway
}

// StartRecording starts the emulator, then the gateway in front of it.
func StartRecording() (*Recording, error) {
	emu, err := StartEmulator()
	if err != nil {
		return nil, err
	}
	gw, err := StartGateway(GatewayConfig(emu.URL(), "127.0.0.1:0"))
	if err != nil {
		emu.Stop()
		return nil, err
	}
	return &Recording{Emulator: emu, Gateway: gw}, nil
}

// ClientOptions point a tracegate.Client at this gateway (workspace alpha).
func (r *Recording) ClientOptions() tracegate.Options {
	return tracegate.Options{Endpoint: r.Gateway.Endpoint(), APIKey: APIKey, Workspace: Workspace}
}

// RestartGateway stops the gateway and starts a new one on the same gRPC port.
func (r *Recording) RestartGateway() error {
	port := r.Gateway.GRPCPort
	r.Gateway.Stop()
	gw, err := StartGateway(GatewayConfig(r.URL(), fmt.Sprintf("127.0.0.1:%d", port)))
	if err != nil {
		return err
	}
	r.Gateway = gw
	return nil
}

// Stop stops the gateway, then the emulator.
func (r *Recording) Stop() {
	r.Gateway.Stop()
	r.Emulator.Stop()
}
