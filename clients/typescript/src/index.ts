// Tracegate client for Node. See docs/clients.md in the repository.
export { TracegateClient, codeName } from "./client";
export type { ClientStats } from "./client";
export { resolveOptions, sanitizeEnvironment } from "./config";
export type { ClientOptions, Logger, TlsOptions } from "./config";
export type { Transport, CallError } from "./transport";
export { GrpcTransport } from "./transport";
export { toValue, toStruct, toPayload, toTimestamp } from "./struct";
export { loadProtos, protoDir } from "./proto";
export type * from "./proto";
