#include "cli/child_process.h"

#include <signal.h>

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridbench::cli {
namespace {

using ::testing::HasSubstr;

class ChildProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/child_process_test_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  std::string dir_;
};

TEST_F(ChildProcessTest, OutputGoesToTheLogAndExitStatusIsReported) {
  auto child = ChildProcess::Start("/bin/sh", {"-c", "echo to-out; echo to-err >&2; exit 3"},
                                   dir_ + "/sh.log");
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ((*child)->Ended(absl::Seconds(60)), "exited with status 3");
  EXPECT_EQ((*child)->Stop(absl::Seconds(1)).message(), "exited with status 3");
  EXPECT_EQ(TailOfFile(dir_ + "/sh.log", 5), "to-out\nto-err\n");
  EXPECT_EQ(TailOfFile(dir_ + "/sh.log", 1), "to-err\n");
}

TEST_F(ChildProcessTest, StopTerminatesARunningChild) {
  auto child = ChildProcess::Start("/bin/sleep", {"1000"}, dir_ + "/sleep.log");
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ((*child)->Ended(), std::nullopt);
  EXPECT_EQ((*child)->Stop(absl::Seconds(30)).message(), "killed by signal 15");
  EXPECT_EQ((*child)->Ended(), "killed by signal 15");
}

TEST_F(ChildProcessTest, ChildIgnoringSigtermIsKilledAfterTheGrace) {
  // An ignored signal stays ignored across exec, so the child ignores SIGTERM.
  struct sigaction ignore = {}, previous = {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGTERM, &ignore, &previous), 0);
  auto child = ChildProcess::Start("/bin/sleep", {"1000"}, dir_ + "/stubborn.log");
  ::sigaction(SIGTERM, &previous, nullptr);
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ((*child)->Stop(absl::Milliseconds(200)).message(), "killed by signal 9");
}

TEST_F(ChildProcessTest, DestructorStopsTheChild) {
  pid_t pid = 0;
  {
    auto child = ChildProcess::Start("/bin/sleep", {"1000"}, dir_ + "/d.log");
    ASSERT_TRUE(child.ok()) << child.status();
    pid = (*child)->pid();
  }
  // Reaped: the pid no longer names a process of ours.
  EXPECT_EQ(::kill(pid, 0), -1);
}

TEST_F(ChildProcessTest, MissingProgramExits127WithALogLine) {
  auto child = ChildProcess::Start(dir_ + "/no-such-program", {}, dir_ + "/missing.log");
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ((*child)->Ended(absl::Seconds(60)), "exited with status 127");
  EXPECT_THAT(TailOfFile(dir_ + "/missing.log", 1), HasSubstr("exec failed"));
  EXPECT_EQ(ChildProcess::Start("/bin/true", {}, dir_ + "/no/such/dir/log").status().code(),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace gridbench::cli
