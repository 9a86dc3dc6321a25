// trace_public.cpp: loaders for two public traces (Philly's cluster_job_log in JSON, Helios's
// cluster_log.csv) into the project's Trace, and load_trace(), which picks a loader from the file.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
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

using Json = nlohmann::json;

constexpr double kSecondsPerDay = 86400.0;
constexpr std::string_view kTimeFormat = "YYYY-MM-DD HH:MM:SS";

std::string format_number(double value) {
  char buffer[64];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  AISYS_ASSERT(error == std::errc(), "a double always fits in 64 characters");
  return std::string(buffer, end);
}

// An integer spelled by the whole field ("8", or "8.0" as pandas writes integer columns that had a
// missing value), or nothing.
std::optional<int> parse_integer(std::string_view field) {
  int value = 0;
  const char* const end = field.data() + field.size();
  const auto [stop, error] = std::from_chars(field.data(), end, value);
  if (error == std::errc() && stop == end) return value;
  const std::optional<double> real = parse_double(field);
  if (real && *real == std::floor(*real) && std::abs(*real) < 1e9) return static_cast<int>(*real);
  return std::nullopt;
}

// ---- Times: "YYYY-MM-DD HH:MM:SS[.fraction]", read as UTC, without the C library's locale or
// time zone.

// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

bool is_leap_year(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

unsigned days_in_month(int year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : kDays[month - 1];
}

// The number spelled by text[position, position + width), all digits, or -1.
int fixed_digits(std::string_view text, std::size_t position, std::size_t width) {
  int value = 0;
  for (std::size_t i = position; i < position + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// Seconds since 1970-01-01 00:00:00 UTC, or nothing when the text is not a valid time.
std::optional<double> parse_time(std::string_view text) {
  text = trim(text);
  if (text.size() < kTimeFormat.size()) return std::nullopt;
  if (text[4] != '-' || text[7] != '-' || (text[10] != ' ' && text[10] != 'T') || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  const int year = fixed_digits(text, 0, 4);
  const int month = fixed_digits(text, 5, 2);
  const int day = fixed_digits(text, 8, 2);
  const int hour = fixed_digits(text, 11, 2);
  const int minute = fixed_digits(text, 14, 2);
  const int second = fixed_digits(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 ||
      day > static_cast<int>(days_in_month(year, static_cast<unsigned>(month))) || hour < 0 ||
      hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
    return std::nullopt;
  }
  double fraction = 0;
  if (text.size() > kTimeFormat.size()) {
    const std::string_view digits = text.substr(kTimeFormat.size() + 1);
    if (text[kTimeFormat.size()] != '.' || digits.empty() ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    fraction = *parse_double("0." + std::string(digits));
  }
  const std::int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return static_cast<double>(days) * kSecondsPerDay + hour * 3600.0 + minute * 60.0 + second +
         fraction;
}

// ---- What both loaders share: options, opening the file, the rows they keep, the last steps.

void check_options(const PublicTraceOptions& options) {
  if (options.max_jobs < 0) {
    throw InvalidArgument("PublicTraceOptions: max_jobs must be >= 0 (0: all), got " +
                          std::to_string(options.max_jobs));
  }
  if (!(std::isfinite(options.min_duration_s) && options.min_duration_s >= 0)) {
    throw InvalidArgument("PublicTraceOptions: min_duration_s must be a finite number >= 0, got " +
                          format_number(options.min_duration_s));
  }
}

std::ifstream open_trace(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw InvalidArgument("cannot open trace " + path + ": is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InvalidArgument("cannot open trace " + path + ": " + std::strerror(errno));
  return in;
}

// A job kept from a public trace, its submit time still absolute.
struct PublicJob {
  std::string name;
  double submit_time_s = 0;  // seconds since the epoch
  std::string user;
  std::string vc;
  int gpus = 0;
  double duration_s = 0;
};

// Why the jobs that were read and not kept were dropped: the "no usable jobs" error lists them.
struct DropCounts {
  int read = 0;
  int by_status = 0;
  int never_ran = 0;
  int without_gpus = 0;
  int too_short = 0;  // ran for less than min_duration_s

  // Counts a job read and says whether to keep it; otherwise counts why it is dropped.
  bool keep(bool status_kept, bool ran, const PublicJob& job, const PublicTraceOptions& options) {
    ++read;
    if (!status_kept) ++by_status;
    else if (!ran || job.duration_s <= 0) ++never_ran;
    else if (job.gpus == 0) ++without_gpus;
    else if (job.duration_s < options.min_duration_s) ++too_short;
    else return true;
    return false;
  }
};

// Keeps the first max_jobs by submit time, shifts times so that the trace starts at 0, builds.
Trace finish_public_trace(std::vector<PublicJob> jobs, const DropCounts& dropped,
                          const PublicTraceOptions& options, const std::string& path) {
  if (jobs.empty()) {
    throw InvalidArgument(path + ": no usable jobs (" + std::to_string(dropped.read) + " read; " +
                          std::to_string(dropped.by_status) + " dropped for their status, " +
                          std::to_string(dropped.never_ran) + " that never ran, " +
                          std::to_string(dropped.without_gpus) + " without GPUs, " +
                          std::to_string(dropped.too_short) + " shorter than " +
                          format_number(options.min_duration_s) + " s)");
  }
  std::stable_sort(jobs.begin(), jobs.end(), [](const PublicJob& a, const PublicJob& b) {
    return a.submit_time_s < b.submit_time_s;
  });
  if (options.max_jobs > 0 && jobs.size() > static_cast<std::size_t>(options.max_jobs)) {
    jobs.resize(static_cast<std::size_t>(options.max_jobs));
  }
  const double start_s = jobs.front().submit_time_s;
  TraceBuilder builder;
  for (PublicJob& job : jobs) {
    builder.add(std::move(job.name), job.submit_time_s - start_s, job.user, job.vc, job.gpus,
                job.duration_s);
  }
  return std::move(builder).build(path);
}

// ---- Philly.

// Reads the Philly job log's JSON fields, each error naming the file and the job.
class PhillyJobReader {
 public:
  PhillyJobReader(const std::string& path, std::size_t index) : where_(path + ": job ") {
    where_ += std::to_string(index);
  }

  [[noreturn]] void fail(const std::string& message) const {
    throw InvalidArgument(where_ + ": " + message);
  }
  void name_job(const std::string& jobid) { where_ += " (jobid " + jobid + ")"; }

  const Json& required(const Json& object, const char* key) const {
    const auto found = object.find(key);
    if (found == object.end()) fail(std::string("missing \"") + key + "\"");
    return *found;
  }
  std::string string_field(const Json& object, const char* key) const {
    const Json& value = required(object, key);
    if (!value.is_string()) {
      fail(std::string("\"") + key + "\" is not a string (" + value.type_name() + ")");
    }
    return value.get<std::string>();
  }
  // A time field: nothing when the job log says "None" (or null, or ""): no such time.
  std::optional<double> time_field(const Json& object, const char* key) const {
    const auto found = object.find(key);
    if (found == object.end() || found->is_null()) return std::nullopt;
    if (!found->is_string()) {
      fail(std::string("\"") + key + "\" is not a string (" + found->type_name() + ")");
    }
    const std::string text = found->get<std::string>();
    if (trim(text).empty() || trim(text) == "None") return std::nullopt;
    const std::optional<double> time = parse_time(text);
    if (!time) {
      fail(std::string("\"") + key + "\" " + single_quoted(text) + " is not a time " +
           std::string(kTimeFormat));
    }
    return time;
  }
  const Json& array_field(const Json& object, const char* key) const {
    static const Json kEmpty = Json::array();
    const auto found = object.find(key);
    if (found == object.end() || found->is_null()) return kEmpty;
    if (!found->is_array()) {
      fail(std::string("\"") + key + "\" is not an array (" + found->type_name() + ")");
    }
    return *found;
  }

 private:
  std::string where_;
};

bool philly_status_kept(const std::string& status, const PublicTraceOptions& options) {
  if (status == "Pass") return true;
  if (status == "Failed") return options.include_failed;
  if (status == "Killed") return options.include_killed;
  return false;
}

// The GPUs of one attempt: the sum over its machines ("detail") of their "gpus" lists.
int philly_attempt_gpus(const Json& attempt, const PhillyJobReader& reader) {
  std::size_t gpus = 0;
  for (const Json& machine : reader.array_field(attempt, "detail")) {
    if (!machine.is_object()) reader.fail("an entry of \"detail\" is not an object");
    gpus += reader.array_field(machine, "gpus").size();
  }
  return static_cast<int>(gpus);
}

// ---- Helios.

// Splits one CSV line as pandas writes it: commas, with "double quotes" around fields that need
// them ("" inside is one quote). Nothing when a quote is left open.
std::optional<std::vector<std::string>> split_quoted_fields(std::string_view line) {
  std::vector<std::string> fields;
  std::string field;
  bool in_quotes = false;
  bool was_quoted = false;
  const auto end_field = [&] {
    fields.push_back(was_quoted ? field : std::string(trim(field)));
    field.clear();
    was_quoted = false;
  };
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_quotes) {
      if (c != '"') {
        field += c;
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else {
        in_quotes = false;
      }
    } else if (c == '"' && trim(field).empty()) {
      field.clear();
      in_quotes = true;
      was_quoted = true;
    } else if (c == ',') {
      end_field();
    } else if (!(was_quoted && is_blank(c))) {
      field += c;
    }
  }
  if (in_quotes) return std::nullopt;
  end_field();
  return fields;
}

enum class HeliosState { kCompleted, kFailed, kKilled, kOther };

HeliosState helios_state(std::string_view state) {
  if (state == "COMPLETED") return HeliosState::kCompleted;
  if (state == "FAILED") return HeliosState::kFailed;
  if (state == "CANCELLED" || state == "TIMEOUT" || state == "NODE_FAIL") {
    return HeliosState::kKilled;
  }
  return HeliosState::kOther;
}

bool helios_state_kept(HeliosState state, const PublicTraceOptions& options) {
  switch (state) {
    case HeliosState::kCompleted:
      return true;
    case HeliosState::kFailed:
      return options.include_failed;
    case HeliosState::kKilled:
      return options.include_killed;
    case HeliosState::kOther:
      return false;
  }
  return false;
}

bool has_json_extension(const std::string& path) {
  std::string extension = std::filesystem::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".json";
}

}  // namespace

Trace load_philly_job_log(const std::string& path, const PublicTraceOptions& options) {
  check_options(options);
  std::ifstream in = open_trace(path);
  Json document;
  try {
    document = Json::parse(in);
  } catch (const Json::exception& error) {
    throw InvalidArgument(path + ": not valid JSON: " + error.what());
  }
  if (!document.is_array()) {
    throw InvalidArgument(path + ": expected a JSON array of jobs (the Philly cluster_job_log), " +
                          "got " + document.type_name());
  }

  std::vector<PublicJob> kept;
  DropCounts dropped;
  for (std::size_t index = 0; index < document.size(); ++index) {
    const Json& entry = document[index];
    PhillyJobReader reader(path, index);
    if (!entry.is_object()) reader.fail(std::string("not an object (") + entry.type_name() + ")");
    const Json& jobid = reader.required(entry, "jobid");
    if (!jobid.is_string() && !jobid.is_number_integer()) {
      reader.fail(std::string("\"jobid\" is neither a string nor an integer (") +
                  jobid.type_name() + ")");
    }
    PublicJob job;
    job.name = jobid.is_string() ? jobid.get<std::string>() : jobid.dump();
    reader.name_job(job.name);
    reader.required(entry, "submitted_time");
    const std::optional<double> submitted = reader.time_field(entry, "submitted_time");
    if (!submitted) reader.fail("\"submitted_time\" is not a time " + std::string(kTimeFormat));
    job.submit_time_s = *submitted;
    job.user = reader.string_field(entry, "user");
    job.vc = reader.string_field(entry, "vc");
    const std::string status = reader.string_field(entry, "status");

    const Json& attempts = reader.array_field(entry, "attempts");
    bool has_run = false;
    for (const Json& attempt : attempts) {
      if (!attempt.is_object()) reader.fail("an entry of \"attempts\" is not an object");
      const std::optional<double> start = reader.time_field(attempt, "start_time");
      const std::optional<double> end = reader.time_field(attempt, "end_time");
      if (start && end && *end >= *start) {
        job.duration_s += *end - *start;
        has_run = true;
      }
    }
    job.gpus = attempts.empty() ? 0 : philly_attempt_gpus(attempts.front(), reader);

    if (dropped.keep(philly_status_kept(status, options), has_run, job, options)) kept.push_back(std::move(job));
  }
  return finish_public_trace(std::move(kept), dropped, options, path);
}

Trace load_helios_csv(const std::string& path, const PublicTraceOptions& options) {
  check_options(options);
  std::ifstream in = open_trace(path);
  int line_number = 0;
  std::string line;
  const auto fail = [&](const std::string& message) {
    throw InvalidArgument(path + ":" + std::to_string(line_number) + ": " + message);
  };
  const auto next_line = [&] {
    while (std::getline(in, line)) {
      ++line_number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!is_comment_or_blank(line)) return true;
    }
    if (in.bad()) throw InvalidArgument(path + ": read error");
    return false;
  };

  if (!next_line()) throw InvalidArgument(path + ": missing header: the file has no lines");
  const std::optional<std::vector<std::string>> header = split_quoted_fields(line);
  if (!header) fail("unterminated quote in the header");
  std::unordered_map<std::string, std::size_t> column_of;
  for (std::size_t i = 0; i < header->size(); ++i) column_of.try_emplace((*header)[i], i);
  const auto column = [&](const char* name) {
    const auto found = column_of.find(name);
    if (found == column_of.end()) {
      fail("missing column " + single_quoted(name) +
           " in the Helios header (needed: job_id, user, vc, gpu_num, state, submit_time, "
           "duration)");
    }
    return found->second;
  };
  const std::size_t job_id_column = column("job_id");
  const std::size_t user_column = column("user");
  const std::size_t vc_column = column("vc");
  const std::size_t gpus_column = column("gpu_num");
  const std::size_t state_column = column("state");
  const std::size_t submit_column = column("submit_time");
  const std::size_t duration_column = column("duration");

  std::vector<PublicJob> kept;
  DropCounts dropped;
  while (next_line()) {
    const std::optional<std::vector<std::string>> fields = split_quoted_fields(line);
    if (!fields) fail("unterminated quote");
    if (fields->size() != header->size()) {
      fail("expected " + std::to_string(header->size()) + " columns, got " +
           std::to_string(fields->size()));
    }
    const auto text = [&](std::size_t index) -> const std::string& {
      const std::string& value = (*fields)[index];
      if (value.empty()) fail("empty " + (*header)[index]);
      return value;
    };
    PublicJob job;
    job.name = text(job_id_column);
    job.user = text(user_column);
    job.vc = text(vc_column);
    const std::optional<int> gpus = parse_integer(text(gpus_column));
    if (!gpus || *gpus < 0) {
      fail("gpu_num " + single_quoted((*fields)[gpus_column]) + " is not an integer >= 0");
    }
    job.gpus = *gpus;
    const HeliosState state = helios_state(text(state_column));
    const std::optional<double> submitted = parse_time(text(submit_column));
    if (!submitted) {
      fail("submit_time " + single_quoted((*fields)[submit_column]) + " is not a time " +
           std::string(kTimeFormat));
    }
    job.submit_time_s = *submitted;
    const std::optional<double> duration = parse_double(text(duration_column));
    if (!duration || *duration < 0) {
      fail("duration " + single_quoted((*fields)[duration_column]) + " is not a number >= 0");
    }
    job.duration_s = *duration;

    if (dropped.keep(helios_state_kept(state, options), true, job, options)) kept.push_back(std::move(job));
  }
  return finish_public_trace(std::move(kept), dropped, options, path);
}

Trace load_trace(const std::string& path, const PublicTraceOptions& options) {
  if (has_json_extension(path)) return load_philly_job_log(path, options);
  std::ifstream in = open_trace(path);
  std::string line;
  std::string first_line;
  while (std::getline(in, line)) {
    if (!is_comment_or_blank(line)) {
      first_line = std::move(line);
      break;
    }
  }
  in.close();
  if (first_line.find("gpu_num") != std::string::npos &&
      first_line.find("submit_time") != std::string::npos) {
    return load_helios_csv(path, options);
  }
  return load_trace_csv(path);
}

}  // namespace aisys::cluster
