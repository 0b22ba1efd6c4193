// Makes events safe to encode and measures them, before they are batched.
//
// A JS string may hold a lone surrogate ("hi 😀".slice(0, 4)). protobufjs writes it as
// bytes that are not UTF-8; the gateway's gRPC cannot decode such a request and refuses the
// whole call (UNIMPLEMENTED). prepareEvent() replaces every lone surrogate, in values and
// in object keys (Struct and map fields), with U+FFFD, as String.prototype.toWellFormed
// does (Node 20 has it; older runtimes get the same result from a regular expression).
//
// It also returns an upper bound of the event's serialized size, so that requests can be
// cut by bytes: strings count their UTF-8 length, every field and key its name (protobuf
// needs a 1-2 byte tag instead) plus 12 bytes of tag and length, numbers 11 bytes.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

type WellFormedString = { isWellFormed?: () => boolean; toWellFormed?: () => string };
const native = typeof (String.prototype as WellFormedString).toWellFormed === "function";

/** s with each lone surrogate replaced by U+FFFD, without String.prototype.toWellFormed. */
export function replaceLoneSurrogates(s: string): string {
  return s.replace(LONE_SURROGATE, "\uFFFD");
}

/** s as a string that encodes as UTF-8 (lone surrogates → U+FFFD). */
export function wellFormed(s: string): string {
  if (native) {
    const w = s as unknown as Required<WellFormedString>;
    return w.isWellFormed() ? s : w.toWellFormed();
  }
  return replaceLoneSurrogates(s);
}

const MAX_DEPTH = 100;

/** Replaces lone surrogates in `event` in place; returns an upper bound of its encoded size. */
export function prepareEvent(event: object): number {
  return fix(event, 0);
}

function fix(obj: object, depth: number): number {
  if (depth > MAX_DEPTH) return 0;
  if (ArrayBuffer.isView(obj)) return obj.byteLength;
  let size = 0;
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) {
      const v = obj[i];
      if (typeof v === "string") {
        const w = wellFormed(v);
        if (w !== v) obj[i] = w;
        size += Buffer.byteLength(w, "utf8") + 12;
      } else {
        size += valueSize(v, depth) + 12;
      }
    }
    return size;
  }
  const rec = obj as Record<string, unknown>;
  for (const key of Object.keys(rec)) {
    let v = rec[key];
    if (typeof v === "string") {
      const w = wellFormed(v);
      if (w !== v) rec[key] = v = w;
    }
    let k = key;
    const wk = wellFormed(key);
    if (wk !== key) {
      delete rec[key];
      rec[wk] = v;
      k = wk;
    }
    size += Buffer.byteLength(k, "utf8") + 12 + valueSize(v, depth);
  }
  return size;
}

function valueSize(v: unknown, depth: number): number {
  switch (typeof v) {
    case "string":
      return Buffer.byteLength(v, "utf8");
    case "number":
    case "bigint":
      return 11;
    case "boolean":
      return 2;
    case "object":
      return v === null ? 0 : fix(v, depth + 1);
    default:
      return 0;
  }
}
