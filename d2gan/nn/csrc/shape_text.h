// What the operators' shape errors share: a shape as their messages print it, "(2,3,)".
#ifndef D2GAN_NN_CSRC_SHAPE_TEXT_H_
#define D2GAN_NN_CSRC_SHAPE_TEXT_H_

#include <string>
#include <vector>

namespace d2gan {

inline std::string dims(const std::vector<unsigned int>& shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) text += std::to_string(shape[i]) + ",";
  return text + ")";
}

}  // namespace d2gan

#endif  // D2GAN_NN_CSRC_SHAPE_TEXT_H_
