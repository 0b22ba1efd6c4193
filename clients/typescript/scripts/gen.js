#!/usr/bin/env node
// Generates the TypeScript types of the Tracegate protos (never edit the output by hand).
//   node scripts/gen.js        (run by `npm run build` / `npm test`)
// 1. copies <repo>/proto/tracegate/v1/*.proto into proto/ (loaded at run time by
//    @grpc/proto-loader, and shipped with the package);
// 2. runs proto-loader-gen-types into src/generated/.
// Both outputs are git-ignored; the repository's proto/ is the only source.
"use strict";
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

const pkg = path.resolve(__dirname, "..");
const repoProto = path.resolve(pkg, "..", "..", "proto");
const outProto = path.join(pkg, "proto");
const outTypes = path.join(pkg, "src", "generated");

const srcDir = path.join(repoProto, "tracegate", "v1");
if (fs.existsSync(srcDir)) {
  fs.rmSync(outProto, { recursive: true, force: true });
  fs.mkdirSync(path.join(outProto, "tracegate", "v1"), { recursive: true });
  for (const f of fs.readdirSync(srcDir).filter((n) => n.endsWith(".proto"))) {
    fs.copyFileSync(path.join(srcDir, f), path.join(outProto, "tracegate", "v1", f));
  }
} else if (!fs.existsSync(path.join(outProto, "tracegate", "v1"))) {
  console.error("gen: no protos at " + srcDir);
  process.exit(1);
}

fs.rmSync(outTypes, { recursive: true, force: true });
const bin = path.join(pkg, "node_modules", ".bin", "proto-loader-gen-types");
execFileSync(bin, [
  "--longs=String", "--enums=String", "--oneofs", "--defaults", "--includeComments",
  "--grpcLib=@grpc/grpc-js", "-I", outProto, "-O", outTypes,
  "tracegate/v1/ingest_service.proto",
], { stdio: "inherit" });
