// d2gan_rows_affine: every row r of a 2-D array times a scale plus a shift,
// y[r, i] = x[r, i] * scale[r % P] + shift[r % P], P the length of scale and shift: P = rows
// gives every row its own pair (AdaIN's and AdaILN's styles on the rows (N C, H W)); P = C
// shares one pair per channel across the examples (an affine instance norm's gamma, beta).
// The backward is one pass per row that writes the input's gradient and sums the scale's and
// the shift's (then, for P < rows, adds the rows of each channel); MXNet's broadcast
// operators, the route it replaces, back-propagate into the small operands through a generic
// reduction. Built by d2gan/nn/native.py with the other operators of this folder.
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

template <typename T>
void forward_rows(const T* x, const T* scale, const T* shift, T* y, int64_t rows, int64_t len,
                  int64_t period) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const T a = scale[r % period], b = shift[r % period];
    const T* xr = x + r * len;
    T* yr = y + r * len;
#pragma omp simd
    for (int64_t i = 0; i < len; ++i) yr[i] = xr[i] * a + b;
  }
}

// per row: dx = g * scale (skipped when dx is null), sum(g * x) and sum(g) in double
template <typename T>
void row_sums(const T* gr, const T* xr, T a, T* dr, int64_t len, double* sum_gx,
              double* sum_g) {
  double gx = 0, g = 0;
  if (dr != nullptr) {
#pragma omp simd reduction(+ : gx, g)
    for (int64_t i = 0; i < len; ++i) {
      dr[i] = gr[i] * a;
      gx += static_cast<double>(gr[i]) * xr[i];
      g += gr[i];
    }
  } else {
#pragma omp simd reduction(+ : gx, g)
    for (int64_t i = 0; i < len; ++i) {
      gx += static_cast<double>(gr[i]) * xr[i];
      g += gr[i];
    }
  }
  *sum_gx = gx;
  *sum_g = g;
}

// dx = g * scale; dscale = sum(g * x), dshift = sum(g) over the rows of each pair, accumulated
// in double; an output MXNet does not ask for (a null pointer) is skipped
template <typename T>
void backward_rows(const T* g, const T* x, const T* scale, T* dx, T* dscale, T* dshift,
                   int64_t rows, int64_t len, int64_t period) {
  std::vector<double> sums(2 * rows);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    row_sums(g + r * len, x + r * len, scale[r % period], dx == nullptr ? nullptr : dx + r * len,
             len, &sums[2 * r], &sums[2 * r + 1]);
  }
  for (int64_t p = 0; p < period; ++p) {
    double gx = 0, g1 = 0;
    for (int64_t r = p; r < rows; r += period) {
      gx += sums[2 * r];
      g1 += sums[2 * r + 1];
    }
    if (dscale != nullptr) dscale[p] = static_cast<T>(gx);
    if (dshift != nullptr) dshift[p] = static_cast<T>(g1);
  }
}

MXReturnValue forward(const std::unordered_map<std::string, std::string>& attrs,
                      std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                      const OpResource& res) {
  MXTensor& x = inputs->at(0);
  const int64_t rows = x.shape[0], len = x.shape[1], period = inputs->at(1).shape[0];
  if (x.dtype == kFloat32) {
    forward_rows(x.data<float>(), inputs->at(1).data<float>(), inputs->at(2).data<float>(),
                 outputs->at(0).data<float>(), rows, len, period);
  } else {
    forward_rows(x.data<double>(), inputs->at(1).data<double>(), inputs->at(2).data<double>(),
                 outputs->at(0).data<double>(), rows, len, period);
  }
  return MX_SUCCESS;
}

// inputs: the output's gradient, x, scale, shift, the output; outputs: the gradients of x,
// scale and shift
MXReturnValue backward(const std::unordered_map<std::string, std::string>& attrs,
                       std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                       const OpResource& res) {
  MXTensor& x = inputs->at(1);
  const int64_t rows = x.shape[0], len = x.shape[1], period = inputs->at(2).shape[0];
  if (x.dtype == kFloat32) {
    backward_rows(inputs->at(0).data<float>(), x.data<float>(), inputs->at(2).data<float>(),
                  data_or_null<float>(outputs->at(0)), data_or_null<float>(outputs->at(1)),
                  data_or_null<float>(outputs->at(2)), rows, len, period);
  } else {
    backward_rows(inputs->at(0).data<double>(), x.data<double>(), inputs->at(2).data<double>(),
                  data_or_null<double>(outputs->at(0)), data_or_null<double>(outputs->at(1)),
                  data_or_null<double>(outputs->at(2)), rows, len, period);
  }
  return MX_SUCCESS;
}

MXReturnValue infer_type(const std::unordered_map<std::string, std::string>& attrs,
                         std::vector<int>* in_types, std::vector<int>* out_types) {
  return d2gan::same_float_type("d2gan_rows_affine", in_types, out_types);
}

MXReturnValue infer_shape(const std::unordered_map<std::string, std::string>& attrs,
                          std::vector<std::vector<unsigned int>>* in_shapes,
                          std::vector<std::vector<unsigned int>>* out_shapes) {
  const std::vector<unsigned int>& x = in_shapes->at(0);
  if (x.size() != 2) {
    MX_ERROR_MSG << "d2gan_rows_affine: maps the rows of a 2-D array, got " << x.size()
                 << " dimensions";
    return MX_FAIL;
  }
  const std::vector<unsigned int>& scale = in_shapes->at(1);
  const std::vector<unsigned int>& shift = in_shapes->at(2);
  if (scale.size() != 1 || shift.size() != 1 || scale[0] != shift[0] || scale[0] == 0 ||
      x[0] % scale[0] != 0) {
    MX_ERROR_MSG << "d2gan_rows_affine: scale and shift need one value per row (" << x[0]
                 << ",) or one per channel (a length that divides " << x[0]
                 << "), the same length for both; got " << dims(scale) << " and "
                 << dims(shift);
    return MX_FAIL;
  }
  out_shapes->at(0) = x;
  return MX_SUCCESS;
}

}  // namespace

REGISTER_OP(d2gan_rows_affine)
.setForward(forward, "cpu")
.setBackward(backward, "cpu")
.setParseAttrs(d2gan::fixed_arity<3, 1>)
.setInferType(infer_type)
.setInferShape(infer_shape);
