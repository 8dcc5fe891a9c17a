// The library's entry point: MXNet calls initialize() when mx.library.load opens it. The
// operators are registered by the other files of this folder (REGISTER_OP), all compiled into
// one shared library by d2gan/nn/native.py.
#include "mxnet/lib_api.h"

using namespace mxnet::ext;

MXReturnValue initialize(int version) {
  return version >= 10700 ? MX_SUCCESS : MX_FAIL;  // the custom-operator API of MXNet >= 1.7
}
