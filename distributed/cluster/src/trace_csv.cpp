// trace_csv.cpp: the Trace helpers, TraceBuilder, and the project's CSV trace format (reading with
// "FILE:LINE: what is wrong" errors, writing with round-trip precision, atomic saving).
#include <unistd.h>  // getpid: a per-process name for the temporary file of save_trace_csv

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "aisys/cluster/trace.hpp"
#include "aisys/kernels/error.hpp"
#include "text.hpp"

namespace aisys::cluster {
namespace {

using text::is_blank;
using text::is_comment_or_blank;
using text::parse_double;
using text::single_quoted;
using text::trim;

// The columns of the project's format, in order; the last one (gpu_util) is optional.
constexpr std::array<std::string_view, 7> kColumns = {"job_id", "submit_s",   "user",    "vc",
                                                      "gpus",   "duration_s", "gpu_util"};
constexpr std::size_t kRequiredColumnCount = 6;
constexpr std::string_view kHeaderText = "job_id,submit_s,user,vc,gpus,duration_s[,gpu_util]";
constexpr std::string_view kUtf8ByteOrderMark = "\xEF\xBB\xBF";

// The fields of one line, split at every comma (the format has no quoting) and trimmed.
std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  while (true) {
    const std::size_t comma = line.find(',');
    fields.push_back(trim(line.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  return fields;
}

// An int spelled by the whole field, or nothing.
std::optional<int> parse_int(std::string_view field) {
  int value = 0;
  const char* const end = field.data() + field.size();
  const auto [stop, error] = std::from_chars(field.data(), end, value);
  if (error != std::errc() || stop != end) return std::nullopt;
  return value;
}

// The shortest text that reads back as the same double.
std::string format_double(double value) {
  std::array<char, 64> buffer{};
  const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  AISYS_ASSERT(error == std::errc(), "a double always fits in 64 characters");
  return std::string(buffer.data(), end);
}

[[noreturn]] void fail_at(const std::string& source, int line_number, const std::string& message) {
  throw InvalidArgument(source + ":" + std::to_string(line_number) + ": " + message);
}

// Reads lines, counting them, dropping a trailing '\r' (CRLF files) and a leading byte-order mark.
class LineReader {
 public:
  explicit LineReader(std::istream& in) : in_(in) {}

  bool next(std::string& line) {
    if (!std::getline(in_, line)) return false;
    ++line_number_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_number_ == 1 && std::string_view(line).substr(0, 3) == kUtf8ByteOrderMark) {
      line.erase(0, kUtf8ByteOrderMark.size());
    }
    return true;
  }
  int line_number() const { return line_number_; }

 private:
  std::istream& in_;
  int line_number_ = 0;
};

// How many columns the header line declares (6 or 7), or 0 when it is not the header.
std::size_t header_column_count(std::string_view line) {
  const std::vector<std::string_view> fields = split_fields(line);
  if (fields.size() != kRequiredColumnCount && fields.size() != kColumns.size()) return 0;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i] != kColumns[i]) return 0;
  }
  return fields.size();
}

// Why a name cannot be written to the CSV format so that it reads back the same, or nothing.
std::optional<std::string> unwritable_name_reason(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.find_first_of(",\r\n") != std::string_view::npos) {
    return "contains a comma or a line break";
  }
  if (is_blank(name.front()) || is_blank(name.back())) return "starts or ends with a space";
  return std::nullopt;
}

void check_writable_name(std::string_view what, std::string_view name) {
  if (const auto reason = unwritable_name_reason(name)) {
    throw InvalidArgument("write_trace_csv: " + std::string(what) + " " + single_quoted(name) +
                          " " + *reason + ": it cannot be written to the CSV trace format");
  }
}

// Line breaks in a free-form text would end a comment line early.
std::string single_line(std::string text) {
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return text;
}

}  // namespace

int Trace::max_gpus() const {
  int most = 0;
  for (const Job& job : jobs) most = std::max(most, job.gpus);
  return most;
}

double Trace::total_gpu_seconds() const {
  double total = 0;
  for (const Job& job : jobs) total += static_cast<double>(job.gpus) * job.duration_s;
  return total;
}

void TraceBuilder::add(std::string name, double submit_s, const std::string& user,
                       const std::string& vc, int gpus, double duration_s, double gpu_util) {
  const std::string job = "TraceBuilder: job " + single_quoted(name) + ": ";
  if (!(std::isfinite(submit_s) && submit_s >= 0)) {
    throw InvalidArgument(job + "submit_s must be a finite number >= 0, got " +
                          format_double(submit_s));
  }
  if (gpus < 1) throw InvalidArgument(job + "gpus must be >= 1, got " + std::to_string(gpus));
  if (!(std::isfinite(duration_s) && duration_s > 0)) {
    throw InvalidArgument(job + "duration_s must be a finite number > 0, got " +
                          format_double(duration_s));
  }
  if (!(gpu_util > 0 && gpu_util <= 1)) {
    throw InvalidArgument(job + "gpu_util must be in (0, 1], got " + format_double(gpu_util));
  }
  Row row;
  row.job.name = std::move(name);
  row.job.submit_s = submit_s;
  row.job.gpus = gpus;
  row.job.duration_s = duration_s;
  row.job.gpu_util = gpu_util;
  row.user = user;
  row.vc = vc;
  rows_.push_back(std::move(row));
}

Trace TraceBuilder::build(std::string source) && {
  std::stable_sort(rows_.begin(), rows_.end(),
                   [](const Row& a, const Row& b) { return a.job.submit_s < b.job.submit_s; });
  Trace trace;
  trace.source = std::move(source);
  trace.jobs.reserve(rows_.size());
  std::unordered_map<std::string, int> user_index;
  std::unordered_map<std::string, int> vc_index;
  const auto intern = [](std::unordered_map<std::string, int>& index,
                         std::vector<std::string>& names, std::string& name) {
    const auto [position, inserted] = index.try_emplace(name, static_cast<int>(names.size()));
    if (inserted) names.push_back(std::move(name));
    return position->second;
  };
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    Row& row = rows_[i];
    Job job = std::move(row.job);
    job.id = static_cast<JobId>(i);
    job.user = intern(user_index, trace.users, row.user);
    job.vc = intern(vc_index, trace.vcs, row.vc);
    trace.jobs.push_back(std::move(job));
  }
  rows_.clear();
  return trace;
}

Trace parse_trace_csv(std::istream& in, const std::string& source_name) {
  LineReader reader(in);
  std::string line;
  std::size_t column_count = 0;
  while (reader.next(line)) {
    if (is_comment_or_blank(line)) continue;
    column_count = header_column_count(line);
    if (column_count == 0) {
      fail_at(source_name, reader.line_number(),
              "missing header: expected " + single_quoted(kHeaderText) +
                  " as the first line that is not a comment, got " + single_quoted(trim(line)));
    }
    break;
  }
  if (column_count == 0) {
    if (in.bad()) throw InvalidArgument(source_name + ": read error");
    throw InvalidArgument(source_name + ": missing header: expected " + single_quoted(kHeaderText) +
                          ", found only comments and blank lines");
  }

  TraceBuilder builder;
  std::unordered_map<std::string, int> line_of_job;
  while (reader.next(line)) {
    if (is_comment_or_blank(line)) continue;
    const int line_number = reader.line_number();
    const auto fail = [&](const std::string& message) {
      fail_at(source_name, line_number, message);
    };
    const std::vector<std::string_view> fields = split_fields(line);
    if (fields.size() != column_count) {
      fail("expected " + std::to_string(column_count) + " columns, got " +
           std::to_string(fields.size()));
    }
    const auto number = [&](std::size_t column) {
      const std::optional<double> value = parse_double(fields[column]);
      if (!value) {
        fail(std::string(kColumns[column]) + " " + single_quoted(fields[column]) +
             " is not a number");
      }
      return *value;
    };
    const auto name = [&](std::size_t column) {
      if (fields[column].empty()) fail("empty " + std::string(kColumns[column]));
      return std::string(fields[column]);
    };

    std::string job_id = name(0);
    const double submit_s = number(1);
    const std::string user = name(2);
    const std::string vc = name(3);
    const std::optional<int> gpus = parse_int(fields[4]);
    if (!gpus) fail("gpus " + single_quoted(fields[4]) + " is not an integer");
    const double duration_s = number(5);
    const double gpu_util = column_count > kRequiredColumnCount ? number(6) : 1.0;

    if (submit_s < 0) fail("submit_s must be >= 0, got " + format_double(submit_s));
    if (*gpus < 1) fail("gpus must be >= 1, got " + std::to_string(*gpus));
    if (duration_s <= 0) fail("duration_s must be > 0, got " + format_double(duration_s));
    if (!(gpu_util > 0 && gpu_util <= 1)) {
      fail("gpu_util must be in (0, 1], got " + format_double(gpu_util));
    }
    const auto [first, inserted] = line_of_job.try_emplace(job_id, line_number);
    if (!inserted) {
      fail("duplicate job_id " + single_quoted(job_id) + " (first on line " +
           std::to_string(first->second) + ")");
    }
    builder.add(std::move(job_id), submit_s, user, vc, *gpus, duration_s, gpu_util);
  }
  if (in.bad()) throw InvalidArgument(source_name + ": read error");
  if (line_of_job.empty()) throw InvalidArgument(source_name + ": no jobs (only a header)");
  return std::move(builder).build(source_name);
}

Trace load_trace_csv(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw InvalidArgument("cannot open trace " + path + ": is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InvalidArgument("cannot open trace " + path + ": " + std::strerror(errno));
  return parse_trace_csv(in, path);
}

void write_trace_csv(const Trace& trace, std::ostream& out) {
  for (const std::string& user : trace.users) check_writable_name("user", user);
  for (const std::string& vc : trace.vcs) check_writable_name("vc", vc);
  for (const Job& job : trace.jobs) {
    check_writable_name("job_id", job.name);
    if (job.name.front() == '#') {
      throw InvalidArgument("write_trace_csv: job_id " + single_quoted(job.name) +
                            " starts with '#': it would read back as a comment");
    }
    if (job.user < 0 || static_cast<std::size_t>(job.user) >= trace.users.size() || job.vc < 0 ||
        static_cast<std::size_t>(job.vc) >= trace.vcs.size()) {
      throw InvalidArgument("write_trace_csv: job " + single_quoted(job.name) +
                            " has a user or vc index outside Trace::users / Trace::vcs");
    }
  }

  out << "# aisys cluster trace: " << trace.jobs.size() << " jobs";
  if (!trace.source.empty()) out << ", from " << single_line(trace.source);
  out << '\n';
  for (std::size_t i = 0; i < kColumns.size(); ++i) out << (i == 0 ? "" : ",") << kColumns[i];
  out << '\n';
  for (const Job& job : trace.jobs) {
    out << job.name << ',' << format_double(job.submit_s) << ',' << trace.users[job.user] << ','
        << trace.vcs[job.vc] << ',' << job.gpus << ',' << format_double(job.duration_s) << ','
        << format_double(job.gpu_util) << '\n';
  }
}

void save_trace_csv(const Trace& trace, const std::string& path) {
  const std::string temporary_path = path + ".tmp-" + std::to_string(::getpid());
  const auto fail = [&](const std::string& reason) {
    std::remove(temporary_path.c_str());
    throw InvalidArgument("cannot save trace " + path + ": " + reason);
  };
  {
    std::ofstream out(temporary_path, std::ios::binary | std::ios::trunc);
    if (!out) {
      const int open_error = errno;
      throw InvalidArgument("cannot save trace " + path + ": " + std::strerror(open_error));
    }
    try {
      write_trace_csv(trace, out);
    } catch (...) {
      out.close();
      std::remove(temporary_path.c_str());
      throw;
    }
    out.close();
    if (!out) fail("writing " + temporary_path + " failed");
  }
  if (std::rename(temporary_path.c_str(), path.c_str()) != 0) {
    const int rename_error = errno;
    fail(std::strerror(rename_error));
  }
}

}  // namespace aisys::cluster
