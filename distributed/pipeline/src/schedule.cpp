// Instructions, their text form, and the no-pipelining baseline schedule (schedule.hpp).
#include "aisys/pipeline/schedule.hpp"

#include <cctype>
#include <charconv>
#include <sstream>

namespace aisys::pipeline {

namespace {

struct OpInfo {
  Op op;
  const char* name;
  const char* code;
};

constexpr OpInfo kOps[] = {
    {Op::kForward, "Forward", "F"},
    {Op::kBackward, "Backward", "B"},
    {Op::kBackwardInput, "BackwardInput", "I"},
    {Op::kBackwardWeight, "BackwardWeight", "W"},
    {Op::kSendActivation, "SendActivation", "SA"},
    {Op::kRecvActivation, "RecvActivation", "RA"},
    {Op::kSendGrad, "SendGrad", "SG"},
    {Op::kRecvGrad, "RecvGrad", "RG"},
    {Op::kOptimizerStep, "OptimizerStep", "OPT"},
};

const OpInfo& info(Op op) { return kOps[static_cast<int>(op)]; }

}  // namespace

const char* op_name(Op op) { return info(op).name; }
const char* op_code(Op op) { return info(op).code; }
bool is_compute(Op op) {
  return op == Op::kForward || op == Op::kBackward || op == Op::kBackwardInput || op == Op::kBackwardWeight ||
         op == Op::kOptimizerStep;
}
bool is_send(Op op) { return op == Op::kSendActivation || op == Op::kSendGrad; }
bool is_recv(Op op) { return op == Op::kRecvActivation || op == Op::kRecvGrad; }

std::string to_string(const Instruction& in) {
  if (in.op == Op::kOptimizerStep) return "OPT";
  std::string s = op_code(in.op);
  s += std::to_string(in.microbatch);
  if (in.chunk != 0) {
    s += '.';
    s += std::to_string(in.chunk);
  }
  return s;
}

std::string to_string(const std::vector<Instruction>& program) {
  std::string s;
  for (const Instruction& in : program) {
    if (!s.empty()) s += ' ';
    s += to_string(in);
  }
  return s;
}

std::string to_string(const Schedule& s) {
  std::ostringstream out;
  for (std::size_t r = 0; r < s.program.size(); ++r) out << "stage " << r << ": " << to_string(s.program[r]) << "\n";
  return out.str();
}

std::vector<Instruction> parse_program(std::string_view text) {
  std::vector<Instruction> out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    const std::string_view token = text.substr(i, j - i);
    i = j;
    const auto bad = [&](const char* why) {
      throw InvalidArgument("pipeline program: token '" + std::string(token) + "': " + why +
                            " (expected e.g. F3, B3, I3, W3, SA3, RA3, SG3, RG3, F3.1 for chunk 1, or OPT)");
    };
    if (token == "OPT") {
      out.push_back(optimizer_step());
      continue;
    }
    std::size_t k = 0;
    while (k < token.size() && std::isalpha(static_cast<unsigned char>(token[k]))) ++k;
    const std::string_view code = token.substr(0, k);
    const OpInfo* found = nullptr;
    for (const OpInfo& o : kOps) {
      if (o.op != Op::kOptimizerStep && code == o.code) found = &o;
    }
    if (!found) bad("unknown instruction");
    Instruction in{found->op, 0, 0};
    const char* p = token.data() + k;
    const char* end = token.data() + token.size();
    auto r = std::from_chars(p, end, in.microbatch);
    if (r.ec != std::errc() || in.microbatch < 0) bad("expected a micro-batch number");
    p = r.ptr;
    if (p != end) {
      if (*p != '.') bad("expected '.' before the chunk");
      r = std::from_chars(p + 1, end, in.chunk);
      if (r.ec != std::errc() || r.ptr != end || in.chunk < 0) bad("expected a chunk number after '.'");
    }
    out.push_back(in);
  }
  return out;
}

Schedule make_schedule(std::string name, int stages, int microbatches, int chunks) {
  if (stages < 1 || microbatches < 1 || chunks < 1) {
    throw InvalidArgument("pipeline schedule '" + name + "': stages (" + std::to_string(stages) + "), micro-batches (" +
                          std::to_string(microbatches) + ") and chunks (" + std::to_string(chunks) +
                          ") must each be at least 1");
  }
  Schedule s;
  s.name = std::move(name);
  s.stages = stages;
  s.microbatches = microbatches;
  s.chunks = chunks;
  s.program.resize(static_cast<std::size_t>(stages));
  return s;
}

void append_compute(Schedule& s, int rank, Instruction op) {
  if (rank < 0 || rank >= s.stages || static_cast<int>(s.program.size()) != s.stages) {
    throw InvalidArgument("append_compute: stage " + std::to_string(rank) + " outside [0, " + std::to_string(s.stages) + ")");
  }
  if (op.chunk < 0 || op.chunk >= s.chunks) {
    throw InvalidArgument("append_compute: chunk " + std::to_string(op.chunk) + " outside [0, " + std::to_string(s.chunks) + ")");
  }
  auto& prog = s.program[static_cast<std::size_t>(rank)];
  const int vs = s.virtual_stage(rank, op.chunk);
  const bool first = vs == 0, last = vs == s.virtual_stages() - 1;
  switch (op.op) {
    case Op::kForward:
      if (!first) prog.push_back(recv_activation(op.microbatch, op.chunk));
      prog.push_back(op);
      if (!last) prog.push_back(send_activation(op.microbatch, op.chunk));
      break;
    case Op::kBackward:
    case Op::kBackwardInput:
      if (!last) prog.push_back(recv_grad(op.microbatch, op.chunk));
      prog.push_back(op);
      if (!first) prog.push_back(send_grad(op.microbatch, op.chunk));
      break;
    case Op::kBackwardWeight:
      prog.push_back(op);
      break;
    default:
      throw InvalidArgument(std::string("append_compute: ") + op_name(op.op) + " is not F, B, I or W");
  }
}

Schedule sequential_schedule(int stages, int microbatches, int chunks) {
  Schedule s = make_schedule("sequential", stages, microbatches, chunks);
  const int vs_count = s.virtual_stages();
  for (int mb = 0; mb < microbatches; ++mb) {
    for (int vs = 0; vs < vs_count; ++vs) {
      const auto [r, c] = s.rank_chunk(vs);
      append_compute(s, r, forward(mb, c));
    }
    for (int vs = vs_count - 1; vs >= 0; --vs) {
      const auto [r, c] = s.rank_chunk(vs);
      append_compute(s, r, backward(mb, c));
    }
  }
  for (auto& prog : s.program) prog.push_back(optimizer_step());
  return s;
}

std::vector<std::pair<int, int>> partition_layers(int layers, int parts) {
  if (parts < 1 || layers < parts) {
    throw InvalidArgument("pipeline: cannot split " + std::to_string(layers) + " layers into " + std::to_string(parts) +
                          " virtual stages (stages x chunks); each needs at least one layer");
  }
  std::vector<std::pair<int, int>> out;
  int first = 0;
  for (int i = 0; i < parts; ++i) {
    const int n = layers / parts + (i < layers % parts ? 1 : 0);
    out.emplace_back(first, first + n);
    first += n;
  }
  return out;
}

}  // namespace aisys::pipeline
