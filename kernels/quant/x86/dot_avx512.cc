// AVX-512 + AVX512_VNNI kernels (compiled with -mavx512f -mavx512bw
// -mavx512vl -mavx512dq -mavx512vnni -mavx2 -mfma -mf16c). The dot products
// are the shared x86 ones with vpdpbusd doing the u8 x s8 multiply-add; the
// F32/F16 dot products and conversions are memory-bound, so the AVX2 ones
// serve this level too.
#include "kernels/quant/kernel_table.h"
#include "kernels/quant/x86/dot_x86.h"
#include "kernels/quant/x86/gemm_avx512.h"

namespace gridbench::kernels::quant::internal {
namespace {

struct Vnni {
  static __m256i DotU8S8(__m256i acc, __m256i u, __m256i s) {
    return _mm256_dpbusd_epi32(acc, u, s);
  }
};

using Kernels = x86::Dots<Vnni>;

}  // namespace

const KernelTable& Avx512VnniKernelTable() {
  static const KernelTable table = {
      .isa = Isa::kAvx512Vnni,
      .dot_q8_0 = Kernels::DotQ8_0,
      .dot_q4_0 = Kernels::DotQ4_0,
      .dot_q4_K = Kernels::DotQ4_K,
      .dot_q6_K = Kernels::DotQ6_K,
      .gemm_q8_0_q4_0 = x86::GemmQ8_0Q4_0Avx512,
  };
  return table;
}

}  // namespace gridbench::kernels::quant::internal
