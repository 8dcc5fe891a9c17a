// d2gan_rows_norm: every row of a 2-D array to zero mean and unit (biased) variance plus eps,
// with its backward fused into one pass per row. Instance normalisation is this on the rows of
// (N C, H W). Built by d2gan/nn/native.py against MXNet's custom-operator library API
// (include/mxnet/lib_api.h, shipped with the MXNet wheel) and loaded with mx.library.load.
#include <cmath>
#include <string>
#include "float_types.h"
#include "registration.h"
#include "row_moments.h"
#include "mxnet/lib_api.h"

using namespace mxnet::ext;

namespace {

// mean and 1 / sqrt(variance + eps) of one row (row_moments.h), rounded to T
template <typename T>
void row_moments(const T* x, int64_t len, float eps, T* mean, T* inv_std) {
  double m, s;
  d2gan::row_moments(x, len, static_cast<double>(eps), &m, &s);
  *mean = static_cast<T>(m);
  *inv_std = static_cast<T>(s);
}

template <typename T>
void forward_rows(const T* x, T* y, int64_t rows, int64_t len, float eps) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * len;
    T* yr = y + r * len;
    T mean, inv_std;
    row_moments(xr, len, eps, &mean, &inv_std);
    for (int64_t i = 0; i < len; ++i) yr[i] = (xr[i] - mean) * inv_std;
  }
}

// dx = inv_std * (g - mean(g) - y * mean(g * y)), y the forward output
template <typename T>
void backward_rows(const T* g, const T* x, const T* y, T* dx, int64_t rows, int64_t len,
                   float eps) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const T* gr = g + r * len;
    const T* yr = y + r * len;
    T* dr = dx + r * len;
    T mean, inv_std;
    row_moments(x + r * len, len, eps, &mean, &inv_std);
    double sum_g = 0, sum_gy = 0;
#pragma omp simd reduction(+ : sum_g, sum_gy)
    for (int64_t i = 0; i < len; ++i) {
      sum_g += gr[i];
      sum_gy += static_cast<double>(gr[i]) * yr[i];
    }
    const T mean_g = static_cast<T>(sum_g / len), mean_gy = static_cast<T>(sum_gy / len);
    for (int64_t i = 0; i < len; ++i) dr[i] = inv_std * (gr[i] - mean_g - yr[i] * mean_gy);
  }
}

MXReturnValue forward(const std::unordered_map<std::string, std::string>& attrs,
                      std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                      const OpResource& res) {
  MXTensor& x = inputs->at(0);
  const float eps = d2gan::norm_eps(attrs);
  const int64_t rows = x.shape[0], len = x.shape[1];
  if (x.dtype == kFloat32) {
    forward_rows(x.data<float>(), outputs->at(0).data<float>(), rows, len, eps);
  } else {
    forward_rows(x.data<double>(), outputs->at(0).data<double>(), rows, len, eps);
  }
  return MX_SUCCESS;
}

// inputs: the output's gradient, the input, the output; outputs: the input's gradient
MXReturnValue backward(const std::unordered_map<std::string, std::string>& attrs,
                       std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                       const OpResource& res) {
  MXTensor& x = inputs->at(1);
  const float eps = d2gan::norm_eps(attrs);
  const int64_t rows = x.shape[0], len = x.shape[1];
  if (x.dtype == kFloat32) {
    backward_rows(inputs->at(0).data<float>(), x.data<float>(), inputs->at(2).data<float>(),
                  outputs->at(0).data<float>(), rows, len, eps);
  } else {
    backward_rows(inputs->at(0).data<double>(), x.data<double>(), inputs->at(2).data<double>(),
                  outputs->at(0).data<double>(), rows, len, eps);
  }
  return MX_SUCCESS;
}

MXReturnValue infer_type(const std::unordered_map<std::string, std::string>& attrs,
                         std::vector<int>* in_types, std::vector<int>* out_types) {
  return d2gan::same_float_type("d2gan_rows_norm", in_types, out_types);
}

MXReturnValue infer_shape(const std::unordered_map<std::string, std::string>& attrs,
                          std::vector<std::vector<unsigned int>>* in_shapes,
                          std::vector<std::vector<unsigned int>>* out_shapes) {
  if (in_shapes->at(0).size() != 2) {
    MX_ERROR_MSG << "d2gan_rows_norm: normalises the rows of a 2-D array, got "
                 << in_shapes->at(0).size() << " dimensions";
    return MX_FAIL;
  }
  out_shapes->at(0) = in_shapes->at(0);
  return MX_SUCCESS;
}

}  // namespace

REGISTER_OP(d2gan_rows_norm)
.setForward(forward, "cpu")
.setBackward(backward, "cpu")
.setParseAttrs(d2gan::fixed_arity<1, 1>)
.setInferType(infer_type)
.setInferShape(infer_shape);
