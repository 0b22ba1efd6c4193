// TLS with client certificates (mTLS) against the real gateway; certificates made with the
// openssl command line (Debian's openssl, installed with ca-certificates).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TracegateClient } from "../src/index";
import { Emulator, Gateway, gatewayConfig, startEmulator, startGateway, TEST_API_KEY, TEST_WORKSPACE } from "../src/testing";
import { CapturingLogger } from "./fakes";

let emu: Emulator;
let gw: Gateway;
let dir: string;
const p = (n: string) => path.join(dir, n);

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function makeCerts(): void {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", p("ca.key"), "-out", p("ca.pem"), "-days", "1", "-subj", "/CN=tracegate-test-ca");
  for (const [name, ext] of [["server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"],
                             ["client", "extendedKeyUsage=clientAuth\n"]]) {
    fs.writeFileSync(p(`${name}.ext`), ext);
    openssl("req", ...ec, "-keyout", p(`${name}.key`), "-out", p(`${name}.csr`), "-subj", `/CN=${name}`);
    openssl("x509", "-req", "-in", p(`${name}.csr`), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
            "-CAcreateserial", "-out", p(`${name}.pem`), "-days", "1", "-extfile", p(`${name}.ext`));
  }
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tracegate-tls-"));
  makeCerts();
  emu = await startEmulator();
  gw = await startGateway(gatewayConfig(emu.url) +
    `security:\n  tls:\n    cert_file: ${p("server.pem")}\n    key_file: ${p("server.key")}\n    client_ca_file: ${p("ca.pem")}\n`);
});
after(async () => {
  await gw?.stop();
  await emu?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("mTLS: TRACEGATE_CA_FILE / _CERT_FILE / _KEY_FILE deliver over TLS", async () => {
  const saved = { ...process.env };
  Object.assign(process.env, {
    TRACEGATE_ENDPOINT: gw.endpoint, TRACEGATE_API_KEY: TEST_API_KEY, TRACEGATE_WORKSPACE: TEST_WORKSPACE,
    TRACEGATE_CA_FILE: p("ca.pem"), TRACEGATE_CERT_FILE: p("client.pem"), TRACEGATE_KEY_FILE: p("client.key"),
  });
  let client: TracegateClient;
  try {
    client = new TracegateClient({ flushOnExit: false });
  } finally {
    process.env = saved;
  }
  for (let i = 0; i < 10; i++) client.enqueue({ trace: { id: `tls-${i}`, name: "over-tls" } });
  const stats = await client.shutdown(15_000);
  assert.equal(stats.sent, 10);
  const state = await emu.waitFor({ traces: 10 });
  assert.equal(state.counts.traces, 10);
});

test("TLS without a client certificate: nothing delivered, one warning, host unharmed", async () => {
  const log = new CapturingLogger();
  const client = new TracegateClient({
    endpoint: gw.endpoint, apiKey: TEST_API_KEY, workspace: TEST_WORKSPACE, tls: { caFile: p("ca.pem") },
    flushOnExit: false, logger: log, initialBackoffMs: 20, maxBackoffMs: 50,
  });
  client.enqueue({ trace: { id: "no-cert", name: "x" } });
  assert.equal(await client.flush(500), false);
  const stats = await client.shutdown(100);
  assert.equal(stats.sent, 0);
  assert.equal(stats.dropped, 1);
  assert.equal(log.lines.filter((l) => l.includes("unavailable")).length, 1, log.lines.join("\n"));
});
