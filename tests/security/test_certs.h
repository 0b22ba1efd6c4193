// Certificates made by the test itself (OpenSSL, ECDSA P-256): a CA, server and client
// certificates it signs, and expired ones. Nothing is read from disk or the network.
//
//   Pem ca = MakeCa("test CA");
//   Pem server = MakeLeaf(ca, "localhost", LeafKind::kServer);   // SAN localhost, 127.0.0.1
//   Pem expired = MakeLeaf(ca, "client", LeafKind::kClient, /*expired=*/true);
#pragma once

#include <string>

namespace tracegate::security_testing {

struct Pem {
  std::string cert;  // PEM certificate
  std::string key;   // PEM private key (PKCS#8, unencrypted)
};

enum class LeafKind { kServer, kClient };

// A self-signed CA certificate valid from one day ago for ten years.
Pem MakeCa(const std::string& common_name);

// A certificate signed by `ca`: valid from one day ago for a year, or (expired) from ten
// days ago until yesterday. Servers get SAN DNS:localhost, IP:127.0.0.1 and serverAuth;
// clients get clientAuth.
Pem MakeLeaf(const Pem& ca, const std::string& common_name, LeafKind kind, bool expired = false);

// Writes `contents` to `path` (mode 0600); aborts the test binary on failure.
void WriteFile(const std::string& path, const std::string& contents);

// A fresh directory under $TMPDIR (or /tmp), removed with its files by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace tracegate::security_testing
