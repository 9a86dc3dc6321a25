// Text helpers shared by the trace readers (trace_csv.cpp, trace_public.cpp); internal to
// aisys::cluster.
#pragma once

#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace aisys::cluster::text {

inline bool is_blank(char c) { return c == ' ' || c == '\t'; }

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// Blank lines and lines whose first visible character is '#' carry no data.
inline bool is_comment_or_blank(std::string_view line) {
  const std::string_view trimmed = trim(line);
  return trimmed.empty() || trimmed.front() == '#';
}

inline std::string single_quoted(std::string_view s) {
  std::string result;
  result.reserve(s.size() + 2);
  result.append(1, '\'').append(s).append(1, '\'');
  return result;
}

// A finite double spelled by the whole field, or nothing.
inline std::optional<double> parse_double(std::string_view field) {
  double value = 0;
  const char* const end = field.data() + field.size();
  const auto [stop, error] = std::from_chars(field.data(), end, value);
  if (error != std::errc() || stop != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

}  // namespace aisys::cluster::text
