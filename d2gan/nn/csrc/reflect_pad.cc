// d2gan_reflect_pad: reflection padding of the height and width of an (N, C, H, W) array -- the
// border mirrors the image without repeating its edge (PyTorch's ReflectionPad2d) -- with a
// backward that runs one plane per thread. MXNet's Pad does the same forward, but its backward
// runs on one thread (the OpenMP pragma of its reflect kernel is commented out in MXNet 1.9).
// Attribute pad: "(top, bottom, left, right)", each smaller than the side it pads.
// Built by d2gan/nn/native.py with the other operators of this folder.
#include <cctype>
#include <cstring>
#include <string>
#include "float_types.h"
#include "mxnet/lib_api.h"

using namespace mxnet::ext;

namespace {

struct Pads {
  int64_t top, bottom, left, right;
};

// the four integers of the attribute "pad", written by Python as "(1, 1, 2, 2)"
bool parse_pads(const std::unordered_map<std::string, std::string>& attrs, Pads* pads) {
  auto found = attrs.find("pad");
  if (found == attrs.end()) return false;
  int64_t values[4];
  int count = 0;
  const std::string& text = found->second;
  for (size_t i = 0; i < text.size();) {
    if (std::isdigit(static_cast<unsigned char>(text[i]))) {
      size_t used = 0;
      if (count == 4) return false;
      values[count++] = std::stoll(text.substr(i), &used);
      i += used;
    } else if (text[i] == '-') {
      return false;  // a negative pad
    } else {
      ++i;
    }
  }
  if (count != 4) return false;
  *pads = Pads{values[0], values[1], values[2], values[3]};
  return true;
}

// the index of the input row (column) that output position i - before reads: mirrored at
// both ends without repeating the edge
inline int64_t reflect(int64_t i, int64_t n) {
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}

template <typename T>
void forward_planes(const T* x, T* y, int64_t planes, int64_t h, int64_t w, const Pads& p) {
  const int64_t oh = h + p.top + p.bottom, ow = w + p.left + p.right;
#pragma omp parallel for schedule(static)
  for (int64_t plane = 0; plane < planes; ++plane) {
    for (int64_t oy = 0; oy < oh; ++oy) {
      const T* src = x + (plane * h + reflect(oy - p.top, h)) * w;
      T* dst = y + (plane * oh + oy) * ow;
      for (int64_t k = 0; k < p.left; ++k) dst[k] = src[p.left - k];
      std::memcpy(dst + p.left, src, w * sizeof(T));
      for (int64_t k = 0; k < p.right; ++k) dst[p.left + w + k] = src[w - 2 - k];
    }
  }
}

// every input pixel's gradient: the sum of the output gradients at the positions that copied it
template <typename T>
void backward_planes(const T* g, T* dx, int64_t planes, int64_t h, int64_t w, const Pads& p) {
  const int64_t oh = h + p.top + p.bottom, ow = w + p.left + p.right;
#pragma omp parallel for schedule(static)
  for (int64_t plane = 0; plane < planes; ++plane) {
    T* d = dx + plane * h * w;
    std::memset(d, 0, h * w * sizeof(T));
    for (int64_t oy = 0; oy < oh; ++oy) {
      const T* src = g + (plane * oh + oy) * ow;
      T* dst = d + reflect(oy - p.top, h) * w;
      for (int64_t k = 0; k < w; ++k) dst[k] += src[p.left + k];
      for (int64_t k = 0; k < p.left; ++k) dst[p.left - k] += src[k];
      for (int64_t k = 0; k < p.right; ++k) dst[w - 2 - k] += src[p.left + w + k];
    }
  }
}

MXReturnValue forward(const std::unordered_map<std::string, std::string>& attrs,
                      std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                      const OpResource& res) {
  Pads p;
  parse_pads(attrs, &p);  // checked by infer_shape
  MXTensor& x = inputs->at(0);
  const int64_t planes = x.shape[0] * x.shape[1], h = x.shape[2], w = x.shape[3];
  if (x.dtype == kFloat32) {
    forward_planes(x.data<float>(), outputs->at(0).data<float>(), planes, h, w, p);
  } else {
    forward_planes(x.data<double>(), outputs->at(0).data<double>(), planes, h, w, p);
  }
  return MX_SUCCESS;
}

// inputs: the output's gradient, the input, the output; outputs: the input's gradient
MXReturnValue backward(const std::unordered_map<std::string, std::string>& attrs,
                       std::vector<MXTensor>* inputs, std::vector<MXTensor>* outputs,
                       const OpResource& res) {
  Pads p;
  parse_pads(attrs, &p);
  MXTensor& x = inputs->at(1);
  const int64_t planes = x.shape[0] * x.shape[1], h = x.shape[2], w = x.shape[3];
  if (x.dtype == kFloat32) {
    backward_planes(inputs->at(0).data<float>(), outputs->at(0).data<float>(), planes, h, w, p);
  } else {
    backward_planes(inputs->at(0).data<double>(), outputs->at(0).data<double>(), planes, h, w,
                    p);
  }
  return MX_SUCCESS;
}

MXReturnValue parse_attrs(const std::unordered_map<std::string, std::string>& attrs,
                          int* num_in, int* num_out) {
  Pads p;
  if (!parse_pads(attrs, &p)) {
    MX_ERROR_MSG << "d2gan_reflect_pad: pad must be four non-negative integers (top, bottom, "
                 << "left, right)";
    return MX_FAIL;
  }
  *num_in = 1;
  *num_out = 1;
  return MX_SUCCESS;
}

MXReturnValue infer_type(const std::unordered_map<std::string, std::string>& attrs,
                         std::vector<int>* in_types, std::vector<int>* out_types) {
  return d2gan::same_float_type("d2gan_reflect_pad", in_types, out_types);
}

MXReturnValue infer_shape(const std::unordered_map<std::string, std::string>& attrs,
                          std::vector<std::vector<unsigned int>>* in_shapes,
                          std::vector<std::vector<unsigned int>>* out_shapes) {
  const std::vector<unsigned int>& shape = in_shapes->at(0);
  if (shape.size() != 4) {
    MX_ERROR_MSG << "d2gan_reflect_pad: pads (N, C, H, W) arrays, got " << shape.size()
                 << " dimensions";
    return MX_FAIL;
  }
  Pads p;
  parse_pads(attrs, &p);
  if (p.top >= shape[2] || p.bottom >= shape[2] || p.left >= shape[3] || p.right >= shape[3]) {
    MX_ERROR_MSG << "d2gan_reflect_pad: reflection pads must be smaller than the side they "
                 << "pad: pad (" << p.top << ", " << p.bottom << ", " << p.left << ", "
                 << p.right << ") for height " << shape[2] << " and width " << shape[3];
    return MX_FAIL;
  }
  out_shapes->at(0) = {shape[0], shape[1], static_cast<unsigned int>(shape[2] + p.top + p.bottom),
                       static_cast<unsigned int>(shape[3] + p.left + p.right)};
  return MX_SUCCESS;
}

}  // namespace

REGISTER_OP(d2gan_reflect_pad)
.setForward(forward, "cpu")
.setBackward(backward, "cpu")
.setParseAttrs(parse_attrs)
.setInferType(infer_type)
.setInferShape(infer_shape);
