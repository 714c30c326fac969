// The fixed pseudo-random streams synthetic models are made from, specified
// exactly so that a seed gives the same bytes on every machine and compiler:
// only integer arithmetic, IEEE additions and multiplications in double
// (no FMA contraction: the project builds in ISO C++ mode, where GCC and
// clang do not contract), and one correctly rounded sqrt; no libm
// transcendentals, whose last bits differ between C libraries.
//
// Thread-safety: a SeededValues object is thread-compatible; separate objects
// are independent.
#ifndef GRIDBENCH_KERNELS_MODEL_SEEDED_VALUES_H_
#define GRIDBENCH_KERNELS_MODEL_SEEDED_VALUES_H_

#include <cstdint>

namespace gridbench::kernels::model {

// splitmix64 (Steele, Lea and Flood 2014; the reference code by Vigna).
inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Approximately normal values with mean 0 and standard deviation `stddev`:
// each value is the sum of the four 16-bit parts of one
// splitmix64 output, each taken as a uniform (k + 0.5) / 65536, centred and
// scaled to unit variance (Irwin-Hall with n = 4), times `stddev`. Values
// never exceed 2 * sqrt(3) * stddev in magnitude.
//
// Stream `stream` of seed `seed` starts from state
// seed ^ (stream * 0xD1B54A32D192ED03), so each tensor of a model has its own
// stream and can be generated alone.
class SeededValues {
 public:
  SeededValues(uint64_t seed, uint64_t stream) : state_(seed ^ (stream * 0xD1B54A32D192ED03ull)) {}

  double NextStandard() {
    const uint64_t bits = SplitMix64(state_);
    double sum = 0;
    for (int k = 0; k < 4; ++k) {
      sum += (static_cast<double>((bits >> (16 * k)) & 0xFFFF) + 0.5) * (1.0 / 65536);
    }
    return (sum - 2.0) * kSqrt3;
  }

 private:
  static constexpr double kSqrt3 = 1.7320508075688772;
  uint64_t state_;
};

}  // namespace gridbench::kernels::model

#endif  // GRIDBENCH_KERNELS_MODEL_SEEDED_VALUES_H_
