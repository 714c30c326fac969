// Artifact ids: what is accepted, what is refused and why, and that the
// streaming hasher, the file hasher and Sha256Hex agree. Also which task
// parameters name artifacts.
#include "common/artifact_id.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/crypto.h"
#include "common/task_params.h"
#include "gtest/gtest.h"

namespace gridbench {
namespace {

const std::string kAbcId =
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(ArtifactIdTest, AcceptsTheCanonicalForm) {
  EXPECT_TRUE(ValidateArtifactId(kAbcId).ok());
  auto hex = ParseArtifactId(kAbcId);
  ASSERT_TRUE(hex.ok());
  EXPECT_EQ(*hex, kAbcId.substr(7));
}

TEST(ArtifactIdTest, RefusesEachMalformedFormWithItsReason) {
  struct Case {
    std::string id, expected;
  };
  const Case cases[] = {
      {"", "must start with \"sha256:\""},
      {"md5:" + std::string(64, 'a'), "must start with \"sha256:\""},
      {"sha256:abc", "has 3"},
      {"sha256:" + std::string(65, 'a'), "has 65"},
      {"sha256:" + std::string(63, 'a') + "A", "character 70 is not a lowercase hex digit"},
      {"sha256:" + std::string(63, 'a') + "/", "character 70"},
      {"sha256:" + std::string(200, 'a'), "...\""},
  };
  for (const Case& c : cases) {
    absl::Status s = ValidateArtifactId(c.id);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << c.id;
    EXPECT_NE(s.message().find(c.expected), std::string::npos) << s;
  }
}

TEST(ArtifactIdTest, IdForHexLowersAndValidates) {
  auto id =
      ArtifactIdForSha256Hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, kAbcId);
  EXPECT_TRUE(absl::IsInvalidArgument(ArtifactIdForSha256Hex("xyz").status()));
}

TEST(ArtifactIdTest, HashersAgreeWithSha256) {
  ASSERT_TRUE(InitCrypto().ok());
  ArtifactHasher hasher;
  hasher.Update("a");
  hasher.Update("");
  hasher.Update("bc");
  EXPECT_EQ(hasher.bytes_seen(), 3u);
  EXPECT_EQ(hasher.FinishId(), kAbcId);

  const std::string path =
      std::filesystem::temp_directory_path() / ("gb-artifact-id-" + std::to_string(getpid()));
  const std::string bytes(3 << 20, 'z');  // Several read buffers.
  std::ofstream(path, std::ios::binary) << bytes;
  auto file = ArtifactIdOfFile(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->id, "sha256:" + Sha256Hex(bytes));
  EXPECT_EQ(file->size_bytes, bytes.size());
  EXPECT_TRUE(absl::IsNotFound(ArtifactIdOfFile(path).status()));
}

TEST(ArtifactParamsTest, FileReadDeclaresItsInput) {
  gridbench::v1::TaskSpec task;
  task.set_kind("file_read");
  (*task.mutable_params()->mutable_fields())["input"].set_string_value(kAbcId);
  EXPECT_TRUE(ValidateTaskParams(task).ok());
  auto params = ArtifactParamsOf(task);
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].param, "input");
  EXPECT_EQ(params[0].artifact_id, kAbcId);
  EXPECT_EQ(ArtifactIdsOf(task), std::vector<std::string>{kAbcId});

  (*task.mutable_params()->mutable_fields())["input"].set_string_value("sha256:nope");
  absl::Status s = ValidateTaskParams(task);
  EXPECT_NE(s.message().find("params.input: artifact id \"sha256:nope\""), std::string::npos) << s;
  EXPECT_TRUE(ArtifactIdsOf(task).empty());

  task.set_kind("gemm");
  EXPECT_TRUE(ArtifactIdsOf(task).empty());
}

}  // namespace
}  // namespace gridbench
