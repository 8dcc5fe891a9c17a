// d2gan_power_iteration: one step of spectral normalisation's power iteration,
//   v = normalize(W^T u),   u' = normalize(W v),
// for a weight W (R, K) and the stored vector u (R,); outputs v and u'. When the step runs in
// training it also stores u' in u, which is a mutable input (an auxiliary state, like
// BatchNorm's running mean). The library API does not tell an operator whether it runs in
// training, so the third input says it: MXNet's Dropout of a one, which is exactly 1 outside
// training and 0 or 2 in training (d2gan/nn/spectral_norm.py). The step itself is in
// power_step.h (shared with d2gan_spectral_norm). The outputs are constants for
// back-propagation (the backward writes zeros). Replaces a Python CustomOp, whose
// call from a graph costs a trip through Python and an engine thread hand-off (about 0.7 ms)
// in every spectrally normalised layer.
#include <algorithm>
#include <string>
#include <vector>
#include "float_types.h"
#include "power_step.h"
#include "registration.h"
#include "mxnet/lib_api.h"

using namespace mxnet::ext;

namespace {

// inputs: W (R, K), mode (1,), u (R,) mutable; outputs: v (K,), u' (R,)
MXReturnValue forward(const std::unordered_map<std::string, std::string>& attrs,
                      std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                      const OpResource& res) {
  MXTensor& w = inputs->at(0);
  const int64_t rows = w.shape[0], cols = w.shape[1];
  if (w.dtype == kFloat32) {
    d2gan::power_step(w.data<float>(), inputs->at(2).data<float>(), inputs->at(1).data<float>(),
                      outputs->at(0).data<float>(), outputs->at(1).data<float>(), rows, cols);
  } else {
    d2gan::power_step(w.data<double>(), inputs->at(2).data<double>(),
                      inputs->at(1).data<double>(), outputs->at(0).data<double>(),
                      outputs->at(1).data<double>(), rows, cols);
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
