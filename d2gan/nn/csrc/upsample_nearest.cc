// d2gan_upsample2x(x; scale = 1): nearest-neighbour up-sampling by 2 of (N, C, H, W) to
// (N, C, 2H, 2W), every input pixel copied to a 2x2 block, times scale (the gradient
// penalty's rule of a 2x2 average pool spreads dy / 4); the backward sums each 2x2 block of
// the output's gradient, times scale. One (example, channel) plane per OpenMP thread in both directions, so the sums
// run in a fixed order (deterministic). MXNet's UpSampling, the operator it replaces, runs
// 3-6x slower forward + backward at the book's sizes (benchmarks/upsample_nearest.py).
// Built by d2gan/nn/native.py with the other operators of this folder.
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
void up(const T* x, T* y, int64_t planes, int64_t h, int64_t w, T scale) {
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < planes; ++p) {
    const T* xp = x + p * h * w;
    T* yp = y + p * 4 * h * w;
    for (int64_t i = 0; i < h; ++i) {
      T* top = yp + 2 * i * 2 * w;
      T* bottom = top + 2 * w;
      const T* row = xp + i * w;
      for (int64_t j = 0; j < w; ++j) {
        top[2 * j] = top[2 * j + 1] = row[j] * scale;
      }
      for (int64_t j = 0; j < 2 * w; ++j) bottom[j] = top[j];
    }
  }
}

template <typename T>
void sum_blocks(const T* g, T* dx, int64_t planes, int64_t h, int64_t w, T scale) {
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < planes; ++p) {
    const T* gp = g + p * 4 * h * w;
    T* dp = dx + p * h * w;
    for (int64_t i = 0; i < h; ++i) {
      const T* top = gp + 2 * i * 2 * w;
      const T* bottom = top + 2 * w;
      T* row = dp + i * w;
#pragma omp simd
      for (int64_t j = 0; j < w; ++j) {
        row[j] = ((top[2 * j] + top[2 * j + 1]) + (bottom[2 * j] + bottom[2 * j + 1])) * scale;
      }
    }
  }
}

double scale_of(const std::unordered_map<std::string, std::string>& attrs) {
  auto found = attrs.find("scale");
  return found == attrs.end() ? 1.0 : std::stod(found->second);
}

// input x (N, C, H, W); output (N, C, 2H, 2W)
MXReturnValue forward(const std::unordered_map<std::string, std::string>& attrs,
                      std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                      const OpResource& res) {
  MXTensor& x = inputs->at(0);
  const int64_t planes = x.shape[0] * x.shape[1], h = x.shape[2], w = x.shape[3];
  if (x.dtype == kFloat32) {
    up(x.data<float>(), outputs->at(0).data<float>(), planes, h, w,
       static_cast<float>(scale_of(attrs)));
  } else {
    up(x.data<double>(), outputs->at(0).data<double>(), planes, h, w, scale_of(attrs));
  }
  return MX_SUCCESS;
}

// inputs: the output's gradient, x, the output; output: the gradient of x
MXReturnValue backward(const std::unordered_map<std::string, std::string>& attrs,
                       std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                       const OpResource& res) {
  MXTensor& x = inputs->at(1);
  const int64_t planes = x.shape[0] * x.shape[1], h = x.shape[2], w = x.shape[3];
  if (x.dtype == kFloat32) {
    float* dx = data_or_null<float>(outputs->at(0));
    if (dx != nullptr) {
      sum_blocks(inputs->at(0).data<float>(), dx, planes, h, w,
                 static_cast<float>(scale_of(attrs)));
    }
  } else {
    double* dx = data_or_null<double>(outputs->at(0));
    if (dx != nullptr) {
      sum_blocks(inputs->at(0).data<double>(), dx, planes, h, w, scale_of(attrs));
    }
  }
  return MX_SUCCESS;
}

MXReturnValue infer_type(const std::unordered_map<std::string, std::string>& attrs,
                         std::vector<int>* in_types, std::vector<int>* out_types) {
  return d2gan::same_float_type("d2gan_upsample2x", in_types, out_types);
}

MXReturnValue infer_shape(const std::unordered_map<std::string, std::string>& attrs,
                          std::vector<std::vector<unsigned int>>* in_shapes,
                          std::vector<std::vector<unsigned int>>* out_shapes) {
  const std::vector<unsigned int>& x = in_shapes->at(0);
  if (x.size() != 4) {
    MX_ERROR_MSG << "d2gan_upsample2x: up-samples (N, C, H, W) feature maps, got shape "
                 << dims(x);
    return MX_FAIL;
  }
  out_shapes->at(0) = {x[0], x[1], 2 * x[2], 2 * x[3]};
  return MX_SUCCESS;
}

}  // namespace

REGISTER_OP(d2gan_upsample2x)
.setForward(forward, "cpu")
.setBackward(backward, "cpu")
.setParseAttrs(d2gan::fixed_arity<1, 1>)
.setInferType(infer_type)
.setInferShape(infer_shape);
