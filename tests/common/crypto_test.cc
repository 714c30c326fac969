#include "common/crypto.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "common/canonical_result.h"
#include "gtest/gtest.h"

namespace gridbench {
namespace {

class CryptoTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCrypto().ok()); }
};

TEST_F(CryptoTest, SignatureVerifiesAndTamperingIsDetected) {
  SigningKey key = GenerateSigningKey();
  std::string sig = Sign(key, "hello");
  EXPECT_TRUE(VerifySignature(key.public_key, "hello", sig).ok());
  EXPECT_EQ(VerifySignature(key.public_key, "hellp", sig).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(VerifySignature("short", "hello", sig).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CryptoTest, KeyFileIsCreatedPrivateAndReloaded) {
  const std::string dir = ::testing::TempDir() + "/crypto_key_test";
  std::filesystem::remove_all(dir);
  const std::string path = dir + "/worker.key";
  auto first = LoadOrCreateSigningKey(path);
  ASSERT_TRUE(first.ok()) << first.status();
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto second = LoadOrCreateSigningKey(path);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(first->public_key, second->public_key);
}

TEST_F(CryptoTest, WorldReadableOrTruncatedKeyFileIsRefused) {
  const std::string dir = ::testing::TempDir() + "/crypto_bad_key_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/worker.key";
  std::ofstream(path) << "too short";
  ::chmod(path.c_str(), 0600);
  EXPECT_EQ(LoadOrCreateSigningKey(path).status().code(), absl::StatusCode::kDataLoss);
  ::chmod(path.c_str(), 0644);
  EXPECT_EQ(LoadOrCreateSigningKey(path).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(CryptoTest, ResultSignatureBindsEveryField) {
  SigningKey key = GenerateSigningKey();
  gridbench::v1::SignedResult r;
  r.set_worker_id("w1");
  r.set_task_id("t1");
  r.set_attempt_id("a1");
  r.set_lease_id("l1");
  r.set_sequence(7);
  r.set_payload("payload");
  r.set_signature(Sign(key, CanonicalResultBytes(r)));
  ASSERT_TRUE(VerifyResultSignature(r, key.public_key).ok());
  for (int field = 0; field < 6; ++field) {
    gridbench::v1::SignedResult t = r;
    switch (field) {
      case 0: t.set_worker_id("w2"); break;
      case 1: t.set_task_id("t2"); break;
      case 2: t.set_attempt_id("a2"); break;
      case 3: t.set_lease_id("l2"); break;
      case 4: t.set_sequence(8); break;
      case 5: t.set_payload("payloae"); break;
    }
    EXPECT_FALSE(VerifyResultSignature(t, key.public_key).ok()) << "field " << field;
  }
  // Moving bytes between adjacent fields must not keep the signature valid.
  gridbench::v1::SignedResult shifted = r;
  shifted.set_worker_id("w1t");
  shifted.set_task_id("1");
  EXPECT_FALSE(VerifyResultSignature(shifted, key.public_key).ok());
}

TEST_F(CryptoTest, BearerTokensAreLongAndDistinct) {
  std::string a = GenerateBearerToken(), b = GenerateBearerToken();
  EXPECT_EQ(a.size(), 4u + 64u);
  EXPECT_NE(a, b);
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace gridbench
