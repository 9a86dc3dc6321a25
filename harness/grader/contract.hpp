// The project's own check of the lab contract (DESIGN.md), run as `aisys check` and as a CTest
// test, so CI depends on no file outside the repository. For every labs/NN-slug: lab.json valid;
// every student file in skeleton/ with a TODO(student) marker and, where reference/ exists, in the
// reference too; the handout README has its sections in order; tests/ exists; the reference has
// wrong/ variants, each a change.patch with an expected.json; nothing under labs/ names a solution folder.
#pragma once

#include <string>
#include <vector>

namespace aisys::grader {

// The handout README's sections, in the order DESIGN.md gives.
const std::vector<std::string>& handout_sections();

// One line per problem; empty when the tree keeps the contract.
std::vector<std::string> check_lab_contract(const std::string& source_dir);

}  // namespace aisys::grader
