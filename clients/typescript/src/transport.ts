// The one RPC the client makes, behind an interface so tests can fake the gateway.
import * as fs from "fs";
import * as grpc from "@grpc/grpc-js";
import { loadProtos } from "./proto";
import type { IngestRequest, IngestResponse, IngestServiceClient } from "./proto";
import type { ResolvedOptions } from "./config";

/** An error from a call: `code` is the canonical gRPC status code. */
export interface CallError extends Error {
  code?: number;
  /** The text of the status (grpc-js's ServiceError.details). */
  details?: string;
  /** The channel cannot be made at all (bad TLS files, bad endpoint): retrying or
   *  splitting the batch cannot help. */
  fatal?: boolean;
}

export interface Transport {
  /** Sends one batch; rejects with a CallError when the call fails. */
  ingest(request: IngestRequest, deadlineMs: number): Promise<IngestResponse>;
  /** Cancels calls in flight (they fail with CANCELLED) and releases the connection. */
  close(): void;
}

/** The real transport: a @grpc/grpc-js channel, created lazily, recreated after close(). */
export class GrpcTransport implements Transport {
  private client: IngestServiceClient | undefined;
  private readonly metadata = new grpc.Metadata();
  private readonly active = new Set<grpc.ClientUnaryCall>();

  constructor(private readonly options: ResolvedOptions) {
    if (options.apiKey) this.metadata.set("authorization", "Bearer " + options.apiKey);
  }

  private stub(): IngestServiceClient {
    if (!this.client) {
      const Ctor = loadProtos().tracegate.v1.IngestService;
      this.client = new Ctor(this.options.endpoint, this.credentials(), {
        "grpc.max_send_message_length": 64 * 1024 * 1024,
        "grpc.max_receive_message_length": 64 * 1024 * 1024,
      });
    }
    return this.client;
  }

  private credentials(): grpc.ChannelCredentials {
    const tls = this.options.tls;
    if (!tls) return grpc.credentials.createInsecure();
    const read = (p?: string) => (p ? fs.readFileSync(p) : null);
    return grpc.credentials.createSsl(read(tls.caFile), read(tls.keyFile), read(tls.certFile));
  }

  ingest(request: IngestRequest, deadlineMs: number): Promise<IngestResponse> {
    return new Promise((resolve, reject) => {
      let stub: IngestServiceClient;
      try {
        stub = this.stub();
      } catch (e) {
        const err = e as CallError;
        err.code = grpc.status.INVALID_ARGUMENT;  // bad TLS files, bad endpoint: misconfigured
        err.fatal = true;
        reject(err);
        return;
      }
      const call = stub.Ingest(request, this.metadata, { deadline: Date.now() + deadlineMs }, (err, res) => {
        this.active.delete(call);
        if (err) reject(err);
        else if (!res) reject(Object.assign(new Error("empty response"), { code: grpc.status.INTERNAL }));
        else resolve(res as IngestResponse);
      });
      this.active.add(call);
    });
  }

  close(): void {
    for (const call of this.active) call.cancel();
    this.active.clear();
    this.client?.close();
    this.client = undefined;
  }
}
