#include "gateway/export/ingestion_response.h"

#include <string>

#include "gtest/gtest.h"

namespace tracegate::exporter {
namespace {

TEST(IngestionResponseTest, ParsesSuccessesAndErrors) {
  auto r = ParseIngestionResponse(R"({
    "successes": [{"id": "a", "status": 201}, {"id": "b", "status": 201}],
    "errors": [{"id": "c", "status": 400, "message": "Invalid request data",
                "error": {"issues": ["name required"]}},
               {"id": "d", "status": 500, "message": "boom"}]})");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->successes.size(), 2u);
  EXPECT_EQ(r->successes[1].id, "b");
  EXPECT_EQ(r->successes[1].status, 201);
  ASSERT_EQ(r->errors.size(), 2u);
  EXPECT_EQ(r->errors[0].id, "c");
  EXPECT_EQ(r->errors[0].status, 400);
  EXPECT_EQ(r->errors[0].message, R"(Invalid request data: {"issues":["name required"]})");
  EXPECT_EQ(PerEventOutcome(r->errors[0]), ExportOutcome::kPermanent);
  EXPECT_EQ(PerEventOutcome(r->errors[1]), ExportOutcome::kRetryable);
}

TEST(IngestionResponseTest, EmptyAndMissingListsAreEmpty) {
  for (const char* body : {R"({"successes":[],"errors":[]})", "{}", R"({"errors":null})"}) {
    auto r = ParseIngestionResponse(body);
    ASSERT_TRUE(r.ok()) << body;
    EXPECT_TRUE(r->successes.empty());
    EXPECT_TRUE(r->errors.empty());
  }
}

TEST(IngestionResponseTest, GarbageGivesInvalidArgument) {
  for (const char* body :
       {"", "not json", "[]", "null", "42", "\"str\"", R"({"successes": {}})", R"({"errors": "x"})",
        R"({"successes":[{"id":"a"}])", "{\"a\":\"\xff\xfe\"", "\x1f\x8b\x08\x00"}) {
    auto r = ParseIngestionResponse(body);
    EXPECT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << body;
  }
}

TEST(IngestionResponseTest, WrongTypesInsideEntriesAreTolerated) {
  auto r = ParseIngestionResponse(R"({
    "successes": [1, "x", null, {"id": 5}, {"id": "ok", "status": "201"}],
    "errors": [[], {"id": null}, {"id": "s", "status": "400"}, {"id": "f", "status": 4.5},
               {"id": "neg", "status": -1}, {"id": "big", "status": 18446744073709551615},
               {"id": "m", "status": 422, "message": 17, "error": null}]})");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->successes.size(), 1u);
  EXPECT_EQ(r->successes[0].id, "ok");
  EXPECT_EQ(r->successes[0].status, 201);  // unreadable status on a success: 201
  ASSERT_EQ(r->errors.size(), 5u);
  EXPECT_EQ(r->errors[0].status, 500);  // "400" as a string is not a status: unknown → retry
  EXPECT_EQ(r->errors[1].status, 500);
  EXPECT_EQ(r->errors[2].status, 500);
  EXPECT_EQ(r->errors[3].status, 999);
  EXPECT_EQ(PerEventOutcome(r->errors[3]), ExportOutcome::kRetryable);
  EXPECT_EQ(r->errors[4].status, 422);
  EXPECT_EQ(r->errors[4].message, "17");
}

TEST(IngestionResponseTest, DeepNestingIsRefusedWithoutRecursion) {
  std::string deep(200000, '[');
  auto r = ParseIngestionResponse(deep);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  std::string nested = R"({"errors":[{"id":"a","status":400,"error":)" + std::string(60, '[') +
                       std::string(60, ']') + "}]}";
  EXPECT_TRUE(ParseIngestionResponse(nested).ok());
  // Brackets inside strings do not count.
  std::string in_string =
      R"({"errors":[{"id":"a","status":400,"message":")" + std::string(1000, '[') + R"(\"["}]})";
  auto s = ParseIngestionResponse(in_string);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->errors[0].message.size(), 1000u + 3);  // truncated to 1000 + "…"
}

TEST(IngestionResponseTest, HugeResponse) {
  std::string body = R"({"successes":[)";
  for (int i = 0; i < 100000; ++i) {
    if (i) body += ",";
    body += R"({"id":"event-)" + std::to_string(i) + R"(","status":201})";
  }
  body += R"(],"errors":[]})";
  auto r = ParseIngestionResponse(body);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->successes.size(), 100000u);
  EXPECT_EQ(r->successes.back().id, "event-99999");
}

TEST(ServerMessageTest, PrefersJsonMessageThenRawText) {
  EXPECT_EQ(ServerMessage(R"({"error":"Invalid content type"})"), "Invalid content type");
  EXPECT_EQ(ServerMessage(R"({"message":"Internal Server Error","error":"s3 down"})"),
            "Internal Server Error: s3 down");
  EXPECT_EQ(ServerMessage("  upstream connect error \n"), "upstream connect error");
  EXPECT_EQ(ServerMessage(""), "(empty body)");
  EXPECT_EQ(ServerMessage(R"({"other":1})"), R"({"other":1})");
  std::string long_text(5000, 'x');
  EXPECT_EQ(ServerMessage(long_text, 10), std::string(10, 'x') + "…");
  // Never cuts a UTF-8 sequence in half.
  EXPECT_EQ(ServerMessage("aé", 2), "a…");
}

}  // namespace
}  // namespace tracegate::exporter
