// d2gan_adam_update: one Adam step on one parameter, MXNet's adam_update formula element by
// element (src/operator/optimizer_op-inl.h, AdamUpdateKernel), in one vectorised pass split
// over the OpenMP threads:
//   g = grad * rescale_grad + weight * wd   (then clipped to +-clip_gradient when >= 0)
//   mean = beta1 mean + (1 - beta1) g,  var = beta2 var + (1 - beta2) g^2
//   out  = weight - lr mean / (sqrt(var) + epsilon)
// mean and var are mutable inputs (updated in place); the output is the new weight. lr arrives
// bias-corrected (mxnet.optimizer.Adam does that in Python); MXNet's kernel holds every
// hyper-parameter as a float, so d2gan.train.adam passes them rounded to float32 and float64
// arrays get MXNet's numbers too. MXNet's kernel runs the same arithmetic unvectorised: about
// 5 ns per parameter on two cores (30 % of a Pix2Pix iteration); this loop about 0.5 ns. (The loop's sqrt is vectorised because the library is
// built with -fno-math-errno, d2gan/nn/native.py.)
#include <cmath>
#include <string>
#include "float_types.h"
#include "registration.h"
#include "mxnet/lib_api.h"

using namespace mxnet::ext;

namespace {

struct Hyper {
  double lr = 0, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, wd = 0, rescale_grad = 1,
         clip_gradient = -1;
};

double number(const std::unordered_map<std::string, std::string>& attrs, const char* name,
              double fallback) {
  auto found = attrs.find(name);
  return found == attrs.end() ? fallback : std::stod(found->second);
}

Hyper hyper_of(const std::unordered_map<std::string, std::string>& attrs) {
  Hyper h;
  h.lr = number(attrs, "lr", h.lr);
  h.beta1 = number(attrs, "beta1", h.beta1);
  h.beta2 = number(attrs, "beta2", h.beta2);
  h.epsilon = number(attrs, "epsilon", h.epsilon);
  h.wd = number(attrs, "wd", h.wd);
  h.rescale_grad = number(attrs, "rescale_grad", h.rescale_grad);
  h.clip_gradient = number(attrs, "clip_gradient", h.clip_gradient);
  return h;
}

template <typename T>
void update(const T* weight, const T* grad, T* mean, T* var, T* out, int64_t size,
            const Hyper& hp) {
  const T lr = static_cast<T>(hp.lr), beta1 = static_cast<T>(hp.beta1);
  const T beta2 = static_cast<T>(hp.beta2), epsilon = static_cast<T>(hp.epsilon);
  const T wd = static_cast<T>(hp.wd), rescale = static_cast<T>(hp.rescale_grad);
  const T one_minus_beta1 = 1 - beta1, one_minus_beta2 = 1 - beta2;
  if (hp.clip_gradient >= 0) {
    const T clip = static_cast<T>(hp.clip_gradient);
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < size; ++i) {
      T g = grad[i] * rescale + weight[i] * wd;
      g = g > clip ? clip : (g < -clip ? -clip : g);
      const T m = beta1 * mean[i] + one_minus_beta1 * g;
      const T v = beta2 * var[i] + one_minus_beta2 * g * g;
      mean[i] = m;
      var[i] = v;
      out[i] = weight[i] - lr * m / (std::sqrt(v) + epsilon);
    }
  } else {
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < size; ++i) {
      const T g = grad[i] * rescale + weight[i] * wd;
      const T m = beta1 * mean[i] + one_minus_beta1 * g;
      const T v = beta2 * var[i] + one_minus_beta2 * g * g;
      mean[i] = m;
      var[i] = v;
      out[i] = weight[i] - lr * m / (std::sqrt(v) + epsilon);
    }
  }
}

// inputs: weight, grad, mean (mutable), var (mutable); output: the new weight
MXReturnValue forward(const std::unordered_map<std::string, std::string>& attrs,
                      std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                      const OpResource& res) {
  const Hyper hp = hyper_of(attrs);
  const int64_t size = inputs->at(0).size();
  if (inputs->at(0).dtype == kFloat32) {
    update(inputs->at(0).data<float>(), inputs->at(1).data<float>(),
           inputs->at(2).data<float>(), inputs->at(3).data<float>(),
           outputs->at(0).data<float>(), size, hp);
  } else {
    update(inputs->at(0).data<double>(), inputs->at(1).data<double>(),
           inputs->at(2).data<double>(), inputs->at(3).data<double>(),
           outputs->at(0).data<double>(), size, hp);
  }
  return MX_SUCCESS;
}

MXReturnValue infer_type(const std::unordered_map<std::string, std::string>& attrs,
                         std::vector<int>* in_types, std::vector<int>* out_types) {
  return d2gan::same_float_type("d2gan_adam_update", in_types, out_types);
}

MXReturnValue infer_shape(const std::unordered_map<std::string, std::string>& attrs,
                          std::vector<std::vector<unsigned int>>* in_shapes,
                          std::vector<std::vector<unsigned int>>* out_shapes) {
  const std::vector<unsigned int>& weight = in_shapes->at(0);
  for (int i = 1; i < 4; ++i) {
    if (in_shapes->at(i) != weight) {
      MX_ERROR_MSG << "d2gan_adam_update: the gradient, mean and var must have the weight's "
                      "shape; input " << i << " differs";
      return MX_FAIL;
    }
  }
  out_shapes->at(0) = weight;
  return MX_SUCCESS;
}

MXReturnValue mutate_inputs(const std::unordered_map<std::string, std::string>& attrs,
                            std::vector<int>* input_indices) {
  input_indices->push_back(2);  // mean
  input_indices->push_back(3);  // var
  return MX_SUCCESS;
}

}  // namespace

REGISTER_OP(d2gan_adam_update)
.setForward(forward, "cpu")
.setParseAttrs(d2gan::fixed_arity<4, 1>)
.setInferType(infer_type)
.setInferShape(infer_shape)
.setMutateInputs(mutate_inputs);
