// AVX2 + FMA + F16C kernels (compiled with -mavx2 -mfma -mf16c).
#include "kernels/quant/kernel_table.h"
#include "kernels/quant/x86/dot_x86.h"

namespace gridbench::kernels::quant::internal {
namespace {

struct Avx2Madd {
  // vpmaddubsw sums adjacent u8*s8 pairs into saturating s16 (exact for
  // u <= 128), vpmaddwd with ones sums those pairs into s32.
  static __m256i DotU8S8(__m256i acc, __m256i u, __m256i s) {
    const __m256i pairs = _mm256_maddubs_epi16(u, s);
    return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
  }
};

using Kernels = x86::Dots<Avx2Madd>;

}  // namespace

const KernelTable& Avx2KernelTable() {
  static const KernelTable table = {
      .isa = Isa::kAvx2,
      .dot_f32 = Kernels::DotF32,
      .dot_f16 = Kernels::DotF16,
      .dot_q8_0 = Kernels::DotQ8_0,
      .dot_q4_0 = Kernels::DotQ4_0,
      .dot_q4_K = Kernels::DotQ4_K,
      .dot_q6_K = Kernels::DotQ6_K,
      .to_fp16 = Kernels::ToFp16,
      .from_fp16 = Kernels::FromFp16,
  };
  return table;
}

}  // namespace gridbench::kernels::quant::internal
