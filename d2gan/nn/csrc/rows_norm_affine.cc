// d2gan_rows_norm_affine: an affine instance norm on the rows (N C, H W) in one operator each
// way: every row to zero mean and unit (biased) variance plus eps, times gamma[r % P] plus
// beta[r % P] (P = C: one pair per channel, shared by the examples). The two-operator route it
// replaces (d2gan_rows_norm, then d2gan_rows_affine) writes and reads the normalised rows in
// between and makes one more pass each way.
//   forward:  y = (x - mean) s gamma + beta,  s = 1 / sqrt(var + eps)
//   backward: x_hat = (x - mean) s, dgamma = sum(g x_hat), dbeta = sum(g) (summed over the rows
//             of each channel), dx = s gamma (g - mean(g) - x_hat mean(g x_hat)).
#include <string>
#include <vector>
#include "float_types.h"
#include "registration.h"
#include "row_moments.h"
#include "shape_text.h"
#include "mxnet/lib_api.h"

using namespace mxnet::ext;

namespace {

using d2gan::data_or_null;
using d2gan::dims;

template <typename T>
void forward_rows(const T* x, const T* gamma, const T* beta, T* y, int64_t rows, int64_t len,
                  int64_t period, double eps) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * len;
    T* yr = y + r * len;
    double mean, s;
    d2gan::row_moments(xr, len, eps, &mean, &s);
    // y = x a + b with a = s gamma, b = beta - mean s gamma
    const T a = static_cast<T>(s * gamma[r % period]);
    const T b = static_cast<T>(beta[r % period] - mean * s * gamma[r % period]);
#pragma omp simd
    for (int64_t i = 0; i < len; ++i) yr[i] = xr[i] * a + b;
  }
}

template <typename T>
void backward_rows(const T* g, const T* x, const T* gamma, T* dx, T* dgamma, T* dbeta,
                   int64_t rows, int64_t len, int64_t period, double eps) {
  std::vector<double> sums(2 * rows);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const T* gr = g + r * len;
    const T* xr = x + r * len;
    double mean, s;
    d2gan::row_moments(xr, len, eps, &mean, &s);
    double sum_g = 0, sum_gc = 0;
#pragma omp simd reduction(+ : sum_g, sum_gc)
    for (int64_t i = 0; i < len; ++i) {
      sum_g += gr[i];
      sum_gc += static_cast<double>(gr[i]) * (xr[i] - mean);
    }
    sums[2 * r] = sum_gc * s;           // sum(g x_hat)
    sums[2 * r + 1] = sum_g;
    if (dx != nullptr) {
      // dx = s gamma (g - mean(g) - x_hat mean(g x_hat)) = g a + (x - mean) k + m
      const double n = static_cast<double>(len), sg = s * gamma[r % period];
      const T a = static_cast<T>(sg);
      const T k = static_cast<T>(-sg * s * s * sum_gc / n);
      const T m = static_cast<T>(-sg * sum_g / n);
      const T mu = static_cast<T>(mean);
      T* dr = dx + r * len;
#pragma omp simd
      for (int64_t i = 0; i < len; ++i) dr[i] = gr[i] * a + (xr[i] - mu) * k + m;
    }
  }
  for (int64_t p = 0; p < period; ++p) {
    double gx = 0, g1 = 0;
    for (int64_t r = p; r < rows; r += period) {
      gx += sums[2 * r];
      g1 += sums[2 * r + 1];
    }
    if (dgamma != nullptr) dgamma[p] = static_cast<T>(gx);
    if (dbeta != nullptr) dbeta[p] = static_cast<T>(g1);
  }
}

MXReturnValue forward(const d2gan::Attrs& attrs, std::vector<MXTensor>* inputs,
                      std::vector<MXTensor>* outputs, const OpResource& res) {
  MXTensor& x = inputs->at(0);
  const float eps = d2gan::norm_eps(attrs);
  const int64_t rows = x.shape[0], len = x.shape[1], period = inputs->at(1).shape[0];
  if (x.dtype == kFloat32) {
    forward_rows(x.data<float>(), inputs->at(1).data<float>(), inputs->at(2).data<float>(),
                 outputs->at(0).data<float>(), rows, len, period, eps);
  } else {
    forward_rows(x.data<double>(), inputs->at(1).data<double>(), inputs->at(2).data<double>(),
                 outputs->at(0).data<double>(), rows, len, period, eps);
  }
  return MX_SUCCESS;
}

// inputs: the output's gradient, x, gamma, beta, the output; outputs: the gradients of x,
// gamma and beta
MXReturnValue backward(const d2gan::Attrs& attrs, std::vector<MXTensor>* inputs,
                       std::vector<MXTensor>* outputs, const OpResource& res) {
  MXTensor& x = inputs->at(1);
  const float eps = d2gan::norm_eps(attrs);
  const int64_t rows = x.shape[0], len = x.shape[1], period = inputs->at(2).shape[0];
  if (x.dtype == kFloat32) {
    backward_rows(inputs->at(0).data<float>(), x.data<float>(), inputs->at(2).data<float>(),
                  data_or_null<float>(outputs->at(0)), data_or_null<float>(outputs->at(1)),
                  data_or_null<float>(outputs->at(2)), rows, len, period, eps);
  } else {
    backward_rows(inputs->at(0).data<double>(), x.data<double>(), inputs->at(2).data<double>(),
                  data_or_null<double>(outputs->at(0)), data_or_null<double>(outputs->at(1)),
                  data_or_null<double>(outputs->at(2)), rows, len, period, eps);
  }
  return MX_SUCCESS;
}

MXReturnValue infer_type(const d2gan::Attrs& attrs, std::vector<int>* in_types,
                         std::vector<int>* out_types) {
  return d2gan::same_float_type("d2gan_rows_norm_affine", in_types, out_types);
}

MXReturnValue infer_shape(const d2gan::Attrs& attrs,
                          std::vector<std::vector<unsigned int>>* in_shapes,
                          std::vector<std::vector<unsigned int>>* out_shapes) {
  const std::vector<unsigned int>& x = in_shapes->at(0);
  if (x.size() != 2) {
    MX_ERROR_MSG << "d2gan_rows_norm_affine: normalises the rows of a 2-D array, got "
                 << x.size() << " dimensions";
    return MX_FAIL;
  }
  const std::vector<unsigned int>& gamma = in_shapes->at(1);
  const std::vector<unsigned int>& beta = in_shapes->at(2);
  if (gamma.size() != 1 || beta != gamma || gamma[0] == 0 || x[0] % gamma[0] != 0) {
    MX_ERROR_MSG << "d2gan_rows_norm_affine: gamma and beta need one value per row (" << x[0]
                 << ",) or one per channel (a length that divides " << x[0]
                 << "), the same length for both; got " << dims(gamma) << " and " << dims(beta);
    return MX_FAIL;
  }
  out_shapes->at(0) = x;
  return MX_SUCCESS;
}

}  // namespace

REGISTER_OP(d2gan_rows_norm_affine)
.setForward(forward, "cpu")
.setBackward(backward, "cpu")
.setParseAttrs(d2gan::fixed_arity<3, 1>)
.setInferType(infer_type)
.setInferShape(infer_shape);
