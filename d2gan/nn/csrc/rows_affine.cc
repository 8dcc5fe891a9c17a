// d2gan_rows_affine: every row r of a 2-D array times its own scale plus its own shift,
// y[r, i] = x[r, i] * scale[r] + shift[r] -- a per-(example, channel) affine map on the rows
// (N C, H W): AdaIN's and AdaILN's styles. The backward is one pass per row that writes the
// input's gradient and sums the scale's and the shift's; MXNet's broadcast operators, the
// route it replaces, back-propagate into the small operands through a generic reduction.
// Built by d2gan/nn/native.py with the other operators of this folder.
#include <string>
#include "mxnet/lib_api.h"

using namespace mxnet::ext;

namespace {

template <typename T>
void forward_rows(const T* x, const T* scale, const T* shift, T* y, int64_t rows, int64_t len) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const T a = scale[r], b = shift[r];
    const T* xr = x + r * len;
    T* yr = y + r * len;
    for (int64_t i = 0; i < len; ++i) yr[i] = xr[i] * a + b;
  }
}

// dx = g * scale; dscale = sum(g * x), dshift = sum(g) per row, accumulated in double, in one
// pass; an output MXNet does not ask for (a null pointer) is skipped
template <typename T>
void backward_rows(const T* g, const T* x, const T* scale, T* dx, T* dscale, T* dshift,
                   int64_t rows, int64_t len) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const T* gr = g + r * len;
    const T* xr = x + r * len;
    double sum_gx = 0, sum_g = 0;
    if (dx != nullptr) {
      const T a = scale[r];
      T* dr = dx + r * len;
#pragma omp simd reduction(+ : sum_gx, sum_g)
      for (int64_t i = 0; i < len; ++i) {
        dr[i] = gr[i] * a;
        sum_gx += static_cast<double>(gr[i]) * xr[i];
        sum_g += gr[i];
      }
    } else {
#pragma omp simd reduction(+ : sum_gx, sum_g)
      for (int64_t i = 0; i < len; ++i) {
        sum_gx += static_cast<double>(gr[i]) * xr[i];
        sum_g += gr[i];
      }
    }
    if (dscale != nullptr) dscale[r] = static_cast<T>(sum_gx);
    if (dshift != nullptr) dshift[r] = static_cast<T>(sum_g);
  }
}

template <typename T>
T* data_or_null(MXTensor& tensor) {
  return tensor.data_ptr == nullptr ? nullptr : tensor.data<T>();
}

MXReturnValue forward(const std::unordered_map<std::string, std::string>& attrs,
                      std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                      const OpResource& res) {
  MXTensor& x = inputs->at(0);
  const int64_t rows = x.shape[0], len = x.shape[1];
  if (x.dtype == kFloat32) {
    forward_rows(x.data<float>(), inputs->at(1).data<float>(), inputs->at(2).data<float>(),
                 outputs->at(0).data<float>(), rows, len);
  } else {
    forward_rows(x.data<double>(), inputs->at(1).data<double>(), inputs->at(2).data<double>(),
                 outputs->at(0).data<double>(), rows, len);
  }
  return MX_SUCCESS;
}

// inputs: the output's gradient, x, scale, shift, the output; outputs: the gradients of x,
// scale and shift
MXReturnValue backward(const std::unordered_map<std::string, std::string>& attrs,
                       std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                       const OpResource& res) {
  MXTensor& x = inputs->at(1);
  const int64_t rows = x.shape[0], len = x.shape[1];
  if (x.dtype == kFloat32) {
    backward_rows(inputs->at(0).data<float>(), x.data<float>(), inputs->at(2).data<float>(),
                  data_or_null<float>(outputs->at(0)), data_or_null<float>(outputs->at(1)),
                  data_or_null<float>(outputs->at(2)), rows, len);
  } else {
    backward_rows(inputs->at(0).data<double>(), x.data<double>(), inputs->at(2).data<double>(),
                  data_or_null<double>(outputs->at(0)), data_or_null<double>(outputs->at(1)),
                  data_or_null<double>(outputs->at(2)), rows, len);
  }
  return MX_SUCCESS;
}

MXReturnValue parse_attrs(const std::unordered_map<std::string, std::string>& attrs,
                          int* num_in, int* num_out) {
  *num_in = 3;
  *num_out = 1;
  return MX_SUCCESS;
}

MXReturnValue infer_type(const std::unordered_map<std::string, std::string>& attrs,
                         std::vector<int>* in_types, std::vector<int>* out_types) {
  const int dtype = in_types->at(0);
  if (dtype != kFloat32 && dtype != kFloat64) {
    MX_ERROR_MSG << "d2gan_rows_affine: float32 or float64 rows, got dtype code " << dtype;
    return MX_FAIL;
  }
  for (int i = 1; i < 3; ++i) {
    if (in_types->at(i) != dtype) {
      MX_ERROR_MSG << "d2gan_rows_affine: scale and shift must have the rows' dtype (code "
                   << dtype << "), got " << in_types->at(i);
      return MX_FAIL;
    }
  }
  out_types->at(0) = dtype;
  return MX_SUCCESS;
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
  for (int i = 1; i < 3; ++i) {
    const std::vector<unsigned int>& v = in_shapes->at(i);
    if (v.size() != 1 || v[0] != x[0]) {
      MX_ERROR_MSG << "d2gan_rows_affine: scale and shift need one value per row (" << x[0]
                   << ",), got " << (i == 1 ? "scale" : "shift") << " with " << v.size()
                   << " dimensions" << (v.size() == 1 ? " of length " + std::to_string(v[0])
                                                      : std::string());
      return MX_FAIL;
    }
  }
  out_shapes->at(0) = x;
  return MX_SUCCESS;
}

}  // namespace

REGISTER_OP(d2gan_rows_affine)
.setForward(forward, "cpu")
.setBackward(backward, "cpu")
.setParseAttrs(parse_attrs)
.setInferType(infer_type)
.setInferShape(infer_shape);
