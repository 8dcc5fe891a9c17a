// d2gan_interleave_phases(y; stride = s, top = 0, left = 0, bottom = 0, right = 0): the s * s
// stride phases of a transposed convolution computed as one ordinary convolution, interleaved
// into the output ("depth_to_space"): (N, s*s*C, R0, R1) -> (N, C, s*R0, s*R1), output pixel
// (s i + a, s j + b) of channel c is input channel (a s + b) C + c at (i, j). top / left /
// bottom / right rows and columns are cut from the interleaved grid's edges (a negative bottom
// or right appends zero rows or columns instead): the crop that follows a transposed
// convolution, and the penalty's crop and zero rows, in the same pass. A
// permutation: the backward is the inverse permutation of the output's gradient (zero for the
// phase pixels outside the window), exact. One (example, channel) output plane per OpenMP thread
// in both directions. The route it replaces, two transposes (and, in a graph, a copy that works
// around oneDNN's failing transpose backward) and a slice, makes three or four passes each way
// (benchmarks/interleave_phases.py). Built by d2gan/nn/native.py with the other operators.
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
using d2gan::int_attr;

struct Geometry {
  int64_t n, c, s, r0, r1;            // the phases: (n, s*s*c, r0, r1)
  int64_t top, left, height, width;   // the part of the (s r0, s r1) grid that is output
};

Geometry geometry_of(const Attrs& attrs, int64_t n, int64_t channels, int64_t r0, int64_t r1) {
  const int64_t s = std::stoll(attrs.at("stride"));
  const int64_t top = int_attr(attrs, "top", 0), left = int_attr(attrs, "left", 0);
  return {n, channels / (s * s), s, r0, r1, top, left,
          s * r0 - top - int_attr(attrs, "bottom", 0), s * r1 - left - int_attr(attrs, "right", 0)};
}

// the phase columns j whose output column s j + b - left lies in [0, width): [first, last)
void column_range(const Geometry& g, int64_t b, int64_t* first, int64_t* last) {
  int64_t j = 0;
  while (j < g.r1 && g.s * j + b - g.left < 0) ++j;
  *first = j;
  while (j < g.r1 && g.s * j + b - g.left < g.width) ++j;
  *last = j;
}

// to_output: phases -> window of the interleaved grid; else the inverse (the phases' gradient)
template <typename T>
void permute(T* phases, T* out, const Geometry& g, bool to_output) {
  const int64_t plane = g.r0 * g.r1, window = g.height * g.width;
  const bool uncovered = g.top + g.height > g.s * g.r0 || g.left + g.width > g.s * g.r1;
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < g.n * g.c; ++p) {
    const int64_t n = p / g.c, c = p % g.c;
    T* op = out + p * window;
    if (to_output && uncovered) std::fill(op, op + window, T(0));
    for (int64_t a = 0; a < g.s; ++a) {
      for (int64_t b = 0; b < g.s; ++b) {
        T* ip = phases + ((n * g.s * g.s + a * g.s + b) * g.c + c) * plane;
        int64_t first, last;
        column_range(g, b, &first, &last);
        for (int64_t i = 0; i < g.r0; ++i) {
          const int64_t row_index = g.s * i + a - g.top;
          T* src = ip + i * g.r1;
          if (row_index < 0 || row_index >= g.height) {
            if (!to_output) std::fill(src, src + g.r1, T(0));
            continue;
          }
          T* row = op + row_index * g.width;
          const int64_t shift = b - g.left;
          if (to_output) {
            for (int64_t j = first; j < last; ++j) row[g.s * j + shift] = src[j];
          } else {
            std::fill(src, src + first, T(0));
            for (int64_t j = first; j < last; ++j) src[j] = row[g.s * j + shift];
            std::fill(src + last, src + g.r1, T(0));
          }
        }
      }
    }
  }
}

template <typename T>
void run(const Attrs& attrs, MXTensor& phases, T* phase_data, T* out, bool to_output) {
  permute(phase_data, out, geometry_of(attrs, phases.shape[0], phases.shape[1], phases.shape[2],
                                       phases.shape[3]), to_output);
}

// input: the phases (N, s*s*C, R0, R1); output (N, C, s*R0 - top - bottom, s*R1 - left - right)
MXReturnValue forward(const Attrs& attrs, std::vector<MXTensor>* inputs,
                      std::vector<MXTensor>* outputs, const OpResource& res) {
  MXTensor& phases = inputs->at(0);
  if (phases.dtype == kFloat32) {
    run(attrs, phases, phases.data<float>(), outputs->at(0).data<float>(), true);
  } else {
    run(attrs, phases, phases.data<double>(), outputs->at(0).data<double>(), true);
  }
  return MX_SUCCESS;
}

// inputs: the output's gradient, the phases, the output; output: the phases' gradient
MXReturnValue backward(const Attrs& attrs, std::vector<MXTensor>* inputs,
                       std::vector<MXTensor>* outputs, const OpResource& res) {
  MXTensor& phases = inputs->at(1);
  if (phases.dtype == kFloat32) {
    float* grad = data_or_null<float>(outputs->at(0));
    if (grad != nullptr) run(attrs, phases, grad, inputs->at(0).data<float>(), false);
  } else {
    double* grad = data_or_null<double>(outputs->at(0));
    if (grad != nullptr) run(attrs, phases, grad, inputs->at(0).data<double>(), false);
  }
  return MX_SUCCESS;
}

MXReturnValue parse_attrs(const Attrs& attrs, int* num_in, int* num_out) {
  if (!d2gan::stride_given(attrs, "d2gan_interleave_phases")) return MX_FAIL;
  if (int_attr(attrs, "top", 0) < 0 || int_attr(attrs, "left", 0) < 0) {
    MX_ERROR_MSG << "d2gan_interleave_phases: top and left must be >= 0 (bottom and right "
                    "may be negative: zero rows and columns)";
    return MX_FAIL;
  }
  *num_in = 1;
  *num_out = 1;
  return MX_SUCCESS;
}

MXReturnValue infer_type(const Attrs& attrs, std::vector<int>* in_types,
                         std::vector<int>* out_types) {
  return d2gan::same_float_type("d2gan_interleave_phases", in_types, out_types);
}

MXReturnValue infer_shape(const Attrs& attrs, std::vector<std::vector<unsigned int>>* in_shapes,
                          std::vector<std::vector<unsigned int>>* out_shapes) {
  const std::vector<unsigned int>& y = in_shapes->at(0);
  const int64_t s = std::stoll(attrs.at("stride"));
  if (y.size() != 4 || y[1] % (s * s) != 0) {
    MX_ERROR_MSG << "d2gan_interleave_phases: takes (N, stride^2 C, R0, R1) with stride "
                 << s << ", got shape " << dims(y);
    return MX_FAIL;
  }
  const Geometry g = geometry_of(attrs, y[0], y[1], y[2], y[3]);
  if (g.height < 1 || g.width < 1) {
    MX_ERROR_MSG << "d2gan_interleave_phases: cutting (top, left, bottom, right) = ("
                 << g.top << ", " << g.left << ", " << int_attr(attrs, "bottom", 0) << ", "
                 << int_attr(attrs, "right", 0) << ") from the interleaved grid of " << s * y[2]
                 << " x " << s * y[3] << " leaves nothing";
    return MX_FAIL;
  }
  out_shapes->at(0) = {y[0], static_cast<unsigned int>(g.c),
                       static_cast<unsigned int>(g.height), static_cast<unsigned int>(g.width)};
  return MX_SUCCESS;
}

}  // namespace

REGISTER_OP(d2gan_interleave_phases)
.setForward(forward, "cpu")
.setBackward(backward, "cpu")
.setParseAttrs(parse_attrs)
.setInferType(infer_type)
.setInferShape(infer_shape);
