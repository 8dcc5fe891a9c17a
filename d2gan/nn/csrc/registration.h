// What the operators' registrations share: the attribute map, reading an integer attribute,
// the stride attribute of the phase operators, and the ParseAttrs of an operator whose only
// job there is to give its numbers of inputs and outputs.
#ifndef D2GAN_NN_CSRC_REGISTRATION_H_
#define D2GAN_NN_CSRC_REGISTRATION_H_

#include <string>
#include <unordered_map>
#include "mxnet/lib_api.h"

namespace d2gan {

using Attrs = std::unordered_map<std::string, std::string>;

// the integer attribute `name`, or `fallback` where it is not given
inline int64_t int_attr(const Attrs& attrs, const char* name, int64_t fallback) {
  auto found = attrs.find(name);
  return found == attrs.end() ? fallback : std::stoll(found->second);
}

// whether the required attribute `stride` is given and >= 1; else an error naming `op`
inline bool stride_given(const Attrs& attrs, const char* op) {
  if (int_attr(attrs, "stride", 0) >= 1) return true;
  MX_ERROR_MSG << op << ": the attribute stride (>= 1) is required";
  return false;
}

// .setParseAttrs(d2gan::fixed_arity<inputs, outputs>) for an operator with no attribute to check
template <int Inputs, int Outputs>
mxnet::ext::MXReturnValue fixed_arity(const Attrs& attrs, int* num_in, int* num_out) {
  *num_in = Inputs;
  *num_out = Outputs;
  return mxnet::ext::MX_SUCCESS;
}

}  // namespace d2gan

#endif  // D2GAN_NN_CSRC_REGISTRATION_H_
