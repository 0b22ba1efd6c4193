// Loads the Tracegate protos at run time with @grpc/proto-loader. The TypeScript types of
// the messages come from src/generated/ (written by scripts/gen.js from the repository's
// proto/, never edited by hand). Message objects are plain JS objects in the proto-loader
// shape: camelCase fields, enums as their string names, int64 as strings or numbers.
import * as path from "path";
import * as fs from "fs";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { ProtoGrpcType } from "./generated/ingest_service";

export type { TraceEvent } from "./generated/tracegate/v1/TraceEvent";
export type { Trace } from "./generated/tracegate/v1/Trace";
export type { Observation } from "./generated/tracegate/v1/Observation";
export type { Score } from "./generated/tracegate/v1/Score";
export type { Payload } from "./generated/tracegate/v1/Payload";
export type { ChatMessage } from "./generated/tracegate/v1/ChatMessage";
export type { TraceAttributes } from "./generated/tracegate/v1/TraceAttributes";
export type { IngestRequest } from "./generated/tracegate/v1/IngestRequest";
export type { IngestResponse__Output as IngestResponse } from "./generated/tracegate/v1/IngestResponse";
export type { EventResult__Output as EventResult } from "./generated/tracegate/v1/EventResult";
export type { IngestServiceClient } from "./generated/tracegate/v1/IngestService";
export type { Struct } from "./generated/google/protobuf/Struct";
export type { Value } from "./generated/google/protobuf/Value";
export type { Timestamp } from "./generated/google/protobuf/Timestamp";
export type { ObservationType } from "./generated/tracegate/v1/ObservationType";
export type { Level } from "./generated/tracegate/v1/Level";

/** Finds the proto/ folder shipped next to the compiled package (dist/src/../../proto). */
export function protoDir(): string {
  const candidates = [
    path.resolve(__dirname, "..", "..", "proto"),
    path.resolve(__dirname, "..", "proto"),
  ];
  for (const c of candidates) {
    if (fs.existsSync(path.join(c, "tracegate", "v1", "ingest_service.proto"))) return c;
  }
  throw new Error("tracegate: proto files not found (run `npm run gen`)");
}

let cached: ProtoGrpcType | undefined;

/** The loaded package definition (loaded once per process). */
export function loadProtos(): ProtoGrpcType {
  if (!cached) {
    const def = protoLoader.loadSync("tracegate/v1/ingest_service.proto", {
      includeDirs: [protoDir()],
      keepCase: false,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    cached = grpc.loadPackageDefinition(def) as unknown as ProtoGrpcType;
  }
  return cached;
}
