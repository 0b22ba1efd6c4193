// The LangChain.js pipeline the handler tests trace: retriever → prompt → fake chat model →
// output parser, then an agent step whose model calls a tool and answers. No network.
import { Document } from "@langchain/core/documents";
import { HumanMessage, ToolMessage } from "@langchain/core/messages";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { RunnableLambda, RunnablePassthrough, RunnableSequence } from "@langchain/core/runnables";
import type { RunnableConfig } from "@langchain/core/runnables";
import { tool } from "@langchain/core/tools";
import { FakeRetriever } from "@langchain/core/utils/testing";
import { z } from "zod";
import { ScriptedChatModel } from "./fakes";

export const DOCS = [
  new Document({ pageContent: "Tracegate forwards LLM traces to Langfuse.", metadata: { source: "docs/a.md" } }),
  new Document({ pageContent: "It retries with the same event ids.", metadata: { source: "docs/b.md" } }),
];
export const QUESTION = "What does Tracegate do?";
export const ANSWER = "It forwards traces.";
export const FINAL = "Tracegate forwards traces; 2 documents back this.";

export function buildPipeline(opts: { failModel?: string } = {}) {
  const retriever = new FakeRetriever({ output: DOCS });
  const prompt = ChatPromptTemplate.fromMessages([
    ["system", "Answer from the context:\n{context}"],
    ["human", "{question}"],
  ]);
  const model = new ScriptedChatModel({
    scripts: [{ text: ANSWER, usage: { input_tokens: 30, output_tokens: 5, total_tokens: 35 } }],
  });
  const agentModel = new ScriptedChatModel({
    modelName: "fake-agent-model",
    scripts: [
      { text: "", toolCalls: [{ id: "call_1", name: "count_sources", args: { topic: "tracegate" } }],
        usage: { input_tokens: 12, output_tokens: 7, total_tokens: 19 } },
      { text: FINAL, usage: { input_tokens: 20, output_tokens: 9, total_tokens: 29 } },
    ],
  });
  const countSources = tool(async ({ topic }: { topic: string }) => `2 sources about ${topic}`, {
    name: "count_sources",
    description: "Counts the sources about a topic",
    schema: z.object({ topic: z.string() }),
  });
  const formatDocs = RunnableLambda.from((docs: Document[]) => docs.map((d) => d.pageContent).join("\n"))
    .withConfig({ runName: "format_docs" });
  const agent = RunnableLambda.from(async (answer: string, config?: RunnableConfig) => {
    if (opts.failModel) throw new Error(opts.failModel);
    const question = new HumanMessage(`Check the answer: ${answer}`);
    const ai = await agentModel.invoke([question], { ...config, tools: [countSources] } as RunnableConfig);
    const toolMessages: ToolMessage[] = [];
    for (const call of ai.tool_calls ?? []) {
      toolMessages.push(await countSources.invoke({ ...call, type: "tool_call" as const }, config));
    }
    const final = await agentModel.invoke([question, ai, ...toolMessages], config);
    return final.content as string;
  }).withConfig({ runName: "verify_agent" });

  return RunnableSequence.from<string, string>([
    { context: retriever.pipe(formatDocs), question: new RunnablePassthrough() } as any, // eslint-disable-line @typescript-eslint/no-explicit-any
    prompt,
    model,
    new StringOutputParser(),
    agent as any, // eslint-disable-line @typescript-eslint/no-explicit-any
  ]).withConfig({ runName: "rag_pipeline" });
}
