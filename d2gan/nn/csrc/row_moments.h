// What the normalisation operators share: the attribute eps, and the moments of one row -- its
// mean and 1 / sqrt(biased variance + eps), accumulated in double in two passes (mean, then the
// squared deviations from it).
#ifndef D2GAN_NN_CSRC_ROW_MOMENTS_H_
#define D2GAN_NN_CSRC_ROW_MOMENTS_H_

#include <cmath>
#include <cstdint>
#include <string>
#include "registration.h"

namespace d2gan {

// the attribute eps (default 1e-5), held as a float32 as MXNet's normalisation kernels hold it
inline float norm_eps(const Attrs& attrs) {
  auto found = attrs.find("eps");
  return found == attrs.end() ? 1e-5f : std::stof(found->second);
}

template <typename T>
void row_moments(const T* x, int64_t len, double eps, double* mean, double* inv_std) {
  double sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < len; ++i) sum += x[i];
  const double m = sum / len;
  double squares = 0;
#pragma omp simd reduction(+ : squares)
  for (int64_t i = 0; i < len; ++i) {
    const double d = x[i] - m;
    squares += d * d;
  }
  *mean = m;
  *inv_std = 1.0 / std::sqrt(squares / len + eps);
}

}  // namespace d2gan

#endif  // D2GAN_NN_CSRC_ROW_MOMENTS_H_
