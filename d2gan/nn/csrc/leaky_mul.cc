// Two operators for the gradient penalty's rule of a (scaled) leaky ReLU, with the mask
// m(x) = gain if x > 0 else gain * slope:
// - d2gan_leaky(x) = x * m(x), the activation (gradient g * m(x), as MXNet's LeakyReLU, but
//   exact in float64 where MXNet's kernel rounds the negative branch to float32);
// - d2gan_leaky_mul(a, x) = a * m(x), the activation's input gradient dy * m(x): m is a
//   constant (its derivative is zero wherever it exists), so a gets g * m(x) and x, which
//   the rule passes through BlockGrad, gets zero when MXNet asks for its gradient.
// The route they replace builds m with three scalar operators and multiplies with
// elemwise_mul, whose backward writes two arrays (benchmarks/leaky_mul.py times both).
// Built by d2gan/nn/native.py with the other operators of this folder.
#include <algorithm>
#include <string>
#include <vector>
#include "float_types.h"
#include "shape_text.h"
#include "registration.h"
#include "mxnet/lib_api.h"

using namespace mxnet::ext;

namespace {

using d2gan::dims;

// the attribute's value, or fallback where the attribute is absent
double attr_or(const std::unordered_map<std::string, std::string>& attrs, const char* name,
               double fallback) {
  auto found = attrs.find(name);
  return found == attrs.end() ? fallback : std::stod(found->second);
}

template <typename T>
void masked_product(const T* a, const T* x, T* y, int64_t size, T positive, T negative) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < size; ++i) y[i] = a[i] * (x[i] > T(0) ? positive : negative);
}

template <typename T>
void run(const std::unordered_map<std::string, std::string>& attrs, const T* a, const T* x,
         T* y, T* dx, int64_t size) {
  // the slope arrives rounded to float32 (MXNet's LeakyReLU holds it so); products in T
  const T gain = static_cast<T>(attr_or(attrs, "gain", 1.0));
  const T slope = static_cast<T>(attr_or(attrs, "slope", 0.0));
  masked_product(a, x, y, size, gain, gain * slope);
  if (dx != nullptr) std::fill(dx, dx + size, T(0));
}

// out = a * m(x), and zeros in dx when dx is not null, in a's dtype
void apply(const std::unordered_map<std::string, std::string>& attrs, MXTensor& a,
           MXTensor& x, MXTensor& out, MXTensor* dx) {
  const bool zeros = dx != nullptr && dx->data_ptr != nullptr;
  if (a.dtype == kFloat32) {
    run(attrs, a.data<float>(), x.data<float>(), out.data<float>(),
        zeros ? dx->data<float>() : nullptr, a.size());
  } else {
    run(attrs, a.data<double>(), x.data<double>(), out.data<double>(),
        zeros ? dx->data<double>() : nullptr, a.size());
  }
}

// zeros in a gradient MXNet asks for
void zero(MXTensor& grad) {
  if (grad.data_ptr == nullptr) return;
  if (grad.dtype == kFloat32) {
    std::fill(grad.data<float>(), grad.data<float>() + grad.size(), 0.0f);
  } else {
    std::fill(grad.data<double>(), grad.data<double>() + grad.size(), 0.0);
  }
}

// d2gan_leaky: input x; output y = x * m(x)
MXReturnValue leaky_forward(const std::unordered_map<std::string, std::string>& attrs,
                            std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                            const OpResource& res) {
  apply(attrs, inputs->at(0), inputs->at(0), outputs->at(0), nullptr);
  return MX_SUCCESS;
}

// d2gan_leaky: inputs g, x, y; output dx = g * m(x)
MXReturnValue leaky_backward(const std::unordered_map<std::string, std::string>& attrs,
                             std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                             const OpResource& res) {
  if (outputs->at(0).data_ptr != nullptr) {
    apply(attrs, inputs->at(0), inputs->at(1), outputs->at(0), nullptr);
  }
  return MX_SUCCESS;
}

// d2gan_leaky_mul: inputs a, x; output y = a * m(x)
MXReturnValue forward(const std::unordered_map<std::string, std::string>& attrs,
                      std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                      const OpResource& res) {
  apply(attrs, inputs->at(0), inputs->at(1), outputs->at(0), nullptr);
  return MX_SUCCESS;
}

// d2gan_leaky_mul: inputs the output's gradient g, a, x, y; outputs the gradients of a
// (g * m(x)) and of x (zero)
MXReturnValue backward(const std::unordered_map<std::string, std::string>& attrs,
                       std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                       const OpResource& res) {
  if (outputs->at(0).data_ptr != nullptr) {
    apply(attrs, inputs->at(0), inputs->at(2), outputs->at(0), &outputs->at(1));
  } else {
    zero(outputs->at(1));
  }
  return MX_SUCCESS;
}

MXReturnValue leaky_infer_type(const std::unordered_map<std::string, std::string>& attrs,
                               std::vector<int>* in_types, std::vector<int>* out_types) {
  return d2gan::same_float_type("d2gan_leaky", in_types, out_types);
}

MXReturnValue infer_type(const std::unordered_map<std::string, std::string>& attrs,
                         std::vector<int>* in_types, std::vector<int>* out_types) {
  return d2gan::same_float_type("d2gan_leaky_mul", in_types, out_types);
}

MXReturnValue leaky_infer_shape(const std::unordered_map<std::string, std::string>& attrs,
                                std::vector<std::vector<unsigned int>>* in_shapes,
                                std::vector<std::vector<unsigned int>>* out_shapes) {
  out_shapes->at(0) = in_shapes->at(0);
  return MX_SUCCESS;
}

MXReturnValue infer_shape(const std::unordered_map<std::string, std::string>& attrs,
                          std::vector<std::vector<unsigned int>>* in_shapes,
                          std::vector<std::vector<unsigned int>>* out_shapes) {
  const std::vector<unsigned int>& a = in_shapes->at(0);
  const std::vector<unsigned int>& x = in_shapes->at(1);
  if (a != x) {
    MX_ERROR_MSG << "d2gan_leaky_mul: a and x must have the same shape, got " << dims(a)
                 << " and " << dims(x);
    return MX_FAIL;
  }
  out_shapes->at(0) = a;
  return MX_SUCCESS;
}

}  // namespace

REGISTER_OP(d2gan_leaky)
.setForward(leaky_forward, "cpu")
.setBackward(leaky_backward, "cpu")
.setParseAttrs(d2gan::fixed_arity<1, 1>)
.setInferType(leaky_infer_type)
.setInferShape(leaky_infer_shape);

REGISTER_OP(d2gan_leaky_mul)
.setForward(forward, "cpu")
.setBackward(backward, "cpu")
.setParseAttrs(d2gan::fixed_arity<2, 1>)
.setInferType(infer_type)
.setInferShape(infer_shape);
