// d2gan_adam_update: one Adam step on num_weights parameters at once, MXNet's adam_update
// formula element by element (src/operator/optimizer_op-inl.h, AdamUpdateKernel):
//   g = grad * rescale_grad + weight * wd   (then clipped to +-clip_gradient when >= 0)
//   mean = beta1 mean + (1 - beta1) g,  var = beta2 var + (1 - beta2) g^2
//   out  = weight - lr mean / (sqrt(var) + epsilon)
// Inputs per parameter, in order: weight, grad, mean, var (mean and var mutable, updated in
// place); one output per parameter, its new weight. lr and wd are one number or a tuple with
// one per parameter (lr arrives bias-corrected: mxnet.optimizer.Adam does that in Python). MXNet's
// kernel holds every hyper-parameter as a float, so d2gan.train.adam passes them rounded to
// float32 and float64 arrays get MXNet's numbers too.
// MXNet's kernel runs the same arithmetic unvectorised, one operator per parameter: about 5 ns
// per value on two cores (30 % of a Pix2Pix iteration); this loop about 0.5 ns (its sqrt is
// vectorised because the library is built with -fno-math-errno, d2gan/nn/native.py). All the
// parameters are cut into blocks of kBlock values that the OpenMP threads share, so one call
// is one parallel pass however many (small) parameters it updates; a call with a single block
// stays on the calling thread.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>
#include "float_types.h"
#include "registration.h"
#include "mxnet/lib_api.h"

using namespace mxnet::ext;

namespace {

constexpr int64_t kBlock = 1 << 14;

struct Hyper {
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, rescale_grad = 1, clip_gradient = -1;
  std::vector<double> lr, wd;   // one per parameter
};

double number(const d2gan::Attrs& attrs, const char* name, double fallback) {
  auto found = attrs.find(name);
  return found == attrs.end() ? fallback : std::stod(found->second);
}

// "0.1", "(0.1, 0.2)" or "[0.1, 0.2]": the numbers, or false where the text is not a number
// list of length 1 or `count`
bool numbers(const d2gan::Attrs& attrs, const char* name, double fallback, int64_t count,
             std::vector<double>* out) {
  auto found = attrs.find(name);
  out->clear();
  if (found == attrs.end()) {
    out->assign(count, fallback);
    return true;
  }
  std::string text = found->second;
  for (char& c : text) {
    if (c == '(' || c == ')' || c == '[' || c == ']' || c == ',') c = ' ';
  }
  size_t at = 0;
  while (true) {
    while (at < text.size() && text[at] == ' ') ++at;
    if (at == text.size()) break;
    size_t used = 0;
    try {
      out->push_back(std::stod(text.substr(at), &used));
    } catch (...) {
      return false;
    }
    at += used;
  }
  if (out->size() == 1) out->assign(count, out->front());
  return static_cast<int64_t>(out->size()) == count;
}

int64_t num_weights(const d2gan::Attrs& attrs) { return d2gan::int_attr(attrs, "num_weights", 1); }

bool hyper_of(const d2gan::Attrs& attrs, Hyper* h) {
  const int64_t n = num_weights(attrs);
  h->beta1 = number(attrs, "beta1", h->beta1);
  h->beta2 = number(attrs, "beta2", h->beta2);
  h->epsilon = number(attrs, "epsilon", h->epsilon);
  h->rescale_grad = number(attrs, "rescale_grad", h->rescale_grad);
  h->clip_gradient = number(attrs, "clip_gradient", h->clip_gradient);
  const char* names[] = {"lr", "wd"};
  std::vector<double>* lists[] = {&h->lr, &h->wd};
  for (int k = 0; k < 2; ++k) {
    if (!numbers(attrs, names[k], 0.0, n, lists[k])) {
      MX_ERROR_MSG << "d2gan_adam_update: " << names[k] << " must be one number or " << n
                   << " (num_weights), got '" << attrs.at(names[k]) << "'";
      return false;
    }
  }
  return true;
}

// one parameter's values [begin, end)
template <typename T>
void update(const T* weight, const T* grad, T* mean, T* var, T* out, int64_t begin, int64_t end,
            const Hyper& hp, double lr_value, double wd_value) {
  const T lr = static_cast<T>(lr_value), wd = static_cast<T>(wd_value);
  const T beta1 = static_cast<T>(hp.beta1), beta2 = static_cast<T>(hp.beta2);
  const T epsilon = static_cast<T>(hp.epsilon), rescale = static_cast<T>(hp.rescale_grad);
  const T one_minus_beta1 = 1 - beta1, one_minus_beta2 = 1 - beta2;
  if (hp.clip_gradient >= 0) {
    const T clip = static_cast<T>(hp.clip_gradient);
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) {
      T g = grad[i] * rescale + weight[i] * wd;
      g = g > clip ? clip : (g < -clip ? -clip : g);
      const T m = beta1 * mean[i] + one_minus_beta1 * g;
      const T v = beta2 * var[i] + one_minus_beta2 * g * g;
      mean[i] = m;
      var[i] = v;
      out[i] = weight[i] - lr * m / (std::sqrt(v) + epsilon);
    }
  } else {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) {
      const T g = grad[i] * rescale + weight[i] * wd;
      const T m = beta1 * mean[i] + one_minus_beta1 * g;
      const T v = beta2 * var[i] + one_minus_beta2 * g * g;
      mean[i] = m;
      var[i] = v;
      out[i] = weight[i] - lr * m / (std::sqrt(v) + epsilon);
    }
  }
}

// a run of one parameter's values that one thread updates
struct Block { int64_t param, begin, end; };

template <typename T>
void update_all(std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs, const Hyper& hp) {
  const int64_t params = static_cast<int64_t>(outputs->size());
  std::vector<T*> arrays(5 * params);        // weight, grad, mean, var, out of each parameter
  std::vector<Block> blocks;
  for (int64_t p = 0; p < params; ++p) {
    for (int64_t i = 0; i < 4; ++i) arrays[5 * p + i] = inputs->at(4 * p + i).data<T>();
    arrays[5 * p + 4] = outputs->at(p).data<T>();
    const int64_t size = inputs->at(4 * p).size();
    for (int64_t begin = 0; begin < size; begin += kBlock) {
      blocks.push_back({p, begin, std::min(size, begin + kBlock)});
    }
  }
  const int64_t count = static_cast<int64_t>(blocks.size());
#pragma omp parallel for schedule(static) if (count > 1)
  for (int64_t b = 0; b < count; ++b) {
    const Block& k = blocks[b];
    T* const* a = &arrays[5 * k.param];
    update(a[0], a[1], a[2], a[3], a[4], k.begin, k.end, hp, hp.lr[k.param], hp.wd[k.param]);
  }
}

MXReturnValue forward(const d2gan::Attrs& attrs, std::vector<MXTensor>* inputs,
                      std::vector<MXTensor>* outputs, const OpResource& res) {
  Hyper hp;
  if (!hyper_of(attrs, &hp)) return MX_FAIL;
  if (inputs->at(0).dtype == kFloat32) {
    update_all<float>(inputs, outputs, hp);
  } else {
    update_all<double>(inputs, outputs, hp);
  }
  return MX_SUCCESS;
}

MXReturnValue parse_attrs(const d2gan::Attrs& attrs, int* num_in, int* num_out) {
  const int64_t n = num_weights(attrs);
  if (n < 1) {
    MX_ERROR_MSG << "d2gan_adam_update: num_weights must be >= 1, got " << n;
    return MX_FAIL;
  }
  Hyper hp;
  if (!hyper_of(attrs, &hp)) return MX_FAIL;
  *num_in = static_cast<int>(4 * n);
  *num_out = static_cast<int>(n);
  return MX_SUCCESS;
}

MXReturnValue infer_type(const d2gan::Attrs& attrs, std::vector<int>* in_types,
                         std::vector<int>* out_types) {
  return d2gan::same_float_type("d2gan_adam_update", in_types, out_types);
}

MXReturnValue infer_shape(const d2gan::Attrs& attrs,
                          std::vector<std::vector<unsigned int>>* in_shapes,
                          std::vector<std::vector<unsigned int>>* out_shapes) {
  for (size_t p = 0; p < out_shapes->size(); ++p) {
    const std::vector<unsigned int>& weight = in_shapes->at(4 * p);
    for (size_t i = 1; i < 4; ++i) {
      if (in_shapes->at(4 * p + i) != weight) {
        MX_ERROR_MSG << "d2gan_adam_update: the gradient, mean and var must have the weight's "
                        "shape; input " << 4 * p + i << " (parameter " << p << ") differs";
        return MX_FAIL;
      }
    }
    out_shapes->at(p) = weight;
  }
  return MX_SUCCESS;
}

MXReturnValue mutate_inputs(const d2gan::Attrs& attrs, std::vector<int>* input_indices) {
  for (int64_t p = 0; p < num_weights(attrs); ++p) {
    input_indices->push_back(static_cast<int>(4 * p + 2));  // mean
    input_indices->push_back(static_cast<int>(4 * p + 3));  // var
  }
  return MX_SUCCESS;
}

}  // namespace

REGISTER_OP(d2gan_adam_update)
.setForward(forward, "cpu")
.setParseAttrs(parse_attrs)
.setInferType(infer_type)
.setInferShape(infer_shape)
.setMutateInputs(mutate_inputs);
