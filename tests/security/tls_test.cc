// TLS and mTLS on the gRPC listener, with certificates the test makes: good certificate,
// wrong CA, expired certificate (server and client side), plaintext against TLS, rotation of
// the certificate files without a restart, and start-time checks of the files.
#include <grpcpp/grpcpp.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/security/gateway_fixture.h"
#include "tests/security/test_certs.h"

namespace tracegate::security_testing {
namespace {

using ::testing::HasSubstr;

class TlsTest : public ::testing::Test {
 protected:
  TlsTest()
      : ca_(MakeCa("tracegate test CA")), server_(MakeLeaf(ca_, "localhost", LeafKind::kServer)) {
    WriteFile(dir_.File("server.crt"), server_.cert);
    WriteFile(dir_.File("server.key"), server_.key);
    WriteFile(dir_.File("ca.pem"), ca_.cert);
  }

  std::string TlsYaml(bool mtls, const std::string& refresh = "") {
    std::string yaml = absl::StrCat("security:\n  tls:\n    cert_file: ", dir_.File("server.crt"),
                                    "\n    key_file: ", dir_.File("server.key"), "\n");
    if (mtls) absl::StrAppend(&yaml, "    client_ca_file: ", dir_.File("ca.pem"), "\n");
    if (!refresh.empty()) absl::StrAppend(&yaml, "    refresh_interval: ", refresh, "\n");
    return BaseYaml(yaml);
  }

  // An Ingest over TLS trusting `roots`, optionally presenting `client`.
  grpc::Status Call(const TestGateway& gw, const std::string& roots, const Pem* client = nullptr) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = roots;
    if (client != nullptr) {
      o.pem_cert_chain = client->cert;
      o.pem_private_key = client->key;
    }
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    auto channel = grpc::CreateCustomChannel(gw.address(), grpc::SslCredentials(o), args);
    tracegate::v1::IngestResponse response;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::Status st =
        Ingest(channel, kAlphaKey, OneTrace("tls-" + std::to_string(++calls_)), &response, &ctx);
    if (st.ok()) EXPECT_EQ(response.accepted(), 1u) << response.DebugString();
    return st;
  }

  TempDir dir_;
  Pem ca_;
  Pem server_;
  int calls_ = 0;
};

TEST_F(TlsTest, GoodCertificateHandshakesAndServes) {
  TestGateway gw(TlsYaml(false));
  ASSERT_TRUE(gw.Start());
  EXPECT_TRUE(Call(gw, ca_.cert).ok());
}

TEST_F(TlsTest, ClientTrustingAnotherCaFailsTheHandshake) {
  TestGateway gw(TlsYaml(false));
  ASSERT_TRUE(gw.Start());
  Pem other = MakeCa("some other CA");
  EXPECT_EQ(Call(gw, other.cert).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, ExpiredServerCertificateFailsTheHandshake) {
  Pem expired = MakeLeaf(ca_, "localhost", LeafKind::kServer, /*expired=*/true);
  WriteFile(dir_.File("server.crt"), expired.cert);
  WriteFile(dir_.File("server.key"), expired.key);
  TestGateway gw(TlsYaml(false));
  ASSERT_TRUE(gw.Start());
  EXPECT_EQ(Call(gw, ca_.cert).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, PlaintextClientCannotTalkToTlsListener) {
  TestGateway gw(TlsYaml(false));
  ASSERT_TRUE(gw.Start());
  tracegate::v1::IngestResponse response;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  EXPECT_EQ(
      Ingest(gw.InsecureChannel(), kAlphaKey, OneTrace("plain"), &response, &ctx).error_code(),
      grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, MutualTlsAcceptsAClientCertificateFromTheCa) {
  TestGateway gw(TlsYaml(true));
  ASSERT_TRUE(gw.Start());
  Pem client = MakeLeaf(ca_, "svc-a", LeafKind::kClient);
  EXPECT_TRUE(Call(gw, ca_.cert, &client).ok());
}

TEST_F(TlsTest, MutualTlsRefusesMissingWrongCaAndExpiredClientCertificates) {
  TestGateway gw(TlsYaml(true));
  ASSERT_TRUE(gw.Start());
  EXPECT_EQ(Call(gw, ca_.cert).error_code(), grpc::StatusCode::UNAVAILABLE);  // none
  Pem rogue_ca = MakeCa("rogue CA");
  Pem rogue = MakeLeaf(rogue_ca, "svc-a", LeafKind::kClient);
  EXPECT_EQ(Call(gw, ca_.cert, &rogue).error_code(), grpc::StatusCode::UNAVAILABLE);
  Pem expired = MakeLeaf(ca_, "svc-a", LeafKind::kClient, /*expired=*/true);
  EXPECT_EQ(Call(gw, ca_.cert, &expired).error_code(), grpc::StatusCode::UNAVAILABLE);
  Pem good = MakeLeaf(ca_, "svc-a", LeafKind::kClient);
  EXPECT_TRUE(Call(gw, ca_.cert, &good).ok());  // the listener still serves good clients
}

TEST_F(TlsTest, RotatedCertificateIsServedWithoutRestart) {
  TestGateway gw(TlsYaml(false, "1s"));
  ASSERT_TRUE(gw.Start());
  ASSERT_TRUE(Call(gw, ca_.cert).ok());
  Pem new_ca = MakeCa("rotated CA");
  Pem rotated = MakeLeaf(new_ca, "localhost", LeafKind::kServer);
  WriteFile(dir_.File("server.key"), rotated.key);
  WriteFile(dir_.File("server.crt"), rotated.cert);
  // The provider re-reads the files every second; new connections then get the new pair.
  bool switched = false;
  for (int i = 0; i < 100 && !switched; ++i) {
    switched = Call(gw, new_ca.cert).ok();
    if (!switched) absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_TRUE(switched) << "the rotated certificate was not picked up within 20 s";
  EXPECT_EQ(Call(gw, ca_.cert).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, StartChecksTheFiles) {
  {
    TestGateway gw(BaseYaml(absl::StrCat("security:\n  tls: {cert_file: ", dir_.File("nope.crt"),
                                         ", key_file: ", dir_.File("server.key"), "}\n")));
    absl::Status st = gw.TryStart();
    EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
    EXPECT_THAT(std::string(st.message()),
                HasSubstr("security.tls.cert_file: cannot read the file"));
  }
  {
    Pem other = MakeLeaf(ca_, "localhost", LeafKind::kServer);
    WriteFile(dir_.File("other.key"), other.key);
    TestGateway gw(BaseYaml(absl::StrCat("security:\n  tls: {cert_file: ", dir_.File("server.crt"),
                                         ", key_file: ", dir_.File("other.key"), "}\n")));
    absl::Status st = gw.TryStart();
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(st.message(),
              "security.tls.key_file: does not match the certificate in security.tls.cert_file");
  }
  {
    WriteFile(dir_.File("garbage.pem"), "not a certificate");
    TestGateway gw(BaseYaml(absl::StrCat("security:\n  tls: {cert_file: ", dir_.File("server.crt"),
                                         ", key_file: ", dir_.File("server.key"),
                                         ", client_ca_file: ", dir_.File("garbage.pem"), "}\n")));
    absl::Status st = gw.TryStart();
    EXPECT_EQ(st.message(), "security.tls.client_ca_file: no PEM certificate in the file");
  }
}

}  // namespace
}  // namespace tracegate::security_testing
