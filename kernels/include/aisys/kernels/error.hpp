// aisys/kernels/error.hpp: the project's error types and its one [[noreturn]] reporter.
//
// Caller errors (bad shapes, bad files, unwritten student code) throw a typed exception whose
// message a student can act on; broken internal invariants abort (AISYS_ASSERT). Library errors
// (CUDA, cuBLAS, cuDNN, NCCL) go through report_library_error() via the check macros in
// aisys/kernels/cuda/check.hpp, which name the statement, function, file, line and the library's
// own error string.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace aisys {

// Base of every error the project throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by every TODO(student) function until it is written:
//   "not implemented: lab 01, sgemm_naive"
// The grader recognises the prefix and reports the part as "not implemented".
class NotImplemented : public Error {
 public:
  NotImplemented(std::string_view lab, std::string_view function)
      : Error("not implemented: lab " + std::string(lab) + ", " + std::string(function)) {}
};

// Wrong arguments from the caller: shapes, leading dimensions, sizes.
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

// A vendor library (CUDA, cuBLAS, cuDNN, NCCL, OpenBLAS, MPI) reported an error.
class LibraryError : public Error {
 public:
  using Error::Error;
};

// Builds "<library> error <code> (<message>) in `<statement>` at <function> <file>:<line>" and
// throws LibraryError. [[noreturn]]: every check macro ends here.
[[noreturn]] void report_library_error(std::string_view library, long code, std::string_view message,
                                       std::string_view statement, std::string_view function,
                                       std::string_view file, int line);

// Broken internal invariant: prints the condition and location and aborts.
[[noreturn]] void assertion_failed(std::string_view condition, std::string_view message,
                                   std::string_view file, int line);

}  // namespace aisys

#define AISYS_ASSERT(cond, msg)                                                \
  do {                                                                         \
    if (!(cond)) ::aisys::assertion_failed(#cond, (msg), __FILE__, __LINE__);  \
  } while (0)
