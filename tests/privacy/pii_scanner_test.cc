// The built-in PII and credential detectors, and custom patterns: what is replaced and,
// as importantly, what is left alone.
#include "gateway/privacy/pii_scanner.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tracegate::privacy {
namespace {

std::string Mask(const PiiScanner& scanner, const std::string& text,
                 PiiScanner::Scope scope = PiiScanner::kAll) {
  std::string out;
  return scanner.Redact(text, scope, &out) ? out : text;
}

class PiiScannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = PiiScanner::Create({});
    ASSERT_TRUE(s.ok()) << s.status();
    scanner_ = *std::move(s);
  }
  std::string M(const std::string& text) { return Mask(*scanner_, text); }
  std::unique_ptr<PiiScanner> scanner_;
};

TEST_F(PiiScannerTest, Emails) {
  EXPECT_EQ(M("mail alice.smith+tag@example.co.uk now"), "mail [EMAIL] now");
  EXPECT_EQ(M("<bob@corp-mail.example.com>"), "<[EMAIL]>");
  EXPECT_EQ(M("邮箱13812345678@qq.com。"), "邮箱[EMAIL]。");
  EXPECT_EQ(M("end with a dot: x@y.org."), "end with a dot: [EMAIL].");
  EXPECT_EQ(M("user@localhost"), "user@localhost");        // no TLD
  EXPECT_EQ(M("@handle and a@b.c"), "@handle and a@b.c");  // TLD too short
  EXPECT_EQ(M("price 5@3.50"), "price 5@3.50");            // numeric "TLD"
}

TEST_F(PiiScannerTest, PhoneNumbers) {
  EXPECT_EQ(M("手机13812345678请回电"), "手机[PHONE]请回电");
  EXPECT_EQ(M("call 138 1234 5678 or 159-8765-4321"), "call [PHONE] or [PHONE]");
  EXPECT_EQ(M("+86 138 1234 5678"), "[PHONE]");
  EXPECT_EQ(M("8613812345678"), "[PHONE]");
  EXPECT_EQ(M("intl +1 (415) 555-2671, +44 20 7946 0958, +49-30-1234567."),
            "intl [PHONE], [PHONE], [PHONE].");
  EXPECT_EQ(M("office 010-12345678 or (0755) 1234567"), "office [PHONE] or [PHONE]");
  EXPECT_EQ(M("US 415-555-2671, 415.555.2671, (415) 555-2671"), "US [PHONE], [PHONE], [PHONE]");
  // Not phone numbers.
  EXPECT_EQ(M("12812345678"), "12812345678");    // CN mobiles start 13-19
  EXPECT_EQ(M("138123456789"), "138123456789");  // 12 digits
  EXPECT_EQ(M("on 2024-01-15 at 10:20:30"), "on 2024-01-15 at 10:20:30");
  EXPECT_EQ(M("version 1.2.3, +5 points"), "version 1.2.3, +5 points");
  EXPECT_EQ(M("id A13812345678"), "id A13812345678");  // inside a token
}

TEST_F(PiiScannerTest, CardNumbersNeedTheLuhnCheck) {
  EXPECT_EQ(M("visa 4111111111111111 ok"), "visa [CARD] ok");
  EXPECT_EQ(M("4111 1111 1111 1111"), "[CARD]");
  EXPECT_EQ(M("5500-0000-0000-0004"), "[CARD]");
  EXPECT_EQ(M("amex 378282246310005"), "amex [CARD]");
  EXPECT_EQ(M("unionpay 6212345678901232"), "unionpay [CARD]");
  EXPECT_EQ(M("4111 1111 1111 1111 2024"), "[CARD] 2024");  // the card, then a year
  EXPECT_EQ(M("4111111111111112"), "4111111111111112");     // Luhn fails
  EXPECT_EQ(M("ts 1700000000000"), "ts 1700000000000");     // ms timestamp (starts with 1)
  EXPECT_EQ(M("41111111111111111111111"), "41111111111111111111111");  // 23 digits
}

TEST_F(PiiScannerTest, IpAddresses) {
  EXPECT_EQ(M("from 192.168.1.20:8080 and 10.0.0.1."), "from [IP]:8080 and [IP].");
  EXPECT_EQ(M("v6 2001:db8::8a2e:370:7334 and ::1 and fe80::1%"), "v6 [IP] and [IP] and [IP]%");
  EXPECT_EQ(M("::ffff:192.0.2.1"), "[IP]");
  EXPECT_EQ(M("256.1.1.1 and 1.2.3"), "256.1.1.1 and 1.2.3");
  EXPECT_EQ(M("at 12:30:45, mac aa:bb:cc:dd:ee:ff"), "at 12:30:45, mac aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(M("std::string"), "std::string");
}

TEST_F(PiiScannerTest, CredentialsInEveryScope) {
  const std::string text =
      "Authorization: Bearer abcdef123456.xyz key sk-lf-1234abcd-5678 pk-lf-abcdef123456 "
      "tg_live_key_0001 sk-proj-ABCDEFGHIJKLMNOPQRSTUV AKIAABCDEFGHIJKLMNOP mail a@b.io";
  const std::string secrets_only =
      "Authorization: Bearer [SECRET] key [SECRET] [SECRET] [SECRET] [SECRET] [SECRET] mail a@b.io";
  EXPECT_EQ(Mask(*scanner_, text, PiiScanner::kSecretsOnly), secrets_only);
  EXPECT_THAT(M(text), ::testing::EndsWith("mail [EMAIL]"));
  EXPECT_EQ(M("Basic dXNlcjpwYXNzd29yZA=="), "Basic [SECRET]");
  EXPECT_EQ(M("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTYifQ.sig_abc-123"), "jwt [SECRET]");
  // Words that merely start like a credential.
  EXPECT_EQ(M("basic idea, sk-short, tg_x, bearer of news"),
            "basic idea, sk-short, tg_x, bearer of news");
}

TEST_F(PiiScannerTest, FindsEverythingAtEveryAlignmentAndAfterLongWords) {
  // Long words and non-ASCII text around each value exercise the 16-byte word skipping.
  const std::string values[] = {"bob@example.org",   "13812345678", "4111111111111111",
                                "10.0.0.1",          "fe80::1",     "+44 20 7946 0958",
                                "sk-lf-abcdef123456"};
  const std::string labels[] = {"[EMAIL]", "[PHONE]", "[CARD]",  "[IP]",
                                "[IP]",    "[PHONE]", "[SECRET]"};
  for (size_t v = 0; v < 7; ++v) {
    for (size_t pad = 0; pad < 40; ++pad) {
      const std::string before =
          std::string(pad, 'w') + " Überlänge_wörter " + std::string(17 + pad % 5, 'z') + " ";
      const std::string after = " " + std::string(33, 'q') + " 价格";
      EXPECT_EQ(M(before + values[v] + after), before + labels[v] + after) << values[v] << pad;
    }
  }
}

TEST_F(PiiScannerTest, NothingFoundLeavesOutputAlone) {
  std::string out = "untouched";
  EXPECT_FALSE(scanner_->Redact("a plain sentence with 42 numbers.", PiiScanner::kAll, &out));
  EXPECT_EQ(out, "untouched");
}

TEST(PiiScannerOptionsTest, OnlyEnabledKindsAndCustomPatterns) {
  PiiScannerOptions options;
  options.builtins = internal::KindBit(internal::kEmail);
  options.custom = {{"order", "ORD-[0-9]{8}"}, {"employee_id", "E[0-9]{6}"}};
  auto scanner = PiiScanner::Create(options);
  ASSERT_TRUE(scanner.ok()) << scanner.status();
  EXPECT_EQ(Mask(**scanner, "ORD-12345678 for E123456 at a@b.io, tel 13812345678"),
            "[ORDER] for [EMPLOYEE_ID] at [EMAIL], tel 13812345678");
  // Custom patterns do not apply in the credentials-only scope.
  EXPECT_EQ(Mask(**scanner, "ORD-12345678", PiiScanner::kSecretsOnly), "ORD-12345678");
}

TEST(PiiScannerOptionsTest, OverlapsKeepTheEarlierMatch) {
  PiiScannerOptions options;
  options.custom = {{"digits", "[0-9]{4}"}};
  auto scanner = PiiScanner::Create(options);
  ASSERT_TRUE(scanner.ok());
  EXPECT_EQ(Mask(**scanner, "13812345678 and 2024"), "[PHONE] and [DIGITS]");
}

TEST(PiiScannerOptionsTest, BadRegexIsInvalidArgumentNamingThePattern) {
  PiiScannerOptions options;
  options.custom = {{"broken", "(unclosed"}};
  auto scanner = PiiScanner::Create(options);
  ASSERT_FALSE(scanner.ok());
  EXPECT_EQ(scanner.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(scanner.status().message(), ::testing::HasSubstr("\"broken\""));
}

TEST(LuhnTest, KnownNumbers) {
  EXPECT_TRUE(internal::LuhnValid("79927398713"));
  EXPECT_FALSE(internal::LuhnValid("79927398710"));
  EXPECT_FALSE(internal::LuhnValid(""));
  EXPECT_FALSE(internal::LuhnValid("12a4"));
}

}  // namespace
}  // namespace tracegate::privacy
