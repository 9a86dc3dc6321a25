// aisys/harness/lab_identity.hpp: which build of a lab a benchmark binary comes from.
//
// aisys_lab_bench() (cmake/AisysLab.cmake) generates one small source per build of a lab (its
// skeleton, its reference, or a grading tree's submission) that defines these two strings. The
// lab's own benchmark sources then compile identically in every build, so a compiler cache reuses
// them between the skeleton and the reference and between grading trees.
#pragma once

namespace aisys::bench {

// "skeleton", "reference" or "submission".
extern const char* const kLabImpl;
// The lab's source folder (labs/NN-slug, or its copy in a grading tree).
extern const char* const kLabSourceDir;

}  // namespace aisys::bench
