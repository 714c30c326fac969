#include "coordinator/token_authority.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "common/crypto.h"
#include "gtest/gtest.h"

namespace gridbench::coordinator {
namespace {

class TokenAuthorityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    dir_ = ::testing::TempDir() + "/tokens_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_ = *CoordinatorStore::Open(dir_ + "/gridbench.db");
    tokens_ = std::make_unique<TokenAuthority>(store_.get(), &clock_);
  }

  CreatedToken Create(gridbench::v1::Role role, double ttl = 0, bool one_time = false) {
    absl::StatusOr<CreatedToken> created = absl::UnknownError("not called");
    tokens_->Create(role, ttl, one_time, "test", [&](auto c) { created = std::move(c); });
    EXPECT_TRUE(store_->Flush().ok());
    EXPECT_TRUE(created.ok()) << created.status();
    return *created;
  }

  std::string dir_;
  ManualClock clock_;
  std::unique_ptr<CoordinatorStore> store_;
  std::unique_ptr<TokenAuthority> tokens_;
};

TEST_F(TokenAuthorityTest, RolesNestAndWorkerRoleIsSeparate) {
  const std::string admin = Create(gridbench::v1::ROLE_ADMIN).token;
  const std::string viewer = Create(gridbench::v1::ROLE_VIEWER).token;
  const std::string worker = Create(gridbench::v1::ROLE_WORKER).token;
  EXPECT_TRUE(tokens_->Authorize(admin, gridbench::v1::ROLE_SUBMITTER).ok());
  EXPECT_TRUE(tokens_->Authorize(viewer, gridbench::v1::ROLE_VIEWER).ok());
  EXPECT_EQ(tokens_->Authorize(viewer, gridbench::v1::ROLE_SUBMITTER).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(tokens_->Authorize(worker, gridbench::v1::ROLE_VIEWER).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(tokens_->Authorize(admin, gridbench::v1::ROLE_WORKER).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(tokens_->Authorize("gbt_nope", gridbench::v1::ROLE_VIEWER).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(tokens_->Authorize("", gridbench::v1::ROLE_VIEWER).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(TokenAuthorityTest, OnlyTheHashIsStoredAndSurvivesReload) {
  CreatedToken created = Create(gridbench::v1::ROLE_SUBMITTER);
  EXPECT_EQ(created.record.hash_hex, Sha256Hex(created.token));
  auto state = store_->LoadState();
  ASSERT_TRUE(state.ok());
  ASSERT_EQ(state->tokens.size(), 1u);
  EXPECT_EQ(state->tokens[0].hash_hex, Sha256Hex(created.token));
  TokenAuthority reloaded(store_.get(), &clock_);
  reloaded.Load(state->tokens);
  EXPECT_TRUE(reloaded.Authorize(created.token, gridbench::v1::ROLE_SUBMITTER).ok());
}

TEST_F(TokenAuthorityTest, ExpiredRevokedAndSpentTokensAreRefused) {
  const std::string expiring = Create(gridbench::v1::ROLE_VIEWER, 60).token;
  const CreatedToken revoked = Create(gridbench::v1::ROLE_VIEWER);
  const std::string join = Create(gridbench::v1::ROLE_WORKER, 0, true).token;
  ASSERT_TRUE(tokens_->Revoke(revoked.record.token_id).ok());
  EXPECT_EQ(tokens_->Authorize(revoked.token, gridbench::v1::ROLE_VIEWER).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(tokens_->Authorize(join, gridbench::v1::ROLE_WORKER).ok());
  EXPECT_EQ(tokens_->Authorize(join, gridbench::v1::ROLE_WORKER).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(tokens_->Authorize(expiring, gridbench::v1::ROLE_VIEWER).ok());
  clock_.Advance(61);
  EXPECT_EQ(tokens_->Authorize(expiring, gridbench::v1::ROLE_VIEWER).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(tokens_->Revoke("tok-unknown").code(), absl::StatusCode::kNotFound);
}

TEST_F(TokenAuthorityTest, OneTimeOnlyForJoinTokens) {
  absl::Status status;
  tokens_->Create(gridbench::v1::ROLE_ADMIN, 0, true, "", [&](auto c) { status = c.status(); });
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(TokenAuthorityTest, FirstStartWritesAnAdminTokenFileOnce) {
  const std::string path = dir_ + "/admin.token";
  auto wrote = tokens_->EnsureAdminToken(path);
  ASSERT_TRUE(wrote.ok()) << wrote.status();
  EXPECT_TRUE(*wrote);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  std::string token;
  std::ifstream(path) >> token;
  EXPECT_TRUE(tokens_->Authorize(token, gridbench::v1::ROLE_ADMIN).ok());
  EXPECT_FALSE(*tokens_->EnsureAdminToken(path));
}

}  // namespace
}  // namespace gridbench::coordinator
