// What the operators of this folder share about types: they take float32 or float64 arrays,
// every input of the first input's dtype, and give outputs of that dtype.
#ifndef D2GAN_NN_CSRC_FLOAT_TYPES_H_
#define D2GAN_NN_CSRC_FLOAT_TYPES_H_

#include <vector>
#include "mxnet/lib_api.h"

namespace d2gan {

// the InferType of every operator here; op names the operator in the error message
inline mxnet::ext::MXReturnValue same_float_type(const char* op, std::vector<int>* in_types,
                                                 std::vector<int>* out_types) {
  const int dtype = in_types->at(0);
  if (dtype != mxnet::ext::kFloat32 && dtype != mxnet::ext::kFloat64) {
    MX_ERROR_MSG << op << ": float32 or float64 input, got dtype code " << dtype;
    return mxnet::ext::MX_FAIL;
  }
  for (size_t i = 1; i < in_types->size(); ++i) {
    if (in_types->at(i) != dtype) {
      MX_ERROR_MSG << op << ": every input must have the first input's dtype (code " << dtype
                   << "); input " << i << " has " << in_types->at(i);
      return mxnet::ext::MX_FAIL;
    }
  }
  for (int& type : *out_types) type = dtype;
  return mxnet::ext::MX_SUCCESS;
}

// the data of an output, or null where MXNet does not ask for it (a gradient nobody needs)
template <typename T>
T* data_or_null(mxnet::ext::MXTensor& tensor) {
  return tensor.data_ptr == nullptr ? nullptr : tensor.data<T>();
}

}  // namespace d2gan

#endif  // D2GAN_NN_CSRC_FLOAT_TYPES_H_
