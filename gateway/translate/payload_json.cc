#include "gateway/translate/payload_json.h"

#include <algorithm>
#include <string>

#include "absl/container/inlined_vector.h"
#include "nlohmann/json.hpp"

namespace tracegate::translate {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;
using StructEntry = google::protobuf::Map<std::string, Value>::value_type;

// Map iteration order is unspecified: sort so equal inputs give equal bytes.
absl::InlinedVector<const StructEntry*, 16> SortedEntries(const Struct& s) {
  absl::InlinedVector<const StructEntry*, 16> entries;
  entries.reserve(s.fields_size());
  for (const auto& entry : s.fields()) entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(),
            [](const StructEntry* a, const StructEntry* b) { return a->first < b->first; });
  return entries;
}

void AppendListJson(const ListValue& list, std::string* out) {
  out->push_back('[');
  for (int i = 0; i < list.values_size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendValueJson(list.values(i), out);
  }
  out->push_back(']');
}

void AppendContentPart(const v1::ContentPart& part, std::string* out) {
  JsonObjectWriter obj(out);
  absl::string_view type = part.type();
  if (type.empty()) type = part.image_url().empty() ? "text" : "image_url";
  obj.String("type", type);
  if (!part.text().empty() || type == "text") obj.String("text", part.text());
  if (!part.image_url().empty()) {
    obj.Key("image_url");
    JsonObjectWriter url(out);
    url.String("url", part.image_url());
    url.Close();
  }
  obj.Close();
}

void AppendToolCall(const v1::ToolCall& call, std::string* out) {
  JsonObjectWriter obj(out);
  obj.StringIfNotEmpty("id", call.id());
  obj.String("type", "function");
  obj.Key("function");
  JsonObjectWriter fn(out);
  fn.String("name", call.name());
  fn.String("arguments", call.arguments_json());
  fn.Close();
  obj.Close();
}

void AppendMessage(const v1::ChatMessage& m, std::string* out) {
  JsonObjectWriter obj(out);
  obj.String("role", m.role());
  if (m.parts_size() > 0) {
    obj.Key("content");
    out->push_back('[');
    for (int i = 0; i < m.parts_size(); ++i) {
      if (i > 0) out->push_back(',');
      AppendContentPart(m.parts(i), out);
    }
    out->push_back(']');
  } else {
    obj.StringIfNotEmpty("content", m.content());
  }
  if (m.tool_calls_size() > 0) {
    obj.Key("tool_calls");
    out->push_back('[');
    for (int i = 0; i < m.tool_calls_size(); ++i) {
      if (i > 0) out->push_back(',');
      AppendToolCall(m.tool_calls(i), out);
    }
    out->push_back(']');
  }
  obj.StringIfNotEmpty("tool_call_id", m.tool_call_id());
  obj.StringIfNotEmpty("name", m.name());
  obj.Close();
}

void AppendDocument(const v1::Document& d, std::string* out) {
  JsonObjectWriter obj(out);
  obj.String("page_content", d.page_content());
  obj.Key("metadata");
  AppendStructJson(d.metadata(), out);
  obj.StringIfNotEmpty("id", d.id());
  obj.Close();
}

absl::Status AppendParsedJson(const std::string& text, std::string* out) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return absl::InvalidArgumentError("payload.json is not a valid JSON document");
  }
  // Replace invalid UTF-8 instead of throwing; compact, no indentation.
  out->append(doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return absl::OkStatus();
}

}  // namespace

void AppendValueJson(const Value& value, std::string* out) {
  switch (value.kind_case()) {
    case Value::kNumberValue:
      AppendJsonNumber(value.number_value(), out);
      return;
    case Value::kStringValue:
      AppendJsonString(value.string_value(), out);
      return;
    case Value::kBoolValue:
      AppendJsonBool(value.bool_value(), out);
      return;
    case Value::kStructValue:
      AppendStructJson(value.struct_value(), out);
      return;
    case Value::kListValue:
      AppendListJson(value.list_value(), out);
      return;
    case Value::kNullValue:
    case Value::KIND_NOT_SET:
      out->append("null");
      return;
  }
  out->append("null");
}

void AppendStructMembers(const Struct& value, absl::Span<const absl::string_view> skip,
                         JsonObjectWriter* obj) {
  for (const StructEntry* entry : SortedEntries(value)) {
    absl::string_view key(entry->first.data(), entry->first.size());
    if (std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
    obj->Key(key);
    AppendValueJson(entry->second, obj->out());
  }
}

void AppendStructJson(const Struct& value, std::string* out) {
  JsonObjectWriter obj(out);
  AppendStructMembers(value, {}, &obj);
  obj.Close();
}

std::string StructToJson(const Struct& value) {
  std::string out;
  AppendStructJson(value, &out);
  return out;
}

absl::Status AppendPayloadJson(const v1::Payload& payload, std::string* out) {
  switch (payload.kind_case()) {
    case v1::Payload::kText:
      AppendJsonString(payload.text(), out);
      return absl::OkStatus();
    case v1::Payload::kJson:
      return AppendParsedJson(payload.json(), out);
    case v1::Payload::kValue:
      AppendValueJson(payload.value(), out);
      return absl::OkStatus();
    case v1::Payload::kMessages: {
      const auto& messages = payload.messages().messages();
      out->push_back('[');
      for (int i = 0; i < messages.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendMessage(messages.Get(i), out);
      }
      out->push_back(']');
      return absl::OkStatus();
    }
    case v1::Payload::kDocuments: {
      const auto& docs = payload.documents().documents();
      out->push_back('[');
      for (int i = 0; i < docs.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendDocument(docs.Get(i), out);
      }
      out->push_back(']');
      return absl::OkStatus();
    }
    case v1::Payload::KIND_NOT_SET:
      break;
  }
  out->append("null");
  return absl::OkStatus();
}

absl::StatusOr<std::string> PayloadToJson(const v1::Payload& payload) {
  std::string out;
  absl::Status status = AppendPayloadJson(payload, &out);
  if (!status.ok()) return status;
  return out;
}

}  // namespace tracegate::translate
