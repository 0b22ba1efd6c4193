// For a service's own Node tests: run the real gateway with a recording Langfuse (the
// repository's emulator, tests/emulator) and read back what it received.
//
//   import { startRecordingGateway } from "@tracegate/client/testing";
//   const rec = await startRecordingGateway();        // emulator + gateway on 127.0.0.1:0
//   const client = new TracegateClient(rec.clientOptions);
//   ... run the code under test, await client.flush() ...
//   const got = await rec.waitFor({ traces: 1, observations: 5 });
//   assert.equal(Object.values(got.traces)[0].name, "my-chain");
//   await rec.stop();
//
// Where the programs are found (environment, else relative to this repository):
//   TRACEGATE_BIN        the gateway binary   (else $TRACEGATE_BUILD_DIR/gateway/tracegate,
//                                             else <repo>/build/gateway/tracegate)
//   TRACEGATE_EMULATOR   langfuse_emulator.py (else <repo>/tests/emulator/langfuse_emulator.py)
//   TRACEGATE_PYTHON     Python with tests/emulator/requirements.txt (else <repo>/.venv, python3)
// Every process started here listens on 127.0.0.1 port 0, has a bounded lifetime, and is
// killed by stop() or, at the latest, when the test process exits.
import { ChildProcess, spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ClientOptions } from "./config";

const REPO = path.resolve(__dirname, "..", "..", "..", "..");
export const TEST_API_KEY = "tg_test_key_alpha";
export const TEST_WORKSPACE = "alpha";
const PK = "pk-lf-test";
const SK = "sk-lf-test";

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

function firstExisting(paths: string[]): string | undefined {
  return paths.find((p) => fs.existsSync(p));
}

export function gatewayBinary(): string {
  const env = process.env;
  const bin = env.TRACEGATE_BIN || firstExisting([
    ...(env.TRACEGATE_BUILD_DIR ? [path.join(env.TRACEGATE_BUILD_DIR, "gateway", "tracegate")] : []),
    path.join(REPO, "build", "gateway", "tracegate"),
  ]);
  if (!bin || !fs.existsSync(bin)) {
    throw new Error("tracegate binary not found: set TRACEGATE_BIN or TRACEGATE_BUILD_DIR");
  }
  return bin;
}

function pythonAndEmulator(): [string, string] {
  const env = process.env;
  const script = env.TRACEGATE_EMULATOR || path.join(REPO, "tests", "emulator", "langfuse_emulator.py");
  const python = env.TRACEGATE_PYTHON || firstExisting([path.join(REPO, ".venv", "bin", "python3")]) || "python3";
  return [python, script];
}

/** Reads lines of a stream until `match` returns a value, or fails after deadlineMs. */
function waitForLine<T>(proc: ChildProcess, stream: NodeJS.ReadableStream, deadlineMs: number,
                        match: (line: string) => T | undefined, log: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    let buf = "";
    let done = false;
    const finish = (err?: Error, value?: T) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value as T);
    };
    const timer = setTimeout(() => finish(new Error("no start-up line in time:\n" + log.join("\n"))), deadlineMs);
    stream.on("data", (chunk: Buffer) => {
      buf += chunk.toString("utf8");
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        log.push(line);
        if (log.length > 2000) log.shift();
        if (!done) {
          const v = match(line);
          if (v !== undefined) finish(undefined, v);
        }
      }
    });
    proc.once("exit", (code) => finish(new Error(`exited with ${code}:\n` + log.join("\n"))));
  });
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) {
    children.delete(proc);
    return;
  }
  await new Promise<void>((resolve) => {
    const kill = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    proc.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    proc.kill("SIGTERM");
  });
  children.delete(proc);
}

export interface EmulatorState {
  traces: Record<string, any>;
  observations: Record<string, any>;
  scores: Record<string, any>;
  requests: any[];
  counts: { traces: number; observations: number; scores: number; requests: number };
  [k: string]: any;
}

/** A running Langfuse emulator. */
export class Emulator {
  constructor(readonly proc: ChildProcess, readonly port: number, readonly log: string[]) {}
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  async request(method: string, p: string, body?: unknown): Promise<{ status: number; json: any }> {
    const res = await fetch(this.url + p, {
      method,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  }
  async state(): Promise<EmulatorState> {
    return (await this.request("GET", "/_emulator/state")).json;
  }
  async reset(): Promise<void> {
    await this.request("POST", "/_emulator/reset");
  }
  /** Queues faults (see tests/emulator/README.md). */
  async faults(spec: unknown): Promise<void> {
    const r = await this.request("POST", "/_emulator/faults", spec);
    if (r.status !== 200) throw new Error("bad fault: " + JSON.stringify(r.json));
  }
  /** Waits until at least the given counts are stored; returns the state either way. */
  async waitFor(counts: { traces?: number; observations?: number; scores?: number }, timeoutS = 15): Promise<EmulatorState> {
    const q = Object.entries(counts).map(([k, v]) => `${k}=${v}`).join("&");
    await this.request("GET", `/_emulator/wait?${q}&timeout=${timeoutS}`);
    return this.state();
  }
  stop(): Promise<void> {
    return stopProcess(this.proc);
  }
}

export async function startEmulator(args: string[] = [], lifetimeS = 600): Promise<Emulator> {
  const [python, script] = pythonAndEmulator();
  const proc = spawn(python, [script, "--host", "127.0.0.1", "--port", "0", "--public-key", PK,
    "--secret-key", SK, "--server-version", "4.16.0", "--max-lifetime-seconds", String(lifetimeS), ...args],
  { stdio: ["ignore", "pipe", "pipe"] });
  children.add(proc);
  const log: string[] = [];
  proc.stderr!.on("data", (c: Buffer) => {
    log.push(c.toString());
    if (log.length > 200) log.shift();
  });
  try {
    const port = await waitForLine(proc, proc.stdout!, 20_000, (l) => {
      const m = /^PORT (\d+)/.exec(l.trim());
      return m ? Number(m[1]) : undefined;
    }, log);
    return new Emulator(proc, port, log);
  } catch (e) {
    await stopProcess(proc);
    throw e;
  }
}

function sha256(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

/** A gateway config: TEST_API_KEY may write workspaces alpha and beta, all routed (OTLP) to
 *  the emulator at `langfuseUrl`. Listens on 127.0.0.1 port 0. */
export function gatewayConfig(langfuseUrl: string, grpcListen = "127.0.0.1:0"): string {
  return [
    "server:",
    `  grpc_listen: "${grpcListen}"`,
    '  admin_listen: "127.0.0.1:0"',
    "  drain_timeout: 10s",
    "api_keys:",
    "  - name: test-key",
    `    sha256: ${sha256(TEST_API_KEY)}`,
    "    workspaces: [alpha, beta]",
    "routes:",
    "  - name: test-route",
    '    workspaces: ["alpha", "beta"]',
    "    egress: otlp",
    "    langfuse:",
    `      base_url: ${langfuseUrl}`,
    `      public_key: ${PK}`,
    `      secret_key: ${SK}`,
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
  ].join("\n");
}

/** A running gateway process. */
export class Gateway {
  constructor(readonly proc: ChildProcess, readonly grpcPort: number, readonly adminPort: number,
              readonly log: string[]) {}
  get endpoint(): string {
    return `127.0.0.1:${this.grpcPort}`;
  }
  /** SIGTERM (the gateway drains), SIGKILL after 10 s. */
  stop(): Promise<void> {
    return stopProcess(this.proc);
  }
}

export async function startGateway(configText: string): Promise<Gateway> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tracegate-node-"));
  const file = path.join(dir, "tracegate.yaml");
  fs.writeFileSync(file, configText, { mode: 0o600 });
  const proc = spawn(gatewayBinary(), ["--config=" + file], { stdio: ["ignore", "ignore", "pipe"] });
  children.add(proc);
  // With TRACEGATE_GATEWAY_LOG_DIR set (Tracegate's ctest), a copy of the log goes there for
  // the suite's log scan.
  const keepDir = process.env.TRACEGATE_GATEWAY_LOG_DIR;
  if (keepDir) {
    fs.mkdirSync(keepDir, { recursive: true });
    const keep = fs.createWriteStream(path.join(keepDir, `node-${process.pid}-${proc.pid}.log`));
    proc.stderr!.on("data", (chunk: Buffer) => keep.write(chunk));
    proc.stderr!.once("end", () => keep.end());
  }
  const log: string[] = [];
  try {
    const ports = await waitForLine(proc, proc.stderr!, 20_000, (l) => {
      try {
        const o = JSON.parse(l);
        if (o.msg === "tracegate listening") return [Number(o.grpc_port), Number(o.admin_port)] as const;
      } catch {
        /* not JSON */
      }
      return undefined;
    }, log);
    return new Gateway(proc, ports[0], ports[1], log);
  } catch (e) {
    await stopProcess(proc);
    throw e;
  }
}

/** Emulator + gateway wired together; what the gateway delivered is read back from the emulator. */
export class RecordingGateway {
  constructor(readonly emulator: Emulator, public gateway: Gateway) {}
  get endpoint(): string {
    return this.gateway.endpoint;
  }
  /** Options for a TracegateClient that writes to this gateway (workspace "alpha"). */
  get clientOptions(): ClientOptions {
    return { endpoint: this.endpoint, apiKey: TEST_API_KEY, workspace: TEST_WORKSPACE, flushOnExit: false };
  }
  received(): Promise<EmulatorState> {
    return this.emulator.state();
  }
  waitFor(counts: { traces?: number; observations?: number; scores?: number }, timeoutS = 15): Promise<EmulatorState> {
    return this.emulator.waitFor(counts, timeoutS);
  }
  reset(): Promise<void> {
    return this.emulator.reset();
  }
  /** Stops the gateway and starts a new one on the same gRPC port (restart tests). */
  async restartGateway(): Promise<void> {
    const port = this.gateway.grpcPort;
    await this.gateway.stop();
    this.gateway = await startGateway(gatewayConfig(this.emulator.url, `127.0.0.1:${port}`));
  }
  async stop(): Promise<void> {
    await this.gateway.stop();
    await this.emulator.stop();
  }
}

export async function startRecordingGateway(): Promise<RecordingGateway> {
  const emulator = await startEmulator();
  try {
    const gateway = await startGateway(gatewayConfig(emulator.url));
    return new RecordingGateway(emulator, gateway);
  } catch (e) {
    await emulator.stop();
    throw e;
  }
}

/** One observation of a received trace, with its children in start order. */
export interface TreeNode {
  name: string;
  type: string;
  input: unknown;
  output: unknown;
  level: string;
  statusMessage: string | null;
  model: string | null;
  modelParameters: Record<string, unknown> | null;
  usageDetails: Record<string, number> | null;
  metadata: Record<string, unknown>;
  /** The id the client sent (the emulator stores Langfuse's derived id). */
  clientId: string;
  children: TreeNode[];
}

/** The observation tree of one received trace (the gateway's span for the Trace event left
 *  out), ordered by
 *  start time, then by the id the client sent (LangChain run ids are time-ordered UUIDv7). */
export function traceTree(state: EmulatorState, traceId?: string): TreeNode[] {
  const tid = traceId ?? Object.keys(state.traces)[0];
  const inTrace = Object.values(state.observations).filter((o: any) => o.traceId === tid);
  // The span the gateway makes of the Trace event itself (OTLP egress) is marked
  // langfuse.internal.as_root, and its id is SHA-256("trace:" + trace id) (the stored id or
  // the client's, kept in metadata.tracegate_trace_id when it was hashed). Other parentless
  // observations (a LangChain root run) stay.
  const spanIds = new Set<string>();
  for (const o of inTrace as any[]) {
    for (const id of [o.traceId, o.metadata?.tracegate_trace_id]) {
      if (id) spanIds.add(createHash("sha256").update(`trace:${id}`).digest("hex").slice(0, 16));
    }
  }
  const isTraceSpan = (o: any) => o.attributes?.["langfuse.internal.as_root"] === true
    || (!o.parentObservationId && spanIds.has(o.id));
  const obs = inTrace.filter((o: any) => !isTraceSpan(o));
  const nodes = new Map<string, TreeNode & { _start: string; _parent: string | null }>();
  for (const o of obs as any[]) {
    nodes.set(o.id, {
      name: o.name, type: o.type, input: o.input, output: o.output, level: o.level,
      statusMessage: o.statusMessage, model: o.model, modelParameters: o.modelParameters,
      usageDetails: o.usageDetails, metadata: o.metadata ?? {},
      clientId: String(o.metadata?.tracegate_observation_id ?? o.id), children: [],
      _start: o.startTime ?? "", _parent: o.parentObservationId,
    });
  }
  const roots: TreeNode[] = [];
  for (const n of nodes.values()) {
    const parent = n._parent ? nodes.get(n._parent) : undefined;
    (parent ? parent.children : roots).push(n);
  }
  const order = (list: TreeNode[]) => {
    list.sort((a: any, b: any) => (a._start === b._start
      ? (a.clientId < b.clientId ? -1 : 1) : (a._start < b._start ? -1 : 1)));
    list.forEach((n) => order(n.children));
  };
  order(roots);
  const clean = (n: any): TreeNode => {
    delete n._start;
    delete n._parent;
    n.children.forEach(clean);
    return n;
  };
  return roots.map(clean);
}
