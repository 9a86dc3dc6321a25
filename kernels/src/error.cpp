// Implementation of the reporters declared in aisys/kernels/error.hpp.
#include "aisys/kernels/error.hpp"

#include <cstdio>
#include <cstdlib>

namespace aisys {

void report_library_error(std::string_view library, long code, std::string_view message,
                          std::string_view statement, std::string_view function,
                          std::string_view file, int line) {
  std::string text;
  text.append(library).append(" error ").append(std::to_string(code)).append(" (");
  text.append(message).append(") in `").append(statement).append("` at ");
  text.append(function).append(" ").append(file).append(":").append(std::to_string(line));
  throw LibraryError(text);
}

void assertion_failed(std::string_view condition, std::string_view message, std::string_view file,
                      int line) {
  std::fprintf(stderr, "aisys: internal invariant broken: %.*s (%.*s) at %.*s:%d\n",
               static_cast<int>(condition.size()), condition.data(),
               static_cast<int>(message.size()), message.data(), static_cast<int>(file.size()),
               file.data(), line);
  std::abort();
}

}  // namespace aisys
