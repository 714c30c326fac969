// The variant harness: every optimised kernel (each level in SupportedIsas())
// against its scalar reference, on random data, random bit patterns and edge
// shapes; plus GEMV/GEMM against the reference path, thread-count
// independence and bad-input errors.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/parallel/thread_pool.h"
#include "kernels/quant/dot.h"
#include "kernels/quant/fp16.h"
#include "kernels/quant/matmul.h"
#include "kernels/quant/quantize.h"

namespace gridbench::kernels::quant {
namespace {

// An optimised result may differ from the reference only by float rounding:
// |fast - ref| <= kRelTolerance * sum_i |w_i * a_i|. Float accumulation over
// up to 448 blocks (K = 14336) stays near 1e-6 of that sum; a kernel that
// drops or mis-scales even one 16-value group of a 14336-value row is off by
// more than 1e-3, so 2e-5 separates the two with margin on both sides.
constexpr double kRelTolerance = 2e-5;
// Absolute floor for sums that are (nearly) zero.
constexpr double kAbsTolerance = 1e-6;

const QuantType kWeightTypes[] = {QuantType::kF32,  QuantType::kF16,  QuantType::kQ8_0,
                                  QuantType::kQ4_0, QuantType::kQ4_K, QuantType::kQ6_K};

std::vector<float> Gaussian(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  return x;
}

std::vector<char> QuantizeOrDie(QuantType type, const std::vector<float>& x, int64_t rows,
                                int64_t cols) {
  std::vector<char> q(rows * RowBytes(type, cols));
  const absl::Status status = Quantize(type, "test", x.data(), rows, cols, q.data());
  EXPECT_TRUE(status.ok()) << status;
  return q;
}

std::vector<float> DequantizeOrDie(QuantType type, const void* q, int64_t rows, int64_t cols) {
  std::vector<float> y(rows * cols);
  const absl::Status status = Dequantize(type, q, rows, cols, y.data());
  EXPECT_TRUE(status.ok()) << status;
  return y;
}

// sum |w_i * a_i| in double: the scale the tolerance is relative to.
double AbsDotScale(const float* w, const float* a, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += std::fabs(static_cast<double>(w[i]) * a[i]);
  return s;
}

void ExpectClose(double fast, double ref, double scale, const std::string& what) {
  EXPECT_LE(std::fabs(fast - ref), kRelTolerance * scale + kAbsTolerance)
      << what << ": fast " << fast << " ref " << ref << " scale " << scale;
}

std::vector<int64_t> DotLengths(QuantType type) {
  const int b = BlockSize(type);
  if (b == 1) return {1, 7, 8, 33, 100, 14336};
  return {b, 2 * b, 3 * b, 14336};
}

void CheckDotVariants(QuantType type, int64_t n, const void* w, const void* a, double scale,
                      const std::string& what) {
  const absl::StatusOr<float> ref = VecDot(type, n, w, a, Isa::kRef);
  ASSERT_TRUE(ref.ok()) << ref.status();
  for (Isa isa : SupportedIsas()) {
    if (isa == Isa::kRef) continue;
    const absl::StatusOr<float> fast = VecDot(type, n, w, a, isa);
    ASSERT_TRUE(fast.ok()) << fast.status();
    ExpectClose(*fast, *ref, scale, what + " " + std::string(IsaName(isa)));
  }
}

TEST(DotVariants, MatchReferenceOnGaussianData) {
  for (QuantType type : kWeightTypes) {
    const QuantType act_type = *ActivationTypeFor(type);
    for (int64_t n : DotLengths(type)) {
      const std::vector<float> wf = Gaussian(n, 11), af = Gaussian(n, 12);
      const std::vector<char> w = QuantizeOrDie(type, wf, 1, n);
      const std::vector<char> a = QuantizeOrDie(act_type, af, 1, n);
      const double scale = AbsDotScale(DequantizeOrDie(type, w.data(), 1, n).data(),
                                       DequantizeOrDie(act_type, a.data(), 1, n).data(), n);
      CheckDotVariants(type, n, w.data(), a.data(), scale,
                       std::string(QuantTypeName(type)) + " n=" + std::to_string(n));
    }
  }
}

// Random bytes in every quant field (including -128 weights and all-ones
// nibbles) with tame scales: the kernels must be exact on any block, not
// just on what our quantizer happens to produce. Activations stay within
// -127..127, as every activation quantizer guarantees.
void FillRandomBlocks(QuantType type, std::vector<char>& data, std::mt19937& rng) {
  std::uniform_int_distribution<int> byte(0, 255);
  for (char& c : data) c = static_cast<char>(byte(rng));
  std::uniform_real_distribution<float> scale(0.001f, 0.05f);
  const size_t bytes = BlockBytes(type);
  for (size_t off = 0; off < data.size(); off += bytes) {
    char* block = data.data() + off;
    switch (type) {
      case QuantType::kQ8_0:
      case QuantType::kQ4_0: {
        const uint16_t d = Fp32ToFp16(scale(rng));
        std::memcpy(block, &d, 2);
        break;
      }
      case QuantType::kQ4_K: {
        const uint16_t d[2] = {Fp32ToFp16(scale(rng)), Fp32ToFp16(scale(rng))};
        std::memcpy(block, d, 4);
        break;
      }
      case QuantType::kQ6_K: {
        const uint16_t d = Fp32ToFp16(scale(rng));
        std::memcpy(block + offsetof(BlockQ6_K, d), &d, 2);
        break;
      }
      default:
        FAIL() << "no random blocks for " << QuantTypeName(type);
    }
  }
}

void FillRandomActivations(QuantType act_type, std::vector<char>& data, std::mt19937& rng) {
  std::uniform_int_distribution<int> q(-127, 127);
  if (act_type == QuantType::kQ8_0) {
    for (size_t off = 0; off < data.size(); off += sizeof(BlockQ8_0)) {
      BlockQ8_0 b;
      b.d = Fp32ToFp16(0.01f);
      for (int8_t& v : b.qs) v = static_cast<int8_t>(q(rng));
      std::memcpy(data.data() + off, &b, sizeof(b));
    }
    return;
  }
  for (size_t off = 0; off < data.size(); off += sizeof(BlockQ8_K)) {
    BlockQ8_K b;
    b.d = 0.01f;
    for (int8_t& v : b.qs) v = static_cast<int8_t>(q(rng));
    for (int j = 0; j < 16; ++j) {
      int sum = 0;
      for (int i = 0; i < 16; ++i) sum += b.qs[16 * j + i];
      b.bsums[j] = static_cast<int16_t>(sum);
    }
    std::memcpy(data.data() + off, &b, sizeof(b));
  }
}

TEST(DotVariants, MatchReferenceOnRandomBitPatterns) {
  std::mt19937 rng(5);
  for (QuantType type : {QuantType::kQ8_0, QuantType::kQ4_0, QuantType::kQ4_K, QuantType::kQ6_K}) {
    const QuantType act_type = *ActivationTypeFor(type);
    for (int64_t n : DotLengths(type)) {
      std::vector<char> w(RowBytes(type, n)), a(RowBytes(act_type, n));
      FillRandomBlocks(type, w, rng);
      FillRandomActivations(act_type, a, rng);
      const double scale = AbsDotScale(DequantizeOrDie(type, w.data(), 1, n).data(),
                                       DequantizeOrDie(act_type, a.data(), 1, n).data(), n);
      CheckDotVariants(type, n, w.data(), a.data(), scale,
                       std::string(QuantTypeName(type)) + " random bits n=" + std::to_string(n));
    }
  }
}

struct Shape {
  int64_t rows, cols, batch;
};

std::vector<Shape> MatmulShapes(QuantType type) {
  if (BlockSize(type) == 1) return {{1, 1, 1}, {3, 7, 2}, {9, 100, 17}, {5, 14336, 1}};
  if (BlockSize(type) == 256) {
    return {{1, 256, 1}, {3, 256, 2}, {17, 512, 20}, {8, 14336, 3}};
  }
  // 32-value blocks: one block (an odd count), tiles that do not divide the
  // rows, K steps (4128 values is 65 pairs) and column blocks (520 > 512) of
  // the VNNI GEMM, and a long K; for the VNNI GEMV, block counts that leave
  // 0, 1, 2 and 3 blocks after its groups of 4 (Q8_0), and for Q4_0's groups
  // of 8 and 4: 3, 6, 7 (no group of 8), 12 and 13 (one of 8, one of 4).
  return {{1, 32, 1},     {5, 96, 3},    {37, 4128, 70}, {130, 256, 131}, {6, 96, 520},
          {6, 14336, 4},  {37, 4128, 1}, {3, 96, 1},     {19, 192, 1},    {2, 224, 1},
          {70, 14336, 1}, {5, 384, 1},   {9, 416, 1}};
}

TEST(MatmulVariants, GemvAndGemmMatchReference) {
  ThreadPool pool(2);
  for (QuantType type : kWeightTypes) {
    const QuantType act_type = *ActivationTypeFor(type);
    for (const Shape& s : MatmulShapes(type)) {
      const std::vector<float> wf = Gaussian(s.rows * s.cols, 21);
      const std::vector<float> xf = Gaussian(s.batch * s.cols, 22);
      const std::vector<char> wq = QuantizeOrDie(type, wf, s.rows, s.cols);
      const QuantMatrix w{type, s.rows, s.cols, wq.data()};
      const std::vector<float> wd = DequantizeOrDie(type, wq.data(), s.rows, s.cols);
      const std::vector<float> xd = DequantizeOrDie(
          act_type, QuantizeOrDie(act_type, xf, s.batch, s.cols).data(), s.batch, s.cols);
      std::vector<float> ref(s.rows * s.batch);
      ASSERT_TRUE(QuantizedGemm(w, xf.data(), s.batch, ref.data(), &pool, Isa::kRef).ok());
      for (Isa isa : SupportedIsas()) {
        std::vector<float> y(s.rows * s.batch, std::numeric_limits<float>::quiet_NaN());
        const absl::Status status =
            s.batch == 1 ? QuantizedGemv(w, xf.data(), y.data(), &pool, isa)
                         : QuantizedGemm(w, xf.data(), s.batch, y.data(), &pool, isa);
        ASSERT_TRUE(status.ok()) << status;
        for (int64_t b = 0; b < s.batch; ++b) {
          for (int64_t r = 0; r < s.rows; ++r) {
            const double scale = AbsDotScale(&wd[r * s.cols], &xd[b * s.cols], s.cols);
            ExpectClose(y[b * s.rows + r], ref[b * s.rows + r], scale,
                        std::string(QuantTypeName(type)) + " " + std::string(IsaName(isa)) +
                            " shape " + std::to_string(s.rows) + "x" + std::to_string(s.cols) +
                            " batch " + std::to_string(s.batch) + " at r=" + std::to_string(r) +
                            " b=" + std::to_string(b));
          }
        }
      }
    }
  }
}

// With identity weights (quant 1 on the diagonal, 0 elsewhere, d = 1), every
// product is exact, so each output is exactly one quantized activation:
// y[b][k] = dequantize(quantize(x_b))[k]. That pins down, bit for bit, how
// every variant quantizes activations (rounding ties, zero blocks) and that
// weights and activations meet in the same lane order.
TEST(MatmulVariants, IdentityWeightsReadOutQuantizedActivationsExactly) {
  constexpr int64_t kK = 256;
  const int64_t batch = 4;
  std::vector<float> x = Gaussian(batch * kK, 41);
  for (int64_t k = 0; k < 32; ++k) {
    x[kK + k] = (k == 0) ? 127.0f : static_cast<float>(k % 9) - 4.5f;  // d = 1: ties at .5
    x[2 * kK + k] = 0.0f;                                              // an all-zero block
    x[3 * kK + k] = (k == 0) ? 127.0f : 0.49999997f * static_cast<float>(k % 3 - 1);
  }
  const std::vector<char> xq = QuantizeOrDie(QuantType::kQ8_0, x, batch, kK);
  const std::vector<float> expected = DequantizeOrDie(QuantType::kQ8_0, xq.data(), batch, kK);
  for (QuantType type : {QuantType::kQ8_0, QuantType::kQ4_0}) {
    // Built by hand: quantizing an identity row would give d = 1/127 (Q8_0)
    // or -1/8 (Q4_0), which fp16 does not hold exactly.
    std::vector<char> wq(kK * RowBytes(type, kK));
    for (int64_t r = 0; r < kK; ++r) {
      for (int64_t b = 0; b < kK / 32; ++b) {
        const int hot = r / 32 == b ? static_cast<int>(r % 32) : -1;
        if (type == QuantType::kQ8_0) {
          BlockQ8_0& block = reinterpret_cast<BlockQ8_0*>(wq.data())[r * (kK / 32) + b];
          block.d = Fp32ToFp16(1.0f);
          for (int i = 0; i < 32; ++i) block.qs[i] = i == hot ? 1 : 0;
        } else {
          BlockQ4_0& block = reinterpret_cast<BlockQ4_0*>(wq.data())[r * (kK / 32) + b];
          block.d = Fp32ToFp16(1.0f);
          for (int i = 0; i < 16; ++i) {  // Quant 8 is 0, quant 9 is 1.
            block.qs[i] = static_cast<uint8_t>((i == hot ? 9 : 8) | ((i + 16 == hot ? 9 : 8) << 4));
          }
        }
      }
    }
    const QuantMatrix w{type, kK, kK, wq.data()};
    for (Isa isa : SupportedIsas()) {
      std::vector<float> y(batch * kK);
      ASSERT_TRUE(QuantizedGemm(w, x.data(), batch, y.data(), nullptr, isa).ok());
      for (int64_t i = 0; i < batch * kK; ++i) {
        ASSERT_EQ(y[i], expected[i]) << QuantTypeName(type) << " " << IsaName(isa)
                                     << " b=" << i / kK << " k=" << i % kK << " x=" << x[i];
      }
      // The GEMV, one activation row at a time.
      for (int64_t b = 0; b < batch; ++b) {
        ASSERT_TRUE(QuantizedGemv(w, &x[b * kK], y.data(), nullptr, isa).ok());
        for (int64_t k = 0; k < kK; ++k) {
          ASSERT_EQ(y[k], expected[b * kK + k])
              << QuantTypeName(type) << " " << IsaName(isa) << " GEMV b=" << b << " k=" << k;
        }
      }
    }
  }
}

TEST(MatmulVariants, ThreadCountDoesNotChangeResults) {
  const int64_t rows = 67, cols = 1024, batch = 9;
  const std::vector<float> wf = Gaussian(rows * cols, 31), xf = Gaussian(batch * cols, 32);
  ThreadPool one(1), three(3);
  for (QuantType type : kWeightTypes) {
    const std::vector<char> wq = QuantizeOrDie(type, wf, rows, cols);
    const QuantMatrix w{type, rows, cols, wq.data()};
    for (int64_t b : {int64_t{1}, batch}) {
      std::vector<float> y1(rows * b), y3(rows * b);
      ASSERT_TRUE(QuantizedGemm(w, xf.data(), b, y1.data(), &one).ok());
      ASSERT_TRUE(QuantizedGemm(w, xf.data(), b, y3.data(), &three).ok());
      EXPECT_EQ(std::memcmp(y1.data(), y3.data(), y1.size() * sizeof(float)), 0)
          << QuantTypeName(type) << " batch " << b;
      std::vector<float> y0(rows * b);
      ASSERT_TRUE(QuantizedGemm(w, xf.data(), b, y0.data(), nullptr).ok());
      EXPECT_EQ(std::memcmp(y1.data(), y0.data(), y1.size() * sizeof(float)), 0);
    }
  }
}

TEST(MatmulVariants, ReportsTheLevelThatRuns) {
  EXPECT_EQ(*MatmulIsa(QuantType::kQ4_0, 1, Isa::kRef), Isa::kRef);
  if (!IsaSupported(Isa::kAvx512Vnni)) GTEST_SKIP() << "CPU lacks AVX512_VNNI";
  EXPECT_EQ(*MatmulIsa(QuantType::kQ4_0, 64, Isa::kAvx512Vnni), Isa::kAvx512Vnni);
  EXPECT_EQ(*MatmulIsa(QuantType::kQ6_K, 1, Isa::kAvx512Vnni), Isa::kAvx512Vnni);
  // F32/F16 are memory-bound; the AVX2 code serves the AVX-512 level.
  EXPECT_EQ(*MatmulIsa(QuantType::kF32, 1, Isa::kAvx512Vnni), Isa::kAvx2);
  EXPECT_EQ(*MatmulIsa(QuantType::kF16, 4, Isa::kAvx2), Isa::kAvx2);
}

TEST(MatmulErrors, BadShapesTypesAndInputs) {
  const std::vector<float> x(4096, 1.0f);
  std::vector<float> y(64);
  std::vector<char> wq(RowBytes(QuantType::kQ4_0, 64) * 2);
  QuantMatrix w{QuantType::kQ4_0, 2, 48, wq.data()};
  absl::Status status = QuantizedGemv(w, x.data(), y.data(), nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("48"), std::string::npos) << status;
  EXPECT_NE(status.message().find("32"), std::string::npos) << status;

  w.cols = 64;
  w.type = QuantType::kQ8_K;
  EXPECT_EQ(QuantizedGemv(w, x.data(), y.data(), nullptr).code(),
            absl::StatusCode::kInvalidArgument);
  w.type = QuantType::kQ4_0;
  EXPECT_EQ(QuantizedGemm(w, x.data(), 0, y.data(), nullptr).code(),
            absl::StatusCode::kInvalidArgument);
  w.data = nullptr;
  EXPECT_EQ(QuantizedGemv(w, x.data(), y.data(), nullptr).code(),
            absl::StatusCode::kInvalidArgument);
  w.data = wq.data();

  std::vector<float> bad = x;
  bad[64 + 5] = std::numeric_limits<float>::quiet_NaN();
  for (int64_t batch : {int64_t{2}, int64_t{1}}) {
    status = QuantizedGemm(w, bad.data(), batch, y.data(), nullptr);
    if (batch == 1) {
      EXPECT_TRUE(status.ok()) << "the NaN is outside the first row";
      continue;
    }
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find("\"x\""), std::string::npos) << status;
    EXPECT_NE(status.message().find("index 69"), std::string::npos) << status;
  }
}

TEST(MatmulErrors, UnsupportedVariantIsAFailedPrecondition) {
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512Vnni}) {
    if (IsaSupported(isa)) continue;
    std::vector<char> wq(RowBytes(QuantType::kQ8_0, 32));
    const std::vector<float> x(32, 1.0f);
    float y;
    EXPECT_EQ(
        QuantizedGemv({QuantType::kQ8_0, 1, 32, wq.data()}, x.data(), &y, nullptr, isa).code(),
        absl::StatusCode::kFailedPrecondition);
    return;
  }
  GTEST_SKIP() << "this CPU supports every level";
}

}  // namespace
}  // namespace gridbench::kernels::quant
