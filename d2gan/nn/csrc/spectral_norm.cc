// d2gan_spectral_norm(W, mode, u) = W / sigma: a spectrally normalised weight in one operator,
// for a weight W of any shape (R, ...) read as the matrix (R, K) and the stored vector u (R,).
// Forward: one power-iteration step (power_step.h: v = normalize(W^T u), u' = normalize(W v),
// u' stored in u when training, as d2gan_power_iteration does) and sigma = u'^T W v from the
// same row sums, then W / sigma: three passes over W. Backward, with u' and v constants as in
// the paper:
//   dW = G / sigma - (sum(G * W) / sigma^2) u' v^T,
// two passes (the sum, then dW). Outputs: W / sigma (W's shape), v (K,), u' (R,), sigma (1,);
// the last three are what the backward reads, constants for back-propagation. The route it
// replaces -- a reshape of W to (R, K), d2gan_power_iteration, d2gan_sn_divide (which took
// sigma again) and a reshape back -- makes seven passes forward and five backward: the reshapes
// of a graph's input are copies. `mode` is as in d2gan_power_iteration (MXNet's Dropout of a
// one: exactly 1 outside training). Built by d2gan/nn/native.py with the other operators.
#include <algorithm>
#include <string>
#include <vector>
#include "float_types.h"
#include "power_step.h"
#include "registration.h"
#include "shape_text.h"
#include "mxnet/lib_api.h"

using namespace mxnet::ext;

namespace {

using d2gan::data_or_null;
using d2gan::dims;

template <typename T>
void forward_t(const T* w, T* u, const T* mode, T* y, T* v, T* u_next, T* sigma_out,
               int64_t rows, int64_t cols) {
  const double sigma = d2gan::power_step(w, u, mode, v, u_next, rows, cols);
  sigma_out[0] = static_cast<T>(sigma);
  const T inverse = static_cast<T>(1.0 / sigma);
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < rows * cols; ++i) y[i] = w[i] * inverse;
}

template <typename T>
void backward_t(const T* g, const T* w, const T* v, const T* u_next, double sigma, T* dw,
                int64_t rows, int64_t cols) {
  double along = 0;
#pragma omp parallel for schedule(static) reduction(+ : along)
  for (int64_t i = 0; i < rows * cols; ++i) along += static_cast<double>(g[i]) * w[i];
  const double inverse = 1.0 / sigma;
  const T scale = static_cast<T>(inverse), outer = static_cast<T>(along * inverse * inverse);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const T ur = outer * u_next[r];
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

// inputs: W, mode (1,), u (R,) mutable; outputs: W / sigma, v (K,), u' (R,), sigma (1,)
MXReturnValue forward(const d2gan::Attrs& attrs, std::vector<MXTensor>* inputs,
                      std::vector<MXTensor>* outputs, const OpResource& res) {
  MXTensor& w = inputs->at(0);
  const int64_t rows = w.shape[0], cols = w.size() / rows;
  if (w.dtype == kFloat32) {
    forward_t(w.data<float>(), inputs->at(2).data<float>(), inputs->at(1).data<float>(),
              outputs->at(0).data<float>(), outputs->at(1).data<float>(),
              outputs->at(2).data<float>(), outputs->at(3).data<float>(), rows, cols);
  } else {
    forward_t(w.data<double>(), inputs->at(2).data<double>(), inputs->at(1).data<double>(),
              outputs->at(0).data<double>(), outputs->at(1).data<double>(),
              outputs->at(2).data<double>(), outputs->at(3).data<double>(), rows, cols);
  }
  return MX_SUCCESS;
}

// inputs: the four outputs' gradients (only the first is used), W, mode, u, the four outputs;
// outputs: the gradients of W, mode and u (the last two zero)
MXReturnValue backward(const d2gan::Attrs& attrs, std::vector<MXTensor>* inputs,
                       std::vector<MXTensor>* outputs, const OpResource& res) {
  MXTensor& w = inputs->at(4);
  const int64_t rows = w.shape[0], cols = w.size() / rows;
  if (w.dtype == kFloat32) {
    float* dw = data_or_null<float>(outputs->at(0));
    if (dw != nullptr) {
      backward_t(inputs->at(0).data<float>(), w.data<float>(), inputs->at(8).data<float>(),
                 inputs->at(9).data<float>(), inputs->at(10).data<float>()[0], dw, rows, cols);
    }
  } else {
    double* dw = data_or_null<double>(outputs->at(0));
    if (dw != nullptr) {
      backward_t(inputs->at(0).data<double>(), w.data<double>(), inputs->at(8).data<double>(),
                 inputs->at(9).data<double>(), inputs->at(10).data<double>()[0], dw, rows,
                 cols);
    }
  }
  for (size_t i = 1; i < outputs->size(); ++i) {
    if (w.dtype == kFloat32) {
      zero<float>(outputs->at(i));
    } else {
      zero<double>(outputs->at(i));
    }
  }
  return MX_SUCCESS;
}

MXReturnValue infer_type(const d2gan::Attrs& attrs, std::vector<int>* in_types,
                         std::vector<int>* out_types) {
  return d2gan::same_float_type("d2gan_spectral_norm", in_types, out_types);
}

MXReturnValue infer_shape(const d2gan::Attrs& attrs,
                          std::vector<std::vector<unsigned int>>* in_shapes,
                          std::vector<std::vector<unsigned int>>* out_shapes) {
  const std::vector<unsigned int>& w = in_shapes->at(0);
  const std::vector<unsigned int>& mode = in_shapes->at(1);
  const std::vector<unsigned int>& u = in_shapes->at(2);
  unsigned int cols = 1;
  for (size_t i = 1; i < w.size(); ++i) cols *= w[i];
  if (w.size() < 2 || w[0] == 0 || cols == 0) {
    MX_ERROR_MSG << "d2gan_spectral_norm: the weight must be a non-empty array of at least two "
                    "dimensions (out_channels, ...), got " << dims(w);
    return MX_FAIL;
  }
  if (mode.size() != 1 || mode[0] != 1) {
    MX_ERROR_MSG << "d2gan_spectral_norm: the mode input must have shape (1,), got "
                 << dims(mode);
    return MX_FAIL;
  }
  if (u.size() != 1 || u[0] != w[0]) {
    MX_ERROR_MSG << "d2gan_spectral_norm: u needs one value per output channel of the weight ("
                 << w[0] << ",), got " << dims(u);
    return MX_FAIL;
  }
  out_shapes->at(0) = w;
  out_shapes->at(1) = {cols};
  out_shapes->at(2) = {w[0]};
  out_shapes->at(3) = {1};
  return MX_SUCCESS;
}

MXReturnValue mutate_inputs(const d2gan::Attrs& attrs, std::vector<int>* input_indices) {
  input_indices->push_back(2);  // u
  return MX_SUCCESS;
}

}  // namespace

REGISTER_OP(d2gan_spectral_norm)
.setForward(forward, "cpu")
.setBackward(backward, "cpu")
.setParseAttrs(d2gan::fixed_arity<3, 4>)
.setInferType(infer_type)
.setInferShape(infer_shape)
.setMutateInputs(mutate_inputs);
