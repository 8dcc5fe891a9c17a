// d2gan_instance_layer_norm: U-GAT-IT's (Ada)ILN in one operator. x is (N, C, H, W) (L = H W);
// per example n and channel c, with the instance moments m_nc, v_nc over L and the layer
// moments M_n, V_n over C L (biased; times k = count / (count - 1) when unbiased=1),
//   y = (rho_c (x - m_nc) / sqrt(k v_nc + eps) + (1 - rho_c) (x - M_n) / sqrt(k V_n + eps))
//       * scale[r % P] + shift[r % P],   r = n C + c,
// P = N C (AdaILN: the MLP's gamma, beta (N, C)) or P = C (ILN: learned (1, C, 1, 1)); rho has
// C values in any shape (the layers' (1, C, 1, 1) parameter), so the graph needs no reshapes.
// Both normalisations are affine in x, so forward is one moments pass and one output pass per
// row; backward recomputes the moments, sums g and g (x - m) per row, combines them per
// example, and writes dx in one more pass. The route it replaces is about forty small graph
// operators per layer (the moments as matrix products, the mixing coefficients as broadcast
// operators), whose per-operator cost dominated U-GAT-IT's small layers.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>
#include "float_types.h"
#include "shape_text.h"
#include "registration.h"
#include "mxnet/lib_api.h"

using namespace mxnet::ext;

namespace {

using d2gan::data_or_null;
using d2gan::dims;

struct Attrs {
  double eps = 1e-5;
  bool unbiased = false;
};

Attrs attrs_of(const std::unordered_map<std::string, std::string>& attrs) {
  Attrs a;
  auto eps = attrs.find("eps");
  if (eps != attrs.end()) a.eps = std::stod(eps->second);
  auto unbiased = attrs.find("unbiased");
  if (unbiased != attrs.end()) a.unbiased = std::stoi(unbiased->second) != 0;
  return a;
}

// the variance factor k for a count of values: count / (count - 1) when unbiased, else 1
double variance_factor(bool unbiased, int64_t count) {
  return unbiased ? static_cast<double>(count) / (count - 1) : 1.0;
}

struct Shape {
  int64_t n, c, len, period;
};

// per row: mean and biased variance (two passes, double)
template <typename T>
void row_moments(const T* x, const Shape& s, std::vector<double>* mean, std::vector<double>* var) {
  const int64_t rows = s.n * s.c;
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * s.len;
    double sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < s.len; ++i) sum += xr[i];
    const double m = sum / s.len;
    double squares = 0;
#pragma omp simd reduction(+ : squares)
    for (int64_t i = 0; i < s.len; ++i) {
      const double d = xr[i] - m;
      squares += d * d;
    }
    (*mean)[r] = m;
    (*var)[r] = squares / s.len;
  }
}

// per example: the layer mean and the divisor sqrt(k V + eps), from the rows' moments
void layer_moments(const std::vector<double>& mean, const std::vector<double>& var,
                   const Shape& s, const Attrs& a, std::vector<double>* layer_mean,
                   std::vector<double>* layer_div) {
  const double k = variance_factor(a.unbiased, s.c * s.len);
  for (int64_t n = 0; n < s.n; ++n) {
    double m = 0, second = 0;
    for (int64_t c = 0; c < s.c; ++c) {
      const int64_t r = n * s.c + c;
      m += mean[r];
      second += var[r] + mean[r] * mean[r];
    }
    m /= s.c;
    const double v = std::max(second / s.c - m * m, 0.0);
    (*layer_mean)[n] = m;
    (*layer_div)[n] = std::sqrt(k * v + a.eps);
  }
}

template <typename T>
void forward_rows(const T* x, const T* rho, const T* scale, const T* shift, T* y,
                  const Shape& s, const Attrs& a) {
  const int64_t rows = s.n * s.c;
  std::vector<double> mean(rows), var(rows), layer_mean(s.n), layer_div(s.n);
  row_moments(x, s, &mean, &var);
  layer_moments(mean, var, s, a, &layer_mean, &layer_div);
  const double k = variance_factor(a.unbiased, s.len);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t n = r / s.c;
    const double p = rho[r % s.c], gain = scale[r % s.period];
    const double div_in = std::sqrt(k * var[r] + a.eps), div_ln = layer_div[n];
    const T slope = static_cast<T>(gain * (p / div_in + (1 - p) / div_ln));
    const T offset = static_cast<T>(shift[r % s.period] -
                                    gain * (p * mean[r] / div_in +
                                            (1 - p) * layer_mean[n] / div_ln));
    const T* xr = x + r * s.len;
    T* yr = y + r * s.len;
#pragma omp simd
    for (int64_t i = 0; i < s.len; ++i) yr[i] = xr[i] * slope + offset;
  }
}

// dx = scale (rho / s g + (1 - rho) / S g) - the instance and the layer normalisations'
// projections (see the header); drho, dscale, dshift summed per channel / per pair; a null
// output (a gradient MXNet does not ask for) is skipped
template <typename T>
void backward_rows(const T* g, const T* x, const T* rho, const T* scale, T* dx, T* drho,
                   T* dscale, T* dshift, const Shape& s, const Attrs& a) {
  const int64_t rows = s.n * s.c;
  std::vector<double> mean(rows), var(rows), layer_mean(s.n), layer_div(s.n);
  std::vector<double> sum_g(rows), sum_gc(rows);  // sum g and sum g (x - m) per row
  row_moments(x, s, &mean, &var);
  layer_moments(mean, var, s, a, &layer_mean, &layer_div);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const T* gr = g + r * s.len;
    const T* xr = x + r * s.len;
    const double m = mean[r];
    double g1 = 0, gc = 0;
#pragma omp simd reduction(+ : g1, gc)
    for (int64_t i = 0; i < s.len; ++i) {
      g1 += gr[i];
      gc += gr[i] * (xr[i] - m);
    }
    sum_g[r] = g1;
    sum_gc[r] = gc;
  }
  const double k_in = variance_factor(a.unbiased, s.len);
  const double k_ln = variance_factor(a.unbiased, s.c * s.len);
  std::vector<double> div_in(rows), layer_g(s.n, 0.0), layer_gc(s.n, 0.0);
  std::vector<double> grad_rho(s.c, 0.0), grad_scale(s.period, 0.0), grad_shift(s.period, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t n = r / s.c, c = r % s.c;
    const double p = rho[c], gain = scale[r % s.period];
    div_in[r] = std::sqrt(k_in * var[r] + a.eps);
    const double gc_layer = sum_gc[r] + (mean[r] - layer_mean[n]) * sum_g[r];  // sum g (x - M)
    const double g_in = sum_gc[r] / div_in[r], g_ln = gc_layer / layer_div[n];
    grad_rho[c] += gain * (g_in - g_ln);
    grad_scale[r % s.period] += p * g_in + (1 - p) * g_ln;
    grad_shift[r % s.period] += sum_g[r];
    layer_g[n] += gain * (1 - p) * sum_g[r];
    layer_gc[n] += gain * (1 - p) * gc_layer;
  }
  if (drho != nullptr) {
    for (int64_t c = 0; c < s.c; ++c) drho[c] = static_cast<T>(grad_rho[c]);
  }
  for (int64_t q = 0; q < s.period; ++q) {
    if (dscale != nullptr) dscale[q] = static_cast<T>(grad_scale[q]);
    if (dshift != nullptr) dshift[q] = static_cast<T>(grad_shift[q]);
  }
  if (dx == nullptr) return;
  const double len = static_cast<double>(s.len), layer_len = len * s.c;
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t n = r / s.c;
    const double p = rho[r % s.c], gain = scale[r % s.period];
    const double si = div_in[r], sl = layer_div[n];
    const T slope = static_cast<T>(gain * (p / si + (1 - p) / sl));
    const T along_in = static_cast<T>(k_in * gain * p * sum_gc[r] / (len * si * si * si));
    const T along_ln = static_cast<T>(k_ln * layer_gc[n] / (layer_len * sl * sl * sl));
    const T offset = static_cast<T>(-gain * p * sum_g[r] / (si * len) -
                                    layer_g[n] / (sl * layer_len));
    const T m = static_cast<T>(mean[r]), lm = static_cast<T>(layer_mean[n]);
    const T* gr = g + r * s.len;
    const T* xr = x + r * s.len;
    T* dr = dx + r * s.len;
#pragma omp simd
    for (int64_t i = 0; i < s.len; ++i) {
      dr[i] = slope * gr[i] - along_in * (xr[i] - m) - along_ln * (xr[i] - lm) + offset;
    }
  }
}

// x (N, C, ...) and scale of N C or C values, any shapes (checked by infer_shape)
Shape shape_of(const std::vector<MXTensor>& inputs, int x_index) {
  const MXTensor& x = inputs.at(x_index);
  int64_t len = 1;
  for (size_t d = 2; d < x.shape.size(); ++d) len *= x.shape[d];
  int64_t period = 1;
  for (int64_t d : inputs.at(x_index + 2).shape) period *= d;
  return Shape{x.shape[0], x.shape[1], len, period};
}

MXReturnValue forward(const std::unordered_map<std::string, std::string>& attrs,
                      std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                      const OpResource& res) {
  const Shape s = shape_of(*inputs, 0);
  const Attrs a = attrs_of(attrs);
  if (inputs->at(0).dtype == kFloat32) {
    forward_rows(inputs->at(0).data<float>(), inputs->at(1).data<float>(),
                 inputs->at(2).data<float>(), inputs->at(3).data<float>(),
                 outputs->at(0).data<float>(), s, a);
  } else {
    forward_rows(inputs->at(0).data<double>(), inputs->at(1).data<double>(),
                 inputs->at(2).data<double>(), inputs->at(3).data<double>(),
                 outputs->at(0).data<double>(), s, a);
  }
  return MX_SUCCESS;
}

// inputs: the output's gradient, x, rho, scale, shift, the output; outputs: the gradients of
// x, rho, scale and shift
MXReturnValue backward(const std::unordered_map<std::string, std::string>& attrs,
                       std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                       const OpResource& res) {
  const Shape s = shape_of(*inputs, 1);
  const Attrs a = attrs_of(attrs);
  if (inputs->at(1).dtype == kFloat32) {
    backward_rows(inputs->at(0).data<float>(), inputs->at(1).data<float>(),
                  inputs->at(2).data<float>(), inputs->at(3).data<float>(),
                  data_or_null<float>(outputs->at(0)), data_or_null<float>(outputs->at(1)),
                  data_or_null<float>(outputs->at(2)), data_or_null<float>(outputs->at(3)), s,
                  a);
  } else {
    backward_rows(inputs->at(0).data<double>(), inputs->at(1).data<double>(),
                  inputs->at(2).data<double>(), inputs->at(3).data<double>(),
                  data_or_null<double>(outputs->at(0)), data_or_null<double>(outputs->at(1)),
                  data_or_null<double>(outputs->at(2)), data_or_null<double>(outputs->at(3)), s,
                  a);
  }
  return MX_SUCCESS;
}

MXReturnValue infer_type(const std::unordered_map<std::string, std::string>& attrs,
                         std::vector<int>* in_types, std::vector<int>* out_types) {
  return d2gan::same_float_type("d2gan_instance_layer_norm", in_types, out_types);
}

int64_t elements(const std::vector<unsigned int>& shape) {
  int64_t count = 1;
  for (unsigned int d : shape) count *= d;
  return count;
}

MXReturnValue infer_shape(const std::unordered_map<std::string, std::string>& attrs,
                          std::vector<std::vector<unsigned int>>* in_shapes,
                          std::vector<std::vector<unsigned int>>* out_shapes) {
  const std::vector<unsigned int>& x = in_shapes->at(0);
  if (x.size() < 3) {
    MX_ERROR_MSG << "d2gan_instance_layer_norm: x must be (N, C, H, W) or (N, C, H W), got "
                 << dims(x);
    return MX_FAIL;
  }
  const std::vector<unsigned int>& rho = in_shapes->at(1);
  if (elements(rho) != x[1]) {
    MX_ERROR_MSG << "d2gan_instance_layer_norm: rho needs one value per channel (" << x[1]
                 << "), got " << dims(rho);
    return MX_FAIL;
  }
  const std::vector<unsigned int>& scale = in_shapes->at(2);
  const std::vector<unsigned int>& shift = in_shapes->at(3);
  const int64_t per_example = static_cast<int64_t>(x[0]) * x[1];
  if (scale != shift || (elements(scale) != x[1] && elements(scale) != per_example)) {
    MX_ERROR_MSG << "d2gan_instance_layer_norm: scale and shift need one value per channel ("
                 << x[1] << ") or one per example and channel (" << per_example
                 << "), the same shape for both; got " << dims(scale) << " and "
                 << dims(shift);
    return MX_FAIL;
  }
  out_shapes->at(0) = x;
  return MX_SUCCESS;
}

}  // namespace

REGISTER_OP(d2gan_instance_layer_norm)
.setForward(forward, "cpu")
.setBackward(backward, "cpu")
.setParseAttrs(d2gan::fixed_arity<4, 1>)
.setInferType(infer_type)
.setInferShape(infer_shape);
