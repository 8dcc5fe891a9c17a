// d2gan_phase_split_kernel(w; stride = s): the kernel of one stride-1 convolution that computes
// all s * s output phases of a stride-s transposed convolution with weight w (n_in, n_out, kh, kw).
// Output phase (a, b) meets only the taps (s m + a, s n + b), so it is a stride-1 convolution with
// a flipped sub-kernel of K = ceil(max(kh, kw) / s) taps per axis:
//   out[(a s + b) n_out + o, i, K-1-m, K-1-n] = w[i, o, s m + a, s n + b]
// and zero for the taps past the kernel (k < s K). Output (s*s*n_out, n_in, K, K). Each weight
// element lands in exactly one place, so the backward is the inverse gather, exact. The routes it
// replaces (d2gan/nn/conv_transpose.py: three transposes, padding and a flip, or a product with a
// 0/1 placement matrix and a transpose) make three to five passes each way. Built by
// d2gan/nn/native.py with the other operators.
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

using d2gan::Attrs;

struct Geometry {
  int64_t n_in, n_out, kh, kw, s, taps;
};

Geometry geometry_of(const Attrs& attrs, const MXTensor& weight) {
  const int64_t s = std::stoll(attrs.at("stride"));
  const int64_t kh = weight.shape[2], kw = weight.shape[3];
  return {weight.shape[0], weight.shape[1], kh, kw, s, (std::max(kh, kw) + s - 1) / s};
}

// to_kernel: weight -> phase kernel; else the inverse (the weight's gradient from the kernel's)
template <typename T>
void place(T* weight, T* kernel, const Geometry& g, bool to_kernel) {
  const int64_t k2 = g.taps * g.taps, taps = g.kh * g.kw, pair = g.n_out * g.n_in * k2;
  if (to_kernel && (g.kh < g.s * g.taps || g.kw < g.s * g.taps)) {
    std::fill(kernel, kernel + g.s * g.s * pair, T(0));
  }
  // where tap (p, q) of every (i, o) lands, relative to (o n_in + i) k2: phase (a, b), flipped
  std::vector<int64_t> place_of(taps);
  for (int64_t p = 0; p < g.kh; ++p) {
    for (int64_t q = 0; q < g.kw; ++q) {
      const int64_t a = p % g.s, m = p / g.s, b = q % g.s, n = q / g.s;
      place_of[p * g.kw + q] = (a * g.s + b) * pair + (g.taps - 1 - m) * g.taps + g.taps - 1 - n;
    }
  }
  const int64_t* to = place_of.data();
  // one output channel o per thread, input channels i innermost: every (i, o) reads (or
  // writes) its kh kw taps as one contiguous run of the weight, and each phase's kernel rows
  // of consecutive i are contiguous too
#pragma omp parallel for schedule(static)
  for (int64_t o = 0; o < g.n_out; ++o) {
    for (int64_t i = 0; i < g.n_in; ++i) {
      T* w = weight + (i * g.n_out + o) * taps;
      T* k = kernel + (o * g.n_in + i) * k2;
      if (to_kernel) {
        for (int64_t t = 0; t < taps; ++t) k[to[t]] = w[t];
      } else {
        for (int64_t t = 0; t < taps; ++t) w[t] = k[to[t]];
      }
    }
  }
}

// input: the weight (n_in, n_out, kh, kw); output: the kernel (s*s*n_out, n_in, K, K)
MXReturnValue forward(const Attrs& attrs, std::vector<MXTensor>* inputs,
                      std::vector<MXTensor>* outputs, const OpResource& res) {
  MXTensor& weight = inputs->at(0);
  const Geometry g = geometry_of(attrs, weight);
  if (weight.dtype == kFloat32) {
    place(weight.data<float>(), outputs->at(0).data<float>(), g, true);
  } else {
    place(weight.data<double>(), outputs->at(0).data<double>(), g, true);
  }
  return MX_SUCCESS;
}

// inputs: the kernel's gradient, the weight, the kernel; output: the weight's gradient
MXReturnValue backward(const Attrs& attrs, std::vector<MXTensor>* inputs,
                       std::vector<MXTensor>* outputs, const OpResource& res) {
  MXTensor& weight = inputs->at(1);
  const Geometry g = geometry_of(attrs, weight);
  if (weight.dtype == kFloat32) {
    float* grad = data_or_null<float>(outputs->at(0));
    if (grad != nullptr) place(grad, inputs->at(0).data<float>(), g, false);
  } else {
    double* grad = data_or_null<double>(outputs->at(0));
    if (grad != nullptr) place(grad, inputs->at(0).data<double>(), g, false);
  }
  return MX_SUCCESS;
}

MXReturnValue parse_attrs(const Attrs& attrs, int* num_in, int* num_out) {
  if (!d2gan::stride_given(attrs, "d2gan_phase_split_kernel")) return MX_FAIL;
  *num_in = 1;
  *num_out = 1;
  return MX_SUCCESS;
}

MXReturnValue infer_type(const Attrs& attrs, std::vector<int>* in_types,
                         std::vector<int>* out_types) {
  return d2gan::same_float_type("d2gan_phase_split_kernel", in_types, out_types);
}

MXReturnValue infer_shape(const Attrs& attrs, std::vector<std::vector<unsigned int>>* in_shapes,
                          std::vector<std::vector<unsigned int>>* out_shapes) {
  const std::vector<unsigned int>& w = in_shapes->at(0);
  if (w.size() != 4) {
    MX_ERROR_MSG << "d2gan_phase_split_kernel: takes a weight (n_in, n_out, kh, kw), got shape "
                 << dims(w);
    return MX_FAIL;
  }
  const unsigned int s = static_cast<unsigned int>(std::stoll(attrs.at("stride")));
  const unsigned int taps = (std::max(w[2], w[3]) + s - 1) / s;
  out_shapes->at(0) = {s * s * w[1], w[0], taps, taps};
  return MX_SUCCESS;
}

}  // namespace

REGISTER_OP(d2gan_phase_split_kernel)
.setForward(forward, "cpu")
.setBackward(backward, "cpu")
.setParseAttrs(parse_attrs)
.setInferType(infer_type)
.setInferShape(infer_shape);
