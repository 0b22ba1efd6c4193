"""A real LangChain pipeline with no network LLM, for the handler's tests and the bench:
retriever → prompt → fake chat model → output parser, then an agent step that calls a
tool through a fake chat model's tool call."""

from __future__ import annotations

from typing import Any, List

from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_openai_tool

DOC = "Tracegate is a gateway."
QUESTION = "what is tracegate?"


class FakeChat(GenericFakeChatModel):
    """A fake chat model that reports its parameters like a provider's model does."""

    model: str = "fake-gpt"
    temperature: float = 0.1
    max_tokens: int = 64
    top_p: float = 0.9

    @property
    def _identifying_params(self):
        return {"model": self.model, "temperature": self.temperature,
                "max_tokens": self.max_tokens, "top_p": self.top_p}


class FailingChat(FakeChat):
    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        raise RuntimeError("model overloaded: 529")


class Docs(BaseRetriever):
    def _get_relevant_documents(self, query: str, *, run_manager) -> List[Document]:
        return [Document(page_content=DOC, metadata={"source": "docs"})]


@tool
def word_count(text: str) -> int:
    """Counts the words of a text."""
    return len(text.split())


def answer_message() -> AIMessage:
    return AIMessage(DOC, usage_metadata={"input_tokens": 12, "output_tokens": 5,
                                          "total_tokens": 17})


def build(model=None, agent_model=None):
    """The pipeline "rag-pipeline" = "rag-query" (RAG chain) | "count-agent"."""
    model = model or FakeChat(messages=iter([answer_message()]))
    agent_model = agent_model or FakeChat(messages=iter([
        AIMessage("", tool_calls=[{"name": "word_count", "args": {"text": DOC},
                                   "id": "call-1"}],
                  usage_metadata={"input_tokens": 20, "output_tokens": 7, "total_tokens": 27}),
        AIMessage("4 words.", usage_metadata={"input_tokens": 30, "output_tokens": 3,
                                              "total_tokens": 33}),
    ]))
    fmt = RunnableLambda(lambda docs: "\n".join(d.page_content for d in docs))
    prompt = ChatPromptTemplate.from_messages([("system", "Answer from: {context}"),
                                               ("human", "{question}")])
    rag = ({"context": Docs().with_config(run_name="docs-retriever")
            | fmt.with_config(run_name="format-docs"),
            "question": RunnablePassthrough()}
           | prompt | model | StrOutputParser()).with_config(run_name="rag-query")

    def run_agent(answer: str, config: Any) -> str:
        msgs = [HumanMessage("How many words: " + answer)]
        ai = agent_model.invoke(msgs, config, tools=[convert_to_openai_tool(word_count)])
        results = [word_count.invoke(call, config) for call in ai.tool_calls]
        return agent_model.invoke(msgs + [ai] + results, config).content

    agent = RunnableLambda(run_agent).with_config(run_name="count-agent")
    return (rag | agent).with_config(run_name="rag-pipeline")
