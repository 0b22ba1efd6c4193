#include "gateway/config/yaml_json.h"

#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/yaml.h"

namespace tracegate::config {
namespace {

constexpr int kMaxDepth = 64;
constexpr int64_t kMaxNodes = 100000;
constexpr char kStrTag[] = "tag:yaml.org,2002:str";

// Counts the documents of a YAML stream, stopping at two. yaml-cpp 0.7's LoadAll() never
// returns for some malformed streams (e.g. a lone ","; jbeder/yaml-cpp#1040, fixed upstream
// after 0.8 by #1319): its document loop keeps producing empty documents. Found by the
// config_yaml fuzz target; the bounded loop here cannot hang.
class IgnoreEvents final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

int CountDocuments(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  IgnoreEvents events;
  int n = 0;
  while (n < 2 && parser.HandleNextDocument(events)) ++n;
  return n;
}

// Whether a value written in the file is a secret: a Langfuse secret_key, a privacy
// hmac_secret, or a Redis URL with a password ("redis://:pw@host").
bool IsSecretValue(absl::string_view path, absl::string_view key, absl::string_view raw) {
  if (raw.empty()) return false;
  if (key == "secret_key" || key == "hmac_secret") return true;
  return path == "redis.url" && absl::StrContains(raw, "@");
}

bool IsDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

// [-+]?(digits)? (. digits?)? ([eE][-+]?digits)? with at least one mantissa digit.
bool LooksLikeFloat(absl::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  size_t i = 0;
  size_t digits = 0;
  while (i < s.size() && absl::ascii_isdigit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && absl::ascii_isdigit(s[i])) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (!IsDigits(s.substr(i))) return false;
    return true;
  }
  return i == s.size();
}

// Resolves a plain scalar (YAML 1.2 core schema, restricted).
nlohmann::json ResolvePlain(const std::string& text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text == "null" || text == "Null" || text == "NULL" || text == "~") return nullptr;
  absl::string_view digits = text;
  const bool negative = absl::ConsumePrefix(&digits, "-");
  if (!negative) absl::ConsumePrefix(&digits, "+");
  if (IsDigits(digits)) {
    int64_t i64;
    if (absl::SimpleAtoi(text, &i64)) return i64;
    uint64_t u64;
    if (!negative && absl::SimpleAtoi(digits, &u64)) return u64;
  }
  if (LooksLikeFloat(text)) {
    double d;
    if (absl::SimpleAtod(text, &d)) return d;
  }
  return text;
}

std::string Join(const std::string& path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

absl::Status Error(const std::string& path, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(path.empty() ? "<root>" : path, ": ", problem));
}

class Converter {
 public:
  Converter(const EnvLookup& env, YamlFacts* facts) : env_(env), facts_(facts) {}

  absl::Status Convert(const YAML::Node& node, const std::string& path, absl::string_view key,
                       int depth, nlohmann::json* out) {
    if (depth > kMaxDepth) return Error(path, "nested too deeply");
    if (++nodes_ > kMaxNodes) return Error(path, "document has too many nodes");
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        *out = nullptr;
        return absl::OkStatus();
      case YAML::NodeType::Scalar:
        return ConvertScalar(node, path, key, out);
      case YAML::NodeType::Sequence: {
        *out = nlohmann::json::array();
        size_t index = 0;
        for (const YAML::Node& child : node) {
          nlohmann::json value;
          absl::Status s =
              Convert(child, absl::StrCat(path, "[", index, "]"), "", depth + 1, &value);
          if (!s.ok()) return s;
          out->push_back(std::move(value));
          ++index;
        }
        return absl::OkStatus();
      }
      case YAML::NodeType::Map: {
        *out = nlohmann::json::object();
        std::set<std::string> seen;
        for (const auto& item : node) {
          if (item.first.Type() != YAML::NodeType::Scalar) {
            return Error(path, "keys must be plain strings");
          }
          const std::string& name = item.first.Scalar();
          const std::string child_path = Join(path, name);
          if (!seen.insert(name).second) return Error(child_path, "duplicate key");
          nlohmann::json value;
          absl::Status s = Convert(item.second, child_path, name, depth + 1, &value);
          if (!s.ok()) return s;
          (*out)[name] = std::move(value);
        }
        return absl::OkStatus();
      }
    }
    return Error(path, "unsupported YAML node");
  }

 private:
  absl::Status ConvertScalar(const YAML::Node& node, const std::string& path, absl::string_view key,
                             nlohmann::json* out) {
    const std::string& tag = node.Tag();
    const std::string& raw = node.Scalar();
    const bool plain = tag == "?";
    if (!plain && tag != "!" && tag != kStrTag) {
      return Error(path, "unsupported YAML tag (only !!str is allowed)");
    }
    if (!IsValidUtf8(raw)) return Error(path, "not valid UTF-8");
    if (plain && !absl::StrContains(raw, "${")) {
      *out = ResolvePlain(raw);
      if (IsSecretValue(path, key, raw) && out->is_string()) facts_->has_literal_secret = true;
      return absl::OkStatus();
    }
    absl::StatusOr<ExpandedValue> expanded = ExpandEnv(raw, env_, path);
    if (!expanded.ok()) return expanded.status();
    if (!IsValidUtf8(expanded->value)) return Error(path, "expanded value is not valid UTF-8");
    if (expanded->has_literal_text && IsSecretValue(path, key, raw)) {
      facts_->has_literal_secret = true;
    }
    *out = std::move(expanded->value);
    return absl::OkStatus();
  }

  const EnvLookup& env_;
  YamlFacts* facts_;
  int64_t nodes_ = 0;
};

}  // namespace

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

absl::StatusOr<nlohmann::json> YamlToJson(absl::string_view yaml, const EnvLookup& env,
                                          YamlFacts* facts) {
  std::vector<YAML::Node> docs;
  try {
    const std::string text(yaml);
    if (CountDocuments(text) > 1) {
      return absl::InvalidArgumentError("the file must hold exactly one YAML document");
    }
    docs.push_back(YAML::Load(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ", e.msg));
  }
  if (docs.size() > 1) {
    return absl::InvalidArgumentError("the file must hold exactly one YAML document");
  }
  nlohmann::json out = nullptr;
  if (docs.empty()) return out;
  Converter converter(env, facts);
  try {
    absl::Status s = converter.Convert(docs[0], "", "", 0, &out);
    if (!s.ok()) return s;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ", e.msg));
  }
  return out;
}

}  // namespace tracegate::config
