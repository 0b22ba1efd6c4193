// Client options and how they are read from the environment.
//
//   TRACEGATE_ENDPOINT   host:port of the gateway            (default 127.0.0.1:50051)
//   TRACEGATE_API_KEY    gateway API key ("tg_..."), sent as "authorization: Bearer <key>"
//   TRACEGATE_WORKSPACE  default workspace of the events     (default "default")
//   APP_ENV              environment stamped on events that leave it empty
//   TRACEGATE_APP_ID     app id sent as IngestRequest.app_id (the gateway's tag app:<id>)
//   TRACEGATE_TLS        "1"/"true" to use TLS (also implied by the three files below)
//   TRACEGATE_CA_FILE    PEM roots (default: the system roots)
//   TRACEGATE_CERT_FILE, TRACEGATE_KEY_FILE   client certificate and key (mTLS)
//   TRACEGATE_ENABLED    "0"/"false" turns the client into a no-op that counts drops
//
// Arguments passed to the constructor win over the environment.

/** Where the client writes its few log lines. */
export interface Logger {
  warn(message: string): void;
  debug?(message: string): void;
}

export interface TlsOptions {
  /** PEM file with the roots to trust; the system roots when empty. */
  caFile?: string;
  /** PEM client certificate and key for mTLS. */
  certFile?: string;
  keyFile?: string;
}

export interface ClientOptions {
  endpoint?: string;
  apiKey?: string;
  workspace?: string;
  /** Langfuse environment for events that set none (lower case [a-z0-9_-], <= 40 chars). */
  environment?: string;
  /** Sent as IngestRequest.app_id on every request: with enrichment on, the gateway tags the
   *  trace `app:<appId>` and sets its metadata app_id. At most 200 bytes (UTF-8), no control
   *  characters; an invalid id is logged once and not sent. */
  appId?: string;
  /** TLS: true (system roots), or file paths. Plaintext when absent/false. */
  tls?: boolean | TlsOptions;
  enabled?: boolean;
  /** Events buffered at most; further events are dropped and counted. Default 100000. */
  maxQueueSize?: number;
  /** Events per request. Default 100. */
  batchSize?: number;
  /** Serialized bytes per request (an upper bound is estimated); an event larger than this
   *  goes alone. Default 4 MiB, well under the gateway's 16 MiB message limit. */
  maxBatchBytes?: number;
  /** A partial batch is sent after this long. Default 500 ms. */
  flushIntervalMs?: number;
  /** Concurrent requests. Default 2. */
  maxInFlight?: number;
  /** Deadline of one request. Default 10 s. */
  timeoutMs?: number;
  /** Backoff between retries of a batch the gateway could not take. Defaults 200 ms, 10 s. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long the process-exit flush may take. Default 5 s. */
  exitFlushTimeoutMs?: number;
  /** Flush at process exit (Node's 'beforeExit'). Default true. */
  flushOnExit?: boolean;
  logger?: Logger;
}

export type ResolvedOptions = Required<Omit<ClientOptions, "tls" | "logger" | "environment">> & {
  tls: TlsOptions | undefined;
  environment: string;
  logger: Logger;
};

const ENV_RE = /^[a-z0-9_-]{1,40}$/;

/** Returns `env` if Langfuse accepts it as an environment name, else "". */
export function sanitizeEnvironment(env: string | undefined): string {
  if (!env) return "";
  const e = env.trim().toLowerCase();
  return ENV_RE.test(e) && !e.startsWith("langfuse") ? e : "";
}

function truthy(v: string | undefined): boolean | undefined {
  if (v === undefined || v === "") return undefined;
  return !["0", "false", "no", "off"].includes(v.toLowerCase());
}

const MAX_REQUEST_VALUE_BYTES = 200;

/** Why the gateway would refuse `value` as IngestRequest.app_id ("" when it is fine): more
 *  than 200 bytes of UTF-8, or a control character (below 0x20, or 0x7F). */
export function requestValueProblem(value: string): string {
  if (Buffer.byteLength(value, "utf8") > MAX_REQUEST_VALUE_BYTES) {
    return `longer than ${MAX_REQUEST_VALUE_BYTES} characters`;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return "must not contain control characters";
  return "";
}

export const defaultLogger: Logger = {
  warn: (m) => console.warn("tracegate: " + m),
};

/** Merges arguments, environment and defaults. */
export function resolveOptions(
  o: ClientOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedOptions {
  let tls: TlsOptions | undefined;
  if (o.tls !== undefined) {
    tls = o.tls === true ? {} : o.tls === false ? undefined : o.tls;
  } else {
    const files: TlsOptions = {
      caFile: env.TRACEGATE_CA_FILE || undefined,
      certFile: env.TRACEGATE_CERT_FILE || undefined,
      keyFile: env.TRACEGATE_KEY_FILE || undefined,
    };
    const anyFile = Boolean(files.caFile || files.certFile || files.keyFile);
    const flag = truthy(env.TRACEGATE_TLS);
    if (flag === true || (flag === undefined && anyFile)) tls = files;
  }
  return {
    endpoint: o.endpoint ?? (env.TRACEGATE_ENDPOINT || "127.0.0.1:50051"),
    apiKey: o.apiKey ?? (env.TRACEGATE_API_KEY || ""),
    workspace: o.workspace ?? (env.TRACEGATE_WORKSPACE || "default"),
    environment: sanitizeEnvironment(o.environment ?? env.APP_ENV),
    appId: o.appId ?? (env.TRACEGATE_APP_ID || ""),
    tls,
    enabled: o.enabled ?? truthy(env.TRACEGATE_ENABLED) ?? true,
    maxQueueSize: o.maxQueueSize ?? 100_000,
    batchSize: Math.max(1, o.batchSize ?? 100),
    maxBatchBytes: Math.max(1, o.maxBatchBytes ?? 4 * 1024 * 1024),
    flushIntervalMs: o.flushIntervalMs ?? 500,
    maxInFlight: Math.max(1, o.maxInFlight ?? 2),
    timeoutMs: o.timeoutMs ?? 10_000,
    initialBackoffMs: o.initialBackoffMs ?? 200,
    maxBackoffMs: o.maxBackoffMs ?? 10_000,
    exitFlushTimeoutMs: o.exitFlushTimeoutMs ?? 5_000,
    flushOnExit: o.flushOnExit ?? true,
    logger: o.logger ?? defaultLogger,
  };
}
