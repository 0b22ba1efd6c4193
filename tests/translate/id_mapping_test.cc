#include "gateway/translate/id_mapping.h"

#include <string>

#include "gtest/gtest.h"

namespace tracegate::translate {
namespace {

// Expected values are lower-case hex of the first bytes of SHA-256(id), computed
// independently (Python hashlib).

TEST(OtlpTraceIdTest, HexIdIsUsedAsIs) {
  const std::string id = "0af7651916cd43dd8448eb211c80319c";
  EXPECT_EQ(LangfuseTraceIdForOtlp(id), id);
  std::string raw = OtlpTraceId(id);
  ASSERT_EQ(raw.size(), 16u);
  EXPECT_EQ(static_cast<unsigned char>(raw[0]), 0x0a);
  EXPECT_EQ(static_cast<unsigned char>(raw[15]), 0x9c);
  EXPECT_FALSE(OtlpMappingChangesTraceId(id));
}

TEST(OtlpTraceIdTest, UpperCaseHexIsLowerCased) {
  EXPECT_EQ(LangfuseTraceIdForOtlp("0AF7651916CD43DD8448EB211C80319C"),
            "0af7651916cd43dd8448eb211c80319c");
  EXPECT_TRUE(OtlpMappingChangesTraceId("0AF7651916CD43DD8448EB211C80319C"));
}

TEST(OtlpTraceIdTest, DashedUuidLosesItsDashes) {
  EXPECT_EQ(LangfuseTraceIdForOtlp("550e8400-e29b-41d4-a716-446655440000"),
            "550e8400e29b41d4a716446655440000");
  EXPECT_EQ(LangfuseTraceIdForOtlp("550E8400-E29B-41D4-A716-446655440000"),
            "550e8400e29b41d4a716446655440000");
}

TEST(OtlpTraceIdTest, OtherIdsAreHashed) {
  EXPECT_EQ(LangfuseTraceIdForOtlp("my-trace"), "670c0f140bf357e6d99293ad6cf0d246");
  EXPECT_EQ(LangfuseTraceIdForOtlp("run-42"), "92234f8bb000a4aaec76c3fc1624a580");
  EXPECT_TRUE(OtlpMappingChangesTraceId("my-trace"));
  // Almost-hex shapes are hashed too.
  EXPECT_EQ(LangfuseTraceIdForOtlp("0af7651916cd43dd8448eb211c80319").size(), 32u);
  EXPECT_NE(LangfuseTraceIdForOtlp("0af7651916cd43dd8448eb211c80319g"),
            "0af7651916cd43dd8448eb211c80319g");
  EXPECT_NE(LangfuseTraceIdForOtlp("550e8400_e29b_41d4_a716_446655440000"),
            "550e8400e29b41d4a716446655440000");
}

TEST(OtlpTraceIdTest, ZeroIdsAreHashedNotPassedThrough) {
  EXPECT_EQ(LangfuseTraceIdForOtlp("00000000000000000000000000000000"),
            "84e0c0eafaa95a34c293f278ac52e45c");
  EXPECT_EQ(LangfuseTraceIdForOtlp("00000000-0000-0000-0000-000000000000"),
            "12b9377cbe7e5c94e8a70d9d23929523");
}

TEST(OtlpSpanIdTest, Mapping) {
  EXPECT_EQ(LangfuseObservationIdForOtlp("00f067aa0ba902b7"), "00f067aa0ba902b7");
  EXPECT_EQ(LangfuseObservationIdForOtlp("00F067AA0BA902B7"), "00f067aa0ba902b7");
  EXPECT_EQ(LangfuseObservationIdForOtlp("my-trace"), "670c0f140bf357e6");
  EXPECT_EQ(LangfuseObservationIdForOtlp("0000000000000000"), "fcdb4b423f4e5283");
  // A 32-hex trace id used as an observation id is not 16 hex: hashed.
  EXPECT_EQ(LangfuseObservationIdForOtlp("00000000000000000000000000000000"), "84e0c0eafaa95a34");
  // A UUID observation id (LangChain run id) is hashed, not truncated.
  EXPECT_EQ(LangfuseObservationIdForOtlp("00000000-0000-0000-0000-000000000000"),
            "12b9377cbe7e5c94");
  EXPECT_EQ(OtlpSpanId("00f067aa0ba902b7").size(), 8u);
  EXPECT_FALSE(OtlpMappingChangesObservationId("00f067aa0ba902b7"));
  EXPECT_TRUE(OtlpMappingChangesObservationId("obs-1"));
}

TEST(OtlpIdTest, BytesAndHexAgree) {
  for (const char* id : {"a", "trace-1", "0af7651916cd43dd8448eb211c80319c", ""}) {
    EXPECT_EQ(ToLowerHex(OtlpTraceId(id)), LangfuseTraceIdForOtlp(id)) << id;
    EXPECT_EQ(ToLowerHex(OtlpSpanId(id)), LangfuseObservationIdForOtlp(id)) << id;
  }
}

TEST(EnvelopeIdTest, DeterministicUuidLayout) {
  const std::string id = EnvelopeId("ws-a", "evt-1");
  EXPECT_EQ(id, "a460b3e8-4b11-4e06-87d8-78427717820a");
  EXPECT_EQ(EnvelopeId("ws-a", "evt-1"), id);
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '4');
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);
}

TEST(EnvelopeIdTest, WorkspaceAndEventIdAreSeparated) {
  EXPECT_NE(EnvelopeId("ws-a", "evt-1"), EnvelopeId("ws-b", "evt-1"));
  EXPECT_NE(EnvelopeId("ws-a", "evt-1"), EnvelopeId("ws-a", "evt-2"));
  EXPECT_NE(EnvelopeId("ab", "c"), EnvelopeId("a", "bc"));
}

}  // namespace
}  // namespace tracegate::translate
