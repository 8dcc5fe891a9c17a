// One step of spectral normalisation's power iteration, shared by d2gan_power_iteration and
// d2gan_spectral_norm: for a weight W (R, K) and the stored vector u (R,),
//   v = normalize(W^T u),   u' = normalize(W v),
// both products accumulated in double; normalize(x) = x / (|x| + 1e-12), as in the rest of the
// library. Each product is one pass over W.
#ifndef D2GAN_NN_CSRC_POWER_STEP_H_
#define D2GAN_NN_CSRC_POWER_STEP_H_

#include <cmath>
#include <cstdint>
#include <vector>

namespace d2gan {

const double kPowerEpsilon = 1e-12;

// out = normalize(W^T u): the rows of W weighted by u, added column by column
template <typename T>
void transposed_product(const T* w, const T* u, T* out, int64_t rows, int64_t cols) {
  std::vector<double> sums(cols, 0.0);
  double* s = sums.data();
#pragma omp parallel for schedule(static)
  for (int64_t c0 = 0; c0 < cols; c0 += 256) {
    const int64_t c1 = c0 + 256 < cols ? c0 + 256 : cols;
    for (int64_t r = 0; r < rows; ++r) {
      const double ur = u[r];
      const T* wr = w + r * cols;
#pragma omp simd
      for (int64_t c = c0; c < c1; ++c) s[c] += ur * wr[c];
    }
  }
  double norm = 0;
  for (int64_t c = 0; c < cols; ++c) norm += s[c] * s[c];
  const double scale = 1.0 / (std::sqrt(norm) + kPowerEpsilon);
  for (int64_t c = 0; c < cols; ++c) out[c] = static_cast<T>(s[c] * scale);
}

// out = normalize(W v), one dot product per row; returns out^T W v (the spectral norm's
// sigma for the new u' = out and v) from the same row sums, with out as stored (rounded to T)
template <typename T>
double product(const T* w, const T* v, T* out, int64_t rows, int64_t cols) {
  std::vector<double> sums(rows);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const T* wr = w + r * cols;
    double dot = 0;
#pragma omp simd reduction(+ : dot)
    for (int64_t c = 0; c < cols; ++c) dot += static_cast<double>(wr[c]) * v[c];
    sums[r] = dot;
  }
  double norm = 0;
  for (int64_t r = 0; r < rows; ++r) norm += sums[r] * sums[r];
  const double scale = 1.0 / (std::sqrt(norm) + kPowerEpsilon);
  double sigma = 0;
  for (int64_t r = 0; r < rows; ++r) {
    out[r] = static_cast<T>(sums[r] * scale);
    sigma += static_cast<double>(out[r]) * sums[r];
  }
  return sigma;
}

// v and u' of one step from u; in training (mode[0] != 1) u' is also stored in u.
// Returns sigma = u'^T W v.
template <typename T>
double power_step(const T* w, T* u, const T* mode, T* v, T* u_next, int64_t rows,
                  int64_t cols) {
  transposed_product(w, u, v, rows, cols);
  const double sigma = product(w, v, u_next, rows, cols);
  if (mode[0] != T(1)) {  // training: keep the new estimate
    for (int64_t r = 0; r < rows; ++r) u[r] = u_next[r];
  }
  return sigma;
}

}  // namespace d2gan

#endif  // D2GAN_NN_CSRC_POWER_STEP_H_
