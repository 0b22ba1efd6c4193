// Conversions between JS values and the proto forms used in TraceEvents:
// google.protobuf.Value / Struct, Timestamp, and tracegate.v1.Payload.
import type { Payload, Struct, Timestamp, Value } from "./proto";

/** A JS value as a google.protobuf.Value (proto-loader object form). Never throws:
 *  unsupported values (functions, symbols, cycles) become strings or null. */
export function toValue(v: unknown, depth = 0, seen?: Set<unknown>): Value {
  if (v === null || v === undefined) return { nullValue: "NULL_VALUE" };
  switch (typeof v) {
    case "string":
      return { stringValue: v };
    case "number":
      return Number.isFinite(v) ? { numberValue: v } : { stringValue: String(v) };
    case "boolean":
      return { boolValue: v };
    case "bigint":
      return { stringValue: v.toString() };
    case "object":
      break;
    default:
      return { stringValue: String(v) };
  }
  if (depth > 32) return { stringValue: "<too deep>" };
  if (v instanceof Date) return { stringValue: v.toISOString() };
  const set = seen ?? new Set<unknown>();
  if (set.has(v)) return { stringValue: "<cycle>" };
  set.add(v);
  try {
    if (Array.isArray(v)) {
      return { listValue: { values: v.map((x) => toValue(x, depth + 1, set)) } };
    }
    const plain = toPlain(v);
    if (plain !== v) return toValue(plain, depth + 1, set);
    return { structValue: toStruct(v as Record<string, unknown>, depth + 1, set) };
  } finally {
    set.delete(v);
  }
}

/** A plain object as a google.protobuf.Struct (undefined values are left out). */
export function toStruct(obj: Record<string, unknown>, depth = 0, seen?: Set<unknown>): Struct {
  const fields: Record<string, Value> = {};
  for (const [k, val] of Object.entries(obj)) {
    if (val === undefined || typeof val === "function") continue;
    fields[k] = toValue(val, depth, seen);
  }
  return { fields };
}

/** Objects with a toJSON() (LangChain messages, Documents, ...) turned into plain data. */
function toPlain(v: object): unknown {
  const anyV = v as { toJSON?: () => unknown };
  if (typeof anyV.toJSON === "function" && !isPlainObject(v)) {
    try {
      return anyV.toJSON();
    } catch {
      return String(v);
    }
  }
  return v;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A JS value as a Payload: strings as text, anything else as a structured value. */
export function toPayload(v: unknown): Payload | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "string") return { text: v };
  return { value: toValue(v) };
}

/** Milliseconds since the epoch (or a Date) as a google.protobuf.Timestamp. */
export function toTimestamp(t: number | Date): Timestamp {
  const ms = typeof t === "number" ? t : t.getTime();
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return { seconds: String(seconds), nanos };
}
