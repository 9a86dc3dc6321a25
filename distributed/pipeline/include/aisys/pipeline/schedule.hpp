// aisys/pipeline/schedule.hpp: what a pipeline schedule is. A schedule gives every stage (one rank)
// its own list of instructions, executed in order; lab 06 writes the generators (GPipe, 1F1B,
// interleaved 1F1B, ZB-H1), the platform checks, simulates (simulator.hpp) and runs (runtime.hpp)
// them.
//
// Model: p stages (ranks), v chunks per stage (v > 1: interleaved), m micro-batches. The network's
// layers are cut into p v contiguous virtual stages; chunk c of rank r is virtual stage c p + r
// (Megatron's interleaving), so activations flow rank 0, 1, ..., p-1, then back to rank 0's next
// chunk. Instructions (short text form in brackets; ".c" added for chunk c > 0, e.g. "F3.1"):
//   Forward(mb, chunk)         [F3]   run the chunk's layers forward on micro-batch mb
//   Backward(mb, chunk)        [B3]   input and weight gradients at once (= I then W)
//   BackwardInput(mb, chunk)   [I3]   input gradients only (what the previous stage waits for)
//   BackwardWeight(mb, chunk)  [W3]   weight gradients only (zero-bubble schedules delay these)
//   SendActivation(mb, chunk)  [SA3]  send the chunk's output to the next virtual stage
//   RecvActivation(mb, chunk)  [RA3]  receive the chunk's input from the previous virtual stage
//   SendGrad(mb, chunk)        [SG3]  send the gradient of the chunk's input to the previous one
//   RecvGrad(mb, chunk)        [RG3]  receive the gradient of the chunk's output from the next one
//   OptimizerStep              [OPT]  apply the accumulated gradients (once, after every backward)
// Sends are nonblocking (they never stall the stage); a receive waits until its message arrives.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aisys/kernels/error.hpp"

namespace aisys::pipeline {

enum class Op : std::uint8_t {
  kForward,
  kBackward,
  kBackwardInput,
  kBackwardWeight,
  kSendActivation,
  kRecvActivation,
  kSendGrad,
  kRecvGrad,
  kOptimizerStep,
};

const char* op_name(Op op);   // "Forward", "SendGrad", ...
const char* op_code(Op op);   // "F", "SG", ...
bool is_compute(Op op);       // F, B, I, W, OPT
bool is_send(Op op);
bool is_recv(Op op);

struct Instruction {
  Op op = Op::kForward;
  int microbatch = 0;  // ignored for OptimizerStep
  int chunk = 0;
  friend bool operator==(const Instruction&, const Instruction&) = default;
};

// Builders, so generators read like the schedules in the papers.
inline Instruction forward(int mb, int chunk = 0) { return {Op::kForward, mb, chunk}; }
inline Instruction backward(int mb, int chunk = 0) { return {Op::kBackward, mb, chunk}; }
inline Instruction backward_input(int mb, int chunk = 0) { return {Op::kBackwardInput, mb, chunk}; }
inline Instruction backward_weight(int mb, int chunk = 0) { return {Op::kBackwardWeight, mb, chunk}; }
inline Instruction send_activation(int mb, int chunk = 0) { return {Op::kSendActivation, mb, chunk}; }
inline Instruction recv_activation(int mb, int chunk = 0) { return {Op::kRecvActivation, mb, chunk}; }
inline Instruction send_grad(int mb, int chunk = 0) { return {Op::kSendGrad, mb, chunk}; }
inline Instruction recv_grad(int mb, int chunk = 0) { return {Op::kRecvGrad, mb, chunk}; }
inline Instruction optimizer_step() { return {Op::kOptimizerStep, 0, 0}; }

std::string to_string(const Instruction& in);  // "F3", "SG0.1", "OPT"

struct Schedule {
  std::string name;   // "1f1b", shown in errors and plots
  int stages = 1;     // p
  int chunks = 1;     // v
  int microbatches = 1;  // m
  std::vector<std::vector<Instruction>> program;  // program[stage]: that rank's instructions

  int virtual_stages() const { return stages * chunks; }
  // Virtual stage of (rank, chunk), and back.
  int virtual_stage(int rank, int chunk) const { return chunk * stages + rank; }
  std::pair<int, int> rank_chunk(int virtual_stage) const { return {virtual_stage % stages, virtual_stage / stages}; }
};

// An empty schedule of the right shape (program has `stages` empty lists); checks the shape.
Schedule make_schedule(std::string name, int stages, int microbatches, int chunks = 1);

// Appends compute op `op` (F, B, I or W) to stage `rank`'s program together with the
// communication it implies where it is needed: a receive just before it (RecvActivation before a
// Forward of any but the first virtual stage, RecvGrad before a Backward or BackwardInput of any
// but the last) and a send just after it (SendActivation after a Forward of any but the last,
// SendGrad after a Backward or BackwardInput of any but the first). Generators then only decide the
// order of compute.
void append_compute(Schedule& s, int rank, Instruction op);

// One stage's program as text ("RA0 F0 SA0 RG0 B0 SG0 OPT") and back. parse_program throws
// InvalidArgument naming the token.
std::string to_string(const std::vector<Instruction>& program);
std::vector<Instruction> parse_program(std::string_view text);
// The whole schedule, one line per stage: "stage 0: F0 SA0 ...".
std::string to_string(const Schedule& s);

// A schedule the platform refuses: the message names the schedule, the stage, the instruction
// index and what is wrong, e.g.
//   "schedule '1f1b' (p=4, m=8): stage 2, instruction 5 (B0): Backward of micro-batch 0 before its
//    Forward (instruction 9)".
class ScheduleError : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

// The platform's baseline: no pipelining. Each micro-batch goes forward through every virtual
// stage and back before the next one starts (one stage busy at a time: what a model split across
// devices does without micro-batch scheduling). Bubble (p - 1) / p of the time.
Schedule sequential_schedule(int stages, int microbatches, int chunks = 1);

// Layers [first, last) of each of `parts` contiguous pieces, as even as possible (earlier pieces
// get the extra layer). Throws InvalidArgument when layers < parts.
std::vector<std::pair<int, int>> partition_layers(int layers, int parts);

}  // namespace aisys::pipeline
