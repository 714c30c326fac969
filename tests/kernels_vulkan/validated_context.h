// A test fixture that opens the default Vulkan device (lavapipe on the test
// machines) with the validation layer on, once per suite, and fails any test
// after which the layer has reported errors.
#ifndef GRIDBENCH_TESTS_KERNELS_VULKAN_VALIDATED_CONTEXT_H_
#define GRIDBENCH_TESTS_KERNELS_VULKAN_VALIDATED_CONTEXT_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/str_join.h"
#include "kernels/vulkan/context.h"

namespace gridbench::kernels::vulkan {

class ValidatedContextTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ContextOptions options;
    options.validation = true;
    absl::StatusOr<std::unique_ptr<Context>> ctx = Context::Create(options);
    ASSERT_TRUE(ctx.ok()) << ctx.status();
    ctx_ = std::move(ctx).value().release();
  }
  static void TearDownTestSuite() {
    delete ctx_;
    ctx_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(ctx_, nullptr) << "no Vulkan context";
    ASSERT_TRUE(ctx_->validation_enabled());
    errors_before_ = ctx_->validation_error_count();
  }
  void TearDown() override {
    EXPECT_EQ(ctx_->validation_error_count(), errors_before_)
        << absl::StrJoin(ctx_->validation_messages(), "\n");
  }

  Context& ctx() { return *ctx_; }

 private:
  static inline Context* ctx_ = nullptr;
  uint64_t errors_before_ = 0;
};

}  // namespace gridbench::kernels::vulkan

#endif  // GRIDBENCH_TESTS_KERNELS_VULKAN_VALIDATED_CONTEXT_H_
