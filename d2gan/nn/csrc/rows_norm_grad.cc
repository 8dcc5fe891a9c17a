// d2gan_rows_norm_grad: the input gradient of an affine instance norm, row by row, as a forward
// operator with its own backward -- what a gradient penalty needs (d2gan/penalty.py builds
// grad_x D with forward operators and back-propagates through them once).
// For a row x of length L (the rows (N C, H W) of an instance norm), c = x - mean(x),
// s = 1 / sqrt(mean(c^2) + eps), the output's gradient dy and the row's channel scale gamma
// (gamma has P values, row r uses gamma[r % P]), with d = gamma dy:
//   dx = s (d - mean(d)) - s^3 c mean(d c).
// Its backward, for the gradient h of dx (sums over the row, N = L):
//   dL/dd = s (h - mean(h)) - s^3 c mean(h c),  dL/ddy = gamma dL/dd,
//   dL/dgamma[p] = sum over the rows of p of sum(dy dL/dd),
//   dL/dx = -s^3/N (A c + B (d - mean(d))) - s^3 C (h - mean(h)) + 3 s^5/N B C c,
// with A = sum(h (d - mean(d))), B = sum(h c), C = mean(d c). The route it replaces builds dx
// from about fifteen operators per layer (row means as matrix products, scales and shifts,
// products and differences) and back-propagates through each; here it is one pass of moments
// and one of output each way, split over the rows. tests/test_rows_norm_grad.py checks both
// directions against finite differences in float64.
#include <algorithm>
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
void forward_rows(const T* x, const T* dy, const T* gamma, T* dx, int64_t rows, int64_t len,
                  int64_t period, double eps) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * len;
    const T* gr = dy + r * len;
    T* out = dx + r * len;
    const double g = gamma[r % period];
    double mean, s;
    d2gan::row_moments(xr, len, eps, &mean, &s);
    double sum_d = 0, sum_dc = 0;
#pragma omp simd reduction(+ : sum_d, sum_dc)
    for (int64_t i = 0; i < len; ++i) {
      const double d = g * gr[i];
      sum_d += d;
      sum_dc += d * (xr[i] - mean);
    }
    const double mean_d = sum_d / len, k = s * s * s * sum_dc / len;
#pragma omp simd
    for (int64_t i = 0; i < len; ++i) {
      out[i] = static_cast<T>(s * (g * gr[i] - mean_d) - k * (xr[i] - mean));
    }
  }
}

// outputs: the gradients of x, dy and gamma; any may be null (not asked for)
template <typename T>
void backward_rows(const T* h, const T* x, const T* dy, const T* gamma, T* gx, T* gdy, T* ggamma,
                   int64_t rows, int64_t len, int64_t period, double eps) {
  std::vector<double> gamma_sums(rows);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const T* hr = h + r * len;
    const T* xr = x + r * len;
    const T* yr = dy + r * len;
    const double g = gamma[r % period];
    double mean, s;
    d2gan::row_moments(xr, len, eps, &mean, &s);
    double sum_h = 0, sum_hc = 0, sum_d = 0, sum_dc = 0, sum_hd = 0;
#pragma omp simd reduction(+ : sum_h, sum_hc, sum_d, sum_dc, sum_hd)
    for (int64_t i = 0; i < len; ++i) {
      const double c = xr[i] - mean, d = g * yr[i], hi = hr[i];
      sum_h += hi;
      sum_hc += hi * c;
      sum_d += d;
      sum_dc += d * c;
      sum_hd += hi * d;
    }
    const double n = static_cast<double>(len), s3 = s * s * s;
    const double mean_h = sum_h / n, mean_d = sum_d / n;
    const double a = sum_hd - sum_h * mean_d, b = sum_hc, cc = sum_dc / n;
    // dL/dd = s (h - mean_h) - s^3 c (B / N)
    const double kd = s3 * b / n;
    double sum_ydd = 0;
    if (gdy != nullptr || ggamma != nullptr) {
      T* gyr = gdy == nullptr ? nullptr : gdy + r * len;
#pragma omp simd reduction(+ : sum_ydd)
      for (int64_t i = 0; i < len; ++i) {
        const double dd = s * (hr[i] - mean_h) - kd * (xr[i] - mean);
        sum_ydd += yr[i] * dd;
        if (gyr != nullptr) gyr[i] = static_cast<T>(g * dd);
      }
    }
    gamma_sums[r] = sum_ydd;
    if (gx != nullptr) {
      T* gxr = gx + r * len;
      const double kc = -s3 * a / n + 3 * s3 * s * s * b * cc / n, kdm = -s3 * b / n,
                   kh = -s3 * cc;
#pragma omp simd
      for (int64_t i = 0; i < len; ++i) {
        const double c = xr[i] - mean;
        gxr[i] = static_cast<T>(kc * c + kdm * (g * yr[i] - mean_d) + kh * (hr[i] - mean_h));
      }
    }
  }
  if (ggamma != nullptr) {
    for (int64_t p = 0; p < period; ++p) {
      double total = 0;
      for (int64_t r = p; r < rows; r += period) total += gamma_sums[r];
      ggamma[p] = static_cast<T>(total);
    }
  }
}

MXReturnValue forward(const d2gan::Attrs& attrs, std::vector<MXTensor>* inputs,
                      std::vector<MXTensor>* outputs, const OpResource& res) {
  MXTensor& x = inputs->at(0);
  const float eps = d2gan::norm_eps(attrs);
  const int64_t rows = x.shape[0], len = x.shape[1], period = inputs->at(2).shape[0];
  if (x.dtype == kFloat32) {
    forward_rows(x.data<float>(), inputs->at(1).data<float>(), inputs->at(2).data<float>(),
                 outputs->at(0).data<float>(), rows, len, period, eps);
  } else {
    forward_rows(x.data<double>(), inputs->at(1).data<double>(), inputs->at(2).data<double>(),
                 outputs->at(0).data<double>(), rows, len, period, eps);
  }
  return MX_SUCCESS;
}

// inputs: the output's gradient, x, dy, gamma, the output; outputs: the gradients of x, dy
// and gamma
MXReturnValue backward(const d2gan::Attrs& attrs, std::vector<MXTensor>* inputs,
                       std::vector<MXTensor>* outputs, const OpResource& res) {
  MXTensor& x = inputs->at(1);
  const float eps = d2gan::norm_eps(attrs);
  const int64_t rows = x.shape[0], len = x.shape[1], period = inputs->at(3).shape[0];
  if (x.dtype == kFloat32) {
    backward_rows(inputs->at(0).data<float>(), x.data<float>(), inputs->at(2).data<float>(),
                  inputs->at(3).data<float>(), data_or_null<float>(outputs->at(0)),
                  data_or_null<float>(outputs->at(1)), data_or_null<float>(outputs->at(2)),
                  rows, len, period, eps);
  } else {
    backward_rows(inputs->at(0).data<double>(), x.data<double>(), inputs->at(2).data<double>(),
                  inputs->at(3).data<double>(), data_or_null<double>(outputs->at(0)),
                  data_or_null<double>(outputs->at(1)), data_or_null<double>(outputs->at(2)),
                  rows, len, period, eps);
  }
  return MX_SUCCESS;
}

MXReturnValue infer_type(const d2gan::Attrs& attrs, std::vector<int>* in_types,
                         std::vector<int>* out_types) {
  return d2gan::same_float_type("d2gan_rows_norm_grad", in_types, out_types);
}

MXReturnValue infer_shape(const d2gan::Attrs& attrs,
                          std::vector<std::vector<unsigned int>>* in_shapes,
                          std::vector<std::vector<unsigned int>>* out_shapes) {
  const std::vector<unsigned int>& x = in_shapes->at(0);
  const std::vector<unsigned int>& gamma = in_shapes->at(2);
  if (x.size() != 2 || in_shapes->at(1) != x) {
    MX_ERROR_MSG << "d2gan_rows_norm_grad: x and dy must be 2-D arrays of one shape (rows); got "
                 << dims(x) << " and " << dims(in_shapes->at(1));
    return MX_FAIL;
  }
  if (gamma.size() != 1 || gamma[0] == 0 || x[0] % gamma[0] != 0) {
    MX_ERROR_MSG << "d2gan_rows_norm_grad: gamma needs one value per row (" << x[0]
                 << ",) or one per channel (a length that divides " << x[0] << "); got "
                 << dims(gamma);
    return MX_FAIL;
  }
  out_shapes->at(0) = x;
  return MX_SUCCESS;
}

}  // namespace

REGISTER_OP(d2gan_rows_norm_grad)
.setForward(forward, "cpu")
.setBackward(backward, "cpu")
.setParseAttrs(d2gan::fixed_arity<3, 1>)
.setInferType(infer_type)
.setInferShape(infer_shape);
