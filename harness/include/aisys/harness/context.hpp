// aisys/harness/context.hpp: the context block of every results JSON (schema aisys.results/1,
// documented in reports/README.md): host, CPU model and flags, cores, compiler, build type,
// commit, lab.json version and a hash of the lab's include/, baselines and ceilings. Shared by the
// benchmark main and the grader, so grades and results from different releases are never mixed.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace aisys::context {

// Host, CPU, compiler, build type, date, commit of `source_dir` (git, "+dirty" when modified,
// "unknown" outside a repository).
nlohmann::json machine(const std::string& source_dir);

// "fnv1a64:<hex>" over the sorted relative paths and contents of every file under `dir`.
std::string hash_tree(const std::string& dir);

// {"lab", "lab_version", "include_hash"} for a lab folder (labs/NN-slug).
nlohmann::json lab(const std::string& lab_dir);

// The context's "gpu" block for the first usable device: name, cc, sm_count, memory_bytes,
// clock_khz, memory_clock_khz, count (devices visible), driver, runtime; null without a GPU.
nlohmann::json gpu();

// `git -C dir rev-parse --short=12 HEAD` (+ "-dirty"); where dir is no git work tree, the first
// line of dir/COMMIT + " (COMMIT file)"; else "unknown".
std::string git_commit(const std::string& dir);

}  // namespace aisys::context
