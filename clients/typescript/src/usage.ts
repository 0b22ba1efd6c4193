// Token usage from a LangChain LLMResult, in Langfuse's usage_details keys (input, output,
// total, input_<detail>, output_<detail>). Same sources and renames as Langfuse's
// LangChain handler: llm_output.token_usage / usage first, then per generation
// generation_info.usage_metadata, message.response_metadata.usage, and
// message.usage_metadata (later finds override earlier ones).

const RENAMES: Record<string, string> = {
  prompt_tokens: "input",
  completion_tokens: "output",
  total_tokens: "total",
  input_tokens: "input",
  output_tokens: "output",
  prompt_token_count: "input",
  candidates_token_count: "output",
  total_token_count: "total",
  inputTokenCount: "input",
  outputTokenCount: "output",
  totalTokenCount: "total",
  input_token_count: "input",
  generated_token_count: "output",
  // LangChain.js camelCase forms (llmOutput.tokenUsage)
  promptTokens: "input",
  completionTokens: "output",
  totalTokens: "total",
};

type Dict = Record<string, unknown>;

function isDict(v: unknown): v is Dict {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (Array.isArray(v) && v.every((x) => typeof x === "number")) {
    return (v as number[]).reduce((a, b) => a + b, 0); // streamed Bedrock: lists are summed
  }
  return undefined;
}

/** Maps one provider usage dict to Langfuse usage_details (non-negative integers). */
export function normalizeUsage(raw: Dict): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k === "input_token_details" || k === "prompt_tokens_details") {
      if (isDict(v)) {
        for (const [dk, dv] of Object.entries(v)) {
          const n = num(dv);
          if (n !== undefined) out[`input_${dk}`] = n;
        }
      }
      continue;
    }
    if (k === "output_token_details" || k === "completion_tokens_details") {
      if (isDict(v)) {
        for (const [dk, dv] of Object.entries(v)) {
          const n = num(dv);
          if (n !== undefined) out[`output_${dk}`] = n;
        }
      }
      continue;
    }
    const n = num(v);
    if (n === undefined) continue; // strings and nulls are dropped
    out[RENAMES[k] ?? k] = n;
  }
  // Details are part of input/output: subtract them so the parts add up.
  for (const [k, v] of Object.entries(out)) {
    if (k.startsWith("input_") && out.input !== undefined) out.input = Math.max(0, out.input - v);
    if (k.startsWith("output_") && out.output !== undefined) {
      out.output = Math.max(0, out.output - v);
    }
  }
  for (const k of Object.keys(out)) out[k] = Math.max(0, Math.round(out[k]));
  return out;
}

/** Usage of an LLMResult-like object, or undefined when it reports none. */
export function parseUsage(result: unknown): Record<string, number> | undefined {
  if (!isDict(result)) return undefined;
  let found: Dict | undefined;
  const llmOutput = result.llmOutput ?? result.llm_output;
  if (isDict(llmOutput)) {
    for (const key of ["token_usage", "tokenUsage", "usage", "estimatedTokenUsage"]) {
      const u = llmOutput[key];
      if (isDict(u) && Object.keys(u).length > 0) {
        found = u;
        break;
      }
    }
  }
  const generations = result.generations;
  if (Array.isArray(generations)) {
    for (const chunk of generations) {
      if (!Array.isArray(chunk)) continue;
      for (const gen of chunk) {
        if (!isDict(gen)) continue;
        const info = gen.generationInfo ?? gen.generation_info;
        const message = gen.message as Dict | undefined;
        const meta = isDict(message) ? (message.response_metadata as Dict | undefined) : undefined;
        const candidates = [
          isDict(info) ? info.usage_metadata : undefined,
          isDict(meta) ? meta.usage : undefined,
          isDict(meta) ? meta["amazon-bedrock-invocationMetrics"] : undefined,
          isDict(message) ? message.usage_metadata : undefined,
        ];
        const hit = candidates.find((c) => isDict(c) && Object.keys(c).length > 0);
        if (hit) {
          found = hit as Dict;
          break;
        }
      }
    }
  }
  if (!found) return undefined;
  const usage = normalizeUsage(found);
  return Object.keys(usage).length > 0 ? usage : undefined;
}
