// d2gan_power_iteration: one step of spectral normalisation's power iteration,
//   v = normalize(W^T u),   u' = normalize(W v),
// for a weight W (R, K) and the stored vector u (R,); outputs v and u'. When the step runs in
// training it also stores u' in u, which is a mutable input (an auxiliary state, like
// BatchNorm's running mean). The library API does not tell an operator whether it runs in
// training, so the third input says it: MXNet's Dropout of a one, which is exactly 1 outside
// training and 0 or 2 in training (d2gan/nn/spectral_norm.py). Both products accumulate in
// double; normalize(x) = x / (|x| + 1e-12), as in the rest of the library. The outputs are
// constants for back-propagation (the backward writes zeros). Replaces a Python CustomOp, whose
// call from a graph costs a trip through Python and an engine thread hand-off (about 0.7 ms)
// in every spectrally normalised layer.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>
#include "float_types.h"
#include "registration.h"
#include "mxnet/lib_api.h"

using namespace mxnet::ext;

namespace {

const double kEpsilon = 1e-12;

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
  const double scale = 1.0 / (std::sqrt(norm) + kEpsilon);
  for (int64_t c = 0; c < cols; ++c) out[c] = static_cast<T>(s[c] * scale);
}

// out = normalize(W v): one dot product per row
template <typename T>
void product(const T* w, const T* v, T* out, int64_t rows, int64_t cols) {
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
  const double scale = 1.0 / (std::sqrt(norm) + kEpsilon);
  for (int64_t r = 0; r < rows; ++r) out[r] = static_cast<T>(sums[r] * scale);
}

template <typename T>
void step(const T* w, T* u, const T* mode, T* v, T* u_next, int64_t rows, int64_t cols) {
  transposed_product(w, u, v, rows, cols);
  product(w, v, u_next, rows, cols);
  if (mode[0] != T(1)) {  // training: keep the new estimate
    for (int64_t r = 0; r < rows; ++r) u[r] = u_next[r];
  }
}

// inputs: W (R, K), mode (1,), u (R,) mutable; outputs: v (K,), u' (R,)
MXReturnValue forward(const std::unordered_map<std::string, std::string>& attrs,
                      std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                      const OpResource& res) {
  MXTensor& w = inputs->at(0);
  const int64_t rows = w.shape[0], cols = w.shape[1];
  if (w.dtype == kFloat32) {
    step(w.data<float>(), inputs->at(2).data<float>(), inputs->at(1).data<float>(),
         outputs->at(0).data<float>(), outputs->at(1).data<float>(), rows, cols);
  } else {
    step(w.data<double>(), inputs->at(2).data<double>(), inputs->at(1).data<double>(),
         outputs->at(0).data<double>(), outputs->at(1).data<double>(), rows, cols);
  }
  return MX_SUCCESS;
}

// v and u' are constants: every input gradient MXNet asks for is zero
MXReturnValue backward(const std::unordered_map<std::string, std::string>& attrs,
                       std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                       const OpResource& res) {
  for (MXTensor& grad : *outputs) {
    if (grad.data_ptr == nullptr) continue;
    const int64_t size = grad.size();
    if (grad.dtype == kFloat32) {
      std::fill(grad.data<float>(), grad.data<float>() + size, 0.0f);
    } else {
      std::fill(grad.data<double>(), grad.data<double>() + size, 0.0);
    }
  }
  return MX_SUCCESS;
}

MXReturnValue infer_type(const std::unordered_map<std::string, std::string>& attrs,
                         std::vector<int>* in_types, std::vector<int>* out_types) {
  return d2gan::same_float_type("d2gan_power_iteration", in_types, out_types);
}

MXReturnValue infer_shape(const std::unordered_map<std::string, std::string>& attrs,
                          std::vector<std::vector<unsigned int>>* in_shapes,
                          std::vector<std::vector<unsigned int>>* out_shapes) {
  const std::vector<unsigned int>& w = in_shapes->at(0);
  const std::vector<unsigned int>& mode = in_shapes->at(1);
  const std::vector<unsigned int>& u = in_shapes->at(2);
  // a deferred weight (dimensions not known yet, which the library API passes as -1 cast to
  // unsigned): nothing to say yet, MXNet asks again once the weight is known
  const unsigned int unknown = static_cast<unsigned int>(-1);
  if (w.empty() || (w.size() == 2 && (w[0] == unknown || w[1] == unknown))) return MX_SUCCESS;
  if (w.size() != 2 || w[0] == 0 || w[1] == 0) {
    MX_ERROR_MSG << "d2gan_power_iteration: the weight must be a non-empty 2-D array "
                    "(out_channels, fan_in), got " << w.size() << " dimensions";
    return MX_FAIL;
  }
  if (mode.size() != 1 || mode[0] != 1) {
    MX_ERROR_MSG << "d2gan_power_iteration: the mode input must have shape (1,)";
    return MX_FAIL;
  }
  if (u.size() != 1 || u[0] != w[0]) {
    MX_ERROR_MSG << "d2gan_power_iteration: u needs one value per row of the weight ("
                 << w[0] << ",), got " << u.size() << " dimensions"
                 << (u.size() == 1 ? " of length " + std::to_string(u[0]) : std::string());
    return MX_FAIL;
  }
  out_shapes->at(0) = {w[1]};
  out_shapes->at(1) = {w[0]};
  return MX_SUCCESS;
}

MXReturnValue mutate_inputs(const std::unordered_map<std::string, std::string>& attrs,
                            std::vector<int>* input_indices) {
  input_indices->push_back(2);  // u
  return MX_SUCCESS;
}

}  // namespace

REGISTER_OP(d2gan_power_iteration)
.setForward(forward, "cpu")
.setBackward(backward, "cpu")
.setParseAttrs(d2gan::fixed_arity<3, 2>)
.setInferType(infer_type)
.setInferShape(infer_shape)
.setMutateInputs(mutate_inputs);
