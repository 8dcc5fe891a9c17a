// d2gan_sn_divide(W, u, v) = W / sigma with sigma = u^T W v: spectral normalisation's weight,
// for a weight W (R, K) and the power iteration's vectors u (R,) and v (K,), which are
// constants for back-propagation (d2gan_power_iteration gives them through BlockGrad). So
//   dW = G / sigma - (sum(G * W) / sigma^2) u v^T,
// two passes over W backward (the sum, then dW) and two forward (sigma, then W / sigma); u and
// v get zero gradients. Sums accumulate in double. The route it replaces -- sigma from a
// matrix-vector product, W times 1 / sigma as a (K, 1) x (1, 1) FullyConnected, the two
// weight gradients added -- makes about nine passes over W per forward + backward
// (benchmarks/sn_divide.py). Built by d2gan/nn/native.py with the other operators.
#include <algorithm>
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

// sigma = u^T W v, accumulated in double
template <typename T>
double bilinear(const T* w, const T* u, const T* v, int64_t rows, int64_t cols) {
  double total = 0;
#pragma omp parallel for schedule(static) reduction(+ : total)
  for (int64_t r = 0; r < rows; ++r) {
    const T* wr = w + r * cols;
    double row = 0;
    for (int64_t k = 0; k < cols; ++k) row += static_cast<double>(wr[k]) * v[k];
    total += row * u[r];
  }
  return total;
}

// <a, b> over all elements, accumulated in double
template <typename T>
double inner(const T* a, const T* b, int64_t size) {
  double total = 0;
#pragma omp parallel for schedule(static) reduction(+ : total)
  for (int64_t i = 0; i < size; ++i) total += static_cast<double>(a[i]) * b[i];
  return total;
}

template <typename T>
void forward_t(const T* w, const T* u, const T* v, T* y, int64_t rows, int64_t cols) {
  const T inverse = static_cast<T>(1.0 / bilinear(w, u, v, rows, cols));
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < rows * cols; ++i) y[i] = w[i] * inverse;
}

template <typename T>
void backward_t(const T* g, const T* w, const T* u, const T* v, T* dw, int64_t rows,
                int64_t cols) {
  const double inverse = 1.0 / bilinear(w, u, v, rows, cols);
  const double along = inner(g, w, rows * cols);
  const T scale = static_cast<T>(inverse), outer = static_cast<T>(along * inverse * inverse);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const T ur = outer * u[r];
#pragma omp simd
    for (int64_t k = 0; k < cols; ++k) {
      dw[r * cols + k] = g[r * cols + k] * scale - ur * v[k];
    }
  }
}

template <typename T>
void zero(MXTensor& tensor) {
  T* data = data_or_null<T>(tensor);
  if (data != nullptr) std::fill(data, data + tensor.size(), T(0));
}

// inputs W, u, v; output W / sigma
MXReturnValue forward(const std::unordered_map<std::string, std::string>& attrs,
                      std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                      const OpResource& res) {
  MXTensor& w = inputs->at(0);
  const int64_t rows = w.shape[0], cols = w.shape[1];
  if (w.dtype == kFloat32) {
    forward_t(w.data<float>(), inputs->at(1).data<float>(), inputs->at(2).data<float>(),
              outputs->at(0).data<float>(), rows, cols);
  } else {
    forward_t(w.data<double>(), inputs->at(1).data<double>(), inputs->at(2).data<double>(),
              outputs->at(0).data<double>(), rows, cols);
  }
  return MX_SUCCESS;
}

// inputs: the output's gradient G, W, u, v, the output; outputs: the gradients of W, u, v
MXReturnValue backward(const std::unordered_map<std::string, std::string>& attrs,
                       std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                       const OpResource& res) {
  MXTensor& w = inputs->at(1);
  const int64_t rows = w.shape[0], cols = w.shape[1];
  if (w.dtype == kFloat32) {
    float* dw = data_or_null<float>(outputs->at(0));
    if (dw != nullptr) {
      backward_t(inputs->at(0).data<float>(), w.data<float>(), inputs->at(2).data<float>(),
                 inputs->at(3).data<float>(), dw, rows, cols);
    }
    zero<float>(outputs->at(1));
    zero<float>(outputs->at(2));
  } else {
    double* dw = data_or_null<double>(outputs->at(0));
    if (dw != nullptr) {
      backward_t(inputs->at(0).data<double>(), w.data<double>(), inputs->at(2).data<double>(),
                 inputs->at(3).data<double>(), dw, rows, cols);
    }
    zero<double>(outputs->at(1));
    zero<double>(outputs->at(2));
  }
  return MX_SUCCESS;
}

MXReturnValue infer_type(const std::unordered_map<std::string, std::string>& attrs,
                         std::vector<int>* in_types, std::vector<int>* out_types) {
  return d2gan::same_float_type("d2gan_sn_divide", in_types, out_types);
}

MXReturnValue infer_shape(const std::unordered_map<std::string, std::string>& attrs,
                          std::vector<std::vector<unsigned int>>* in_shapes,
                          std::vector<std::vector<unsigned int>>* out_shapes) {
  const std::vector<unsigned int>& w = in_shapes->at(0);
  const std::vector<unsigned int>& u = in_shapes->at(1);
  const std::vector<unsigned int>& v = in_shapes->at(2);
  if (w.size() != 2 || u.size() != 1 || v.size() != 1 || u[0] != w[0] || v[0] != w[1]) {
    MX_ERROR_MSG << "d2gan_sn_divide: takes W (R, K), u (R,) and v (K,), got " << dims(w)
                 << ", " << dims(u) << " and " << dims(v);
    return MX_FAIL;
  }
  out_shapes->at(0) = w;
  return MX_SUCCESS;
}

}  // namespace

REGISTER_OP(d2gan_sn_divide)
.setForward(forward, "cpu")
.setBackward(backward, "cpu")
.setParseAttrs(d2gan::fixed_arity<3, 1>)
.setInferType(infer_type)
.setInferShape(infer_shape);
