// config.hpp: where this build lives and what it found, for the grader and the CLI. The values
// are defined in a source CMake generates from config.cpp.in (so that a build elsewhere, such as a
// student release, recompiles that one file and nothing that includes this header).
#pragma once

namespace aisys::grader::config {
extern const char* const kSourceDir;
extern const char* const kBinaryDir;
extern const char* const kPlatformDir;
extern const char* const kCMake;
extern const char* const kCTest;
extern const char* const kCMakeVersion;  // the CMake that configured this build
extern const char* const kGenerator;
extern const char* const kMakeProgram;
extern const char* const kBuildType;
extern const char* const kCxxCompiler;
extern const char* const kCxxCompilerId;
extern const char* const kCudaCompiler;
extern const char* const kCudaBinDir;
extern const char* const kCudaArchitectures;
extern const char* const kCudaVersion;
extern const char* const kCudnnVersion;
extern const char* const kNcclVersion;
extern const char* const kOpenBlasVersion;
extern const char* const kPython;
extern const char* const kNm;
extern const char* const kVersion;
extern const char* const kMpiexec;
extern const bool kHaveCuda;
extern const bool kHaveOpenBlas;
}  // namespace aisys::grader::config
