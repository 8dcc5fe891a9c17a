// d2gan_interleave_phases(y; stride = s): the s * s stride phases of a transposed convolution
// computed as one ordinary convolution, interleaved into the output ("depth_to_space"):
// (N, s*s*C, R0, R1) -> (N, C, s*R0, s*R1), output pixel (s i + a, s j + b) of channel c is
// input channel (a s + b) C + c at (i, j). A permutation: the backward is the inverse
// permutation of the output's gradient, exact. One (example, channel) output plane per OpenMP
// thread in both directions. The route it replaces, two transposes (and, in a graph, a copy
// that works around oneDNN's failing transpose backward), makes three passes each way
// (benchmarks/interleave_phases.py). Built by d2gan/nn/native.py with the other operators.
#include <string>
#include <vector>
#include "float_types.h"
#include "shape_text.h"
#include "mxnet/lib_api.h"

using namespace mxnet::ext;

namespace {

using d2gan::data_or_null;
using d2gan::dims;

struct Geometry {
  int64_t n, c, s, r0, r1;
};

Geometry geometry_of(const MXTensor& phases, int64_t s) {
  return {phases.shape[0], phases.shape[1] / (s * s), s, phases.shape[2], phases.shape[3]};
}

// to_output: phases -> interleaved; else the inverse (gradient of the phases)
template <typename T>
void permute(T* phases, T* out, const Geometry& g, bool to_output) {
  const int64_t plane = g.r0 * g.r1, wide = g.s * g.r1;
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < g.n * g.c; ++p) {
    const int64_t n = p / g.c, c = p % g.c;
    T* op = out + p * g.s * g.s * plane;
    for (int64_t a = 0; a < g.s; ++a) {
      for (int64_t b = 0; b < g.s; ++b) {
        T* ip = phases + ((n * g.s * g.s + a * g.s + b) * g.c + c) * plane;
        for (int64_t i = 0; i < g.r0; ++i) {
          T* row = op + (g.s * i + a) * wide + b;
          T* src = ip + i * g.r1;
          if (to_output) {
            for (int64_t j = 0; j < g.r1; ++j) row[g.s * j] = src[j];
          } else {
            for (int64_t j = 0; j < g.r1; ++j) src[j] = row[g.s * j];
          }
        }
      }
    }
  }
}

int64_t stride_of(const std::unordered_map<std::string, std::string>& attrs) {
  return std::stoll(attrs.at("stride"));
}

template <typename T>
void run(MXTensor& phases, T* phase_data, T* out, int64_t s, bool to_output) {
  permute(phase_data, out, geometry_of(phases, s), to_output);
}

// input: the phases (N, s*s*C, R0, R1); output (N, C, s*R0, s*R1)
MXReturnValue forward(const std::unordered_map<std::string, std::string>& attrs,
                      std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                      const OpResource& res) {
  MXTensor& phases = inputs->at(0);
  if (phases.dtype == kFloat32) {
    run(phases, phases.data<float>(), outputs->at(0).data<float>(), stride_of(attrs), true);
  } else {
    run(phases, phases.data<double>(), outputs->at(0).data<double>(), stride_of(attrs), true);
  }
  return MX_SUCCESS;
}

// inputs: the output's gradient, the phases, the output; output: the phases' gradient
MXReturnValue backward(const std::unordered_map<std::string, std::string>& attrs,
                       std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                       const OpResource& res) {
  MXTensor& phases = inputs->at(1);
  if (phases.dtype == kFloat32) {
    float* grad = data_or_null<float>(outputs->at(0));
    if (grad != nullptr) run(phases, grad, inputs->at(0).data<float>(), stride_of(attrs), false);
  } else {
    double* grad = data_or_null<double>(outputs->at(0));
    if (grad != nullptr) {
      run(phases, grad, inputs->at(0).data<double>(), stride_of(attrs), false);
    }
  }
  return MX_SUCCESS;
}

MXReturnValue parse_attrs(const std::unordered_map<std::string, std::string>& attrs,
                          int* num_in, int* num_out) {
  if (attrs.count("stride") == 0 || std::stoll(attrs.at("stride")) < 1) {
    MX_ERROR_MSG << "d2gan_interleave_phases: the attribute stride (>= 1) is required";
    return MX_FAIL;
  }
  *num_in = 1;
  *num_out = 1;
  return MX_SUCCESS;
}

MXReturnValue infer_type(const std::unordered_map<std::string, std::string>& attrs,
                         std::vector<int>* in_types, std::vector<int>* out_types) {
  return d2gan::same_float_type("d2gan_interleave_phases", in_types, out_types);
}

MXReturnValue infer_shape(const std::unordered_map<std::string, std::string>& attrs,
                          std::vector<std::vector<unsigned int>>* in_shapes,
                          std::vector<std::vector<unsigned int>>* out_shapes) {
  const std::vector<unsigned int>& y = in_shapes->at(0);
  const unsigned int s = static_cast<unsigned int>(stride_of(attrs));
  if (y.size() != 4 || y[1] % (s * s) != 0) {
    MX_ERROR_MSG << "d2gan_interleave_phases: takes (N, stride^2 C, R0, R1) with stride "
                 << s << ", got shape " << dims(y);
    return MX_FAIL;
  }
  out_shapes->at(0) = {y[0], y[1] / (s * s), s * y[2], s * y[3]};
  return MX_SUCCESS;
}

}  // namespace

REGISTER_OP(d2gan_interleave_phases)
.setForward(forward, "cpu")
.setBackward(backward, "cpu")
.setParseAttrs(parse_attrs)
.setInferType(infer_type)
.setInferShape(infer_shape);
