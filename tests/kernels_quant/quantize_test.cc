// Block layouts (hand-built blocks with known values), quantization
// procedure details, round-trip error bounds and bad-input errors.
#include "kernels/quant/quantize.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/quant/error_report.h"
#include "kernels/quant/fp16.h"
#include "kernels/quant/quantize_ref.h"

namespace gridbench::kernels::quant {
namespace {

std::vector<float> Gaussian(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  return x;
}

TEST(BlockLayout, Q8_0DequantizesHandBuiltBlock) {
  BlockQ8_0 block;
  block.d = Fp32ToFp16(0.25f);
  for (int i = 0; i < 32; ++i) block.qs[i] = static_cast<int8_t>(i - 16);
  float y[32];
  DequantizeRowQ8_0(&block, y, 32);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(y[i], (i - 16) * 0.25f) << i;
}

TEST(BlockLayout, Q4_0LowNibblesHoldFirstHalf) {
  BlockQ4_0 block;
  block.d = Fp32ToFp16(2.0f);
  for (int j = 0; j < 16; ++j) block.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  float y[32];
  DequantizeRowQ4_0(&block, y, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], (j - 8) * 2.0f) << j;
    EXPECT_EQ(y[16 + j], (7 - j) * 2.0f) << j;
  }
}

// Q4_K with 6-bit scales and mins chosen so sub-blocks 4..7 need the high
// bits stored in bytes 0..7.
TEST(BlockLayout, Q4_KScalesMinsAndNibbles) {
  BlockQ4_K block;
  std::memset(&block, 0, sizeof(block));
  block.d = Fp32ToFp16(0.5f);
  block.dmin = Fp32ToFp16(0.25f);
  int sc[8], m[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = j + 1 + (j >= 4 ? 40 : 0);
    m[j] = 2 * j + (j >= 4 ? 20 : 0);
  }
  for (int j = 0; j < 4; ++j) {
    block.scales[j] = static_cast<uint8_t>(sc[j] | ((sc[j + 4] >> 4) << 6));
    block.scales[j + 4] = static_cast<uint8_t>(m[j] | ((m[j + 4] >> 4) << 6));
    block.scales[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0xF) | ((m[j + 4] & 0xF) << 4));
  }
  for (int c = 0; c < 4; ++c) {
    for (int l = 0; l < 32; ++l) {
      block.qs[32 * c + l] = static_cast<uint8_t>((l % 16) | (((l + c) % 16) << 4));
    }
  }
  for (int j = 0; j < 8; ++j) {
    uint8_t got_sc, got_m;
    UnpackQ4KScaleMin(j, block.scales, &got_sc, &got_m);
    EXPECT_EQ(got_sc, sc[j]) << j;
    EXPECT_EQ(got_m, m[j]) << j;
  }
  float y[256];
  DequantizeRowQ4_K(&block, y, 256);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[1], 0.5f);     // sub-block 0: 0.5 * 1 * 1 - 0
  EXPECT_EQ(y[32], -0.5f);   // sub-block 1: q = 0, min 0.25 * 2
  EXPECT_EQ(y[255], 39.5f);  // sub-block 7: 0.5 * 48 * 2 - 0.25 * 34
  for (int i = 0; i < 256; ++i) {
    const int c = i / 64, k = i % 64;
    const int sub = 2 * c + (k >= 32);
    const int q = k < 32 ? block.qs[32 * c + k] & 0xF : block.qs[32 * c + k - 32] >> 4;
    EXPECT_EQ(y[i], 0.5f * sc[sub] * q - 0.25f * m[sub]) << i;
  }
}

TEST(BlockLayout, Q6_KQuantBitsAndSignedScales) {
  BlockQ6_K block;
  std::memset(&block, 0, sizeof(block));
  block.d = Fp32ToFp16(0.5f);
  for (int j = 0; j < 16; ++j) block.scales[j] = static_cast<int8_t>(j - 8);
  auto q = [](int i) { return (i * 7) % 64; };
  // Each 128-value half: ql[l] = values l (low) and l+64 (high nibble),
  // ql[l+32] = values l+32 and l+96, qh[l] = 2-bit tops of l, l+32, l+64, l+96.
  for (int h = 0; h < 2; ++h) {
    for (int l = 0; l < 32; ++l) {
      const int base = 128 * h + l;
      block.ql[64 * h + l] = static_cast<uint8_t>((q(base) & 0xF) | ((q(base + 64) & 0xF) << 4));
      block.ql[64 * h + l + 32] =
          static_cast<uint8_t>((q(base + 32) & 0xF) | ((q(base + 96) & 0xF) << 4));
      block.qh[32 * h + l] =
          static_cast<uint8_t>((q(base) >> 4) | ((q(base + 32) >> 4) << 2) |
                               ((q(base + 64) >> 4) << 4) | ((q(base + 96) >> 4) << 6));
    }
  }
  float y[256];
  DequantizeRowQ6_K(&block, y, 256);
  EXPECT_EQ(y[0], 128.0f);   // q 0: 0.5 * -8 * (0 - 32)
  EXPECT_EQ(y[255], 87.5f);  // q 57: 0.5 * 7 * 25
  for (int i = 0; i < 256; ++i) EXPECT_EQ(y[i], 0.5f * (i / 16 - 8) * (q(i) - 32)) << i;
}

TEST(Procedure, Q8_0RoundsHalfAwayFromZero) {
  float x[32];
  for (int i = 0; i < 32; ++i) x[i] = static_cast<float>(i - 16);
  BlockQ8_0 block;
  QuantizeRowQ8_0Ref(x, &block, 32);
  EXPECT_EQ(block.d, Fp32ToFp16(16.0f / 127));
  EXPECT_EQ(block.qs[0], -127);
  EXPECT_EQ(block.qs[16], 0);
  EXPECT_EQ(block.qs[17], 8);    // 7.9375 -> 8
  EXPECT_EQ(block.qs[31], 119);  // 119.0625 -> 119
}

TEST(Procedure, Q4_0MapsLargestMagnitudeToMinusEight) {
  float x[32] = {};
  for (int i = 0; i < 16; ++i) x[i] = static_cast<float>(i - 8);
  BlockQ4_0 block;
  QuantizeRowQ4_0Ref(x, &block, 32);
  EXPECT_EQ(Fp16ToFp32(block.d), 1.0f);
  for (int j = 0; j < 16; ++j) EXPECT_EQ(block.qs[j], j | (8 << 4)) << j;
}

TEST(Procedure, Q8_KScalesAndBlockSums) {
  std::vector<float> x(256);
  for (int i = 0; i < 256; ++i) x[i] = static_cast<float>(i - 128);
  BlockQ8_K block;
  QuantizeRowQ8_KRef(x.data(), &block, 256);
  EXPECT_FLOAT_EQ(block.d, 128.0f / 127.0f);
  EXPECT_EQ(block.qs[0], -127);
  EXPECT_EQ(block.qs[128], 0);
  for (int j = 0; j < 16; ++j) {
    int sum = 0;
    for (int i = 0; i < 16; ++i) sum += block.qs[16 * j + i];
    EXPECT_EQ(block.bsums[j], sum) << j;
  }
}

// Relative RMSE of quantize -> dequantize on N(0, 1) data, measured with this
// test's inputs (64 x 4096, seed 1): F16 0.000208, Q8_0 0.00536, Q4_0 0.0861,
// Q4_K 0.0714, Q6_K 0.0178, Q8_K 0.00699 (one scale per 256 values). They
// follow from the step sizes (e.g. Q8_0: max|x| of 32 normals ~2.0, step
// 2/127, uniform rounding error step/sqrt(12) = 0.0045). The bounds sit about
// 20% above the measurements: a lost bit or a wrong rounding rule costs far
// more than that, while another seed moves the figures by ~1%. With errors
// uncorrelated with the data, cosine similarity is about 1 - rmse^2 / 2; the
// test allows 1 - bound^2.
struct RoundTripBound {
  QuantType type;
  double max_relative_rmse;
};

TEST(RoundTrip, GaussianErrorWithinBounds) {
  const RoundTripBound bounds[] = {
      {QuantType::kF32, 0.0},     {QuantType::kF16, 0.00025}, {QuantType::kQ8_0, 0.0065},
      {QuantType::kQ4_0, 0.10},   {QuantType::kQ4_K, 0.085},  {QuantType::kQ6_K, 0.021},
      {QuantType::kQ8_K, 0.0085},
  };
  const std::vector<float> x = Gaussian(64 * 4096, 1);
  for (const RoundTripBound& b : bounds) {
    const absl::StatusOr<QuantErrorReport> report =
        MeasureQuantizationError(b.type, "gaussian", x.data(), 64, 4096);
    ASSERT_TRUE(report.ok()) << report.status();
    RecordProperty(std::string(QuantTypeName(b.type)) + "_relative_rmse",
                   std::to_string(report->relative_rmse));
    EXPECT_LE(report->relative_rmse, b.max_relative_rmse) << QuantTypeName(b.type);
    EXPECT_GE(report->cosine_similarity, 1 - b.max_relative_rmse * b.max_relative_rmse)
        << QuantTypeName(b.type);
    EXPECT_GE(report->snr_db, -20 * std::log10(b.max_relative_rmse)) << QuantTypeName(b.type);
  }
}

TEST(RoundTrip, ZerosStayZero) {
  const std::vector<float> x(512, 0.0f);
  for (QuantType type : AllQuantTypes()) {
    std::vector<char> q(RowBytes(type, 512));
    ASSERT_TRUE(Quantize(type, "zeros", x.data(), 1, 512, q.data()).ok());
    std::vector<float> y(512, 1.0f);
    ASSERT_TRUE(Dequantize(type, q.data(), 1, 512, y.data()).ok());
    for (float v : y) ASSERT_EQ(v, 0.0f) << QuantTypeName(type);
  }
}

// Finite but tiny inputs (1 / d overflows) quantize to zeros, not to
// whatever an infinity converts to.
TEST(RoundTrip, SubnormalBlocksQuantizeToZero) {
  const std::vector<float> x(256, 1e-40f);
  for (QuantType type : AllQuantTypes()) {
    std::vector<char> q(RowBytes(type, 256));
    ASSERT_TRUE(Quantize(type, "tiny", x.data(), 1, 256, q.data()).ok());
    std::vector<float> y(256);
    ASSERT_TRUE(Dequantize(type, q.data(), 1, 256, y.data()).ok());
    for (float v : y) ASSERT_LE(std::fabs(v), 1e-30f) << QuantTypeName(type);
  }
}

TEST(BadInput, RowLengthNotAMultipleOfTheBlock) {
  std::vector<float> x(300, 1.0f);
  std::vector<char> out(4096);
  const absl::Status status = Quantize(QuantType::kQ4_K, "w", x.data(), 1, 300, out.data());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("300"), std::string::npos) << status;
  EXPECT_NE(status.message().find("256"), std::string::npos) << status;
  EXPECT_EQ(Dequantize(QuantType::kQ8_0, out.data(), 1, 33, x.data()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Quantize(QuantType::kQ8_0, "w", x.data(), -1, 32, out.data()).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BadInput, NanAndInfinityAreRefusedNamingTensorAndIndex) {
  std::vector<float> x = Gaussian(2 * 64, 3);
  std::vector<char> out(2 * RowBytes(QuantType::kQ8_0, 64));
  x[70] = std::numeric_limits<float>::quiet_NaN();
  absl::Status status = Quantize(QuantType::kQ8_0, "blk.0.ffn_up", x.data(), 2, 64, out.data());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  for (const char* part : {"blk.0.ffn_up", "NaN", "index 70", "row 1", "column 6"}) {
    EXPECT_NE(status.message().find(part), std::string::npos) << part << ": " << status;
  }
  x[70] = 0.0f;
  x[5] = -std::numeric_limits<float>::infinity();
  status = Quantize(QuantType::kQ4_K, "t", x.data(), 1, 0 + 128, out.data());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);  // 128 is not a Q4_K row.
  std::vector<float> big = Gaussian(256, 4);
  big[255] = std::numeric_limits<float>::infinity();
  std::vector<char> out_k(RowBytes(QuantType::kQ6_K, 256));
  status = Quantize(QuantType::kQ6_K, "t", big.data(), 1, 256, out_k.data());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("infinity at index 255"), std::string::npos) << status;
}

}  // namespace
}  // namespace gridbench::kernels::quant
