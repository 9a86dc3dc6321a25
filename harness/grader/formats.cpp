// Grade output formats: a terminal table, Gradescope results.json, JUnit XML, CSV rows.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "grade.hpp"

namespace aisys::grader {

namespace {

std::string fmt_points(double v) {
  std::ostringstream s;
  s << std::setprecision(4) << v;
  return s.str();
}

std::string xml_escape(const std::string& in) {
  std::string out;
  for (char ch : in) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20 && ch != '\n' && ch != '\t') out += ' ';
        else out += ch;
    }
  }
  return out;
}

std::string summary_notes(const GradeResult& r) {
  std::ostringstream notes;
  const char* sep = "";
  for (const auto& c : r.compile_failures) {
    notes << sep << "did not compile: " << c.file;
    sep = "; ";
  }
  for (const auto& s : r.disallowed_symbols) {
    notes << sep << "disallowed symbol " << s;
    sep = "; ";
  }
  return notes.str();
}

}  // namespace

std::string csv_field(const std::string& in) {
  if (in.find_first_of(",\"\n") == std::string::npos) return in;
  std::string out = "\"";
  for (char ch : in) {
    if (ch == '"') out += "\"\"";
    else out += ch;
  }
  return out + "\"";
}

std::string format_table(const GradeResult& r) {
  std::ostringstream out;
  out << "Lab " << r.lab << " (" << r.slug << ", version " << r.version << "): " << r.submission << "\n";
  for (const auto& w : r.warnings) out << "  warning: " << w << "\n";
  for (const auto& c : r.compile_failures) {
    out << "  compile error in " << c.file << ": graded as the skeleton's version (its parts score 0)\n";
    std::istringstream lines(c.output);
    std::string line;
    int shown = 0;
    while (std::getline(lines, line) && shown < 25) {
      if (line.find("error") != std::string::npos || line.find("note:") != std::string::npos || shown > 0) {
        out << "    | " << line << "\n";
        ++shown;
      }
    }
  }
  for (const auto& s : r.disallowed_symbols) out << "  disallowed symbol: " << s << " (performance parts score 0)\n";
  out << "\n  " << std::left << std::setw(28) << "part" << std::setw(13) << "kind" << std::setw(17) << "status"
      << std::right << std::setw(13) << "points" << "  details\n";
  out << "  " << std::string(100, '-') << "\n";
  for (const auto& p : r.parts) {
    const std::string pts = p.graded() ? fmt_points(p.points) + "/" + fmt_points(p.max_points) : "-/" + fmt_points(p.max_points);
    out << "  " << std::left << std::setw(28) << p.name << std::setw(13) << p.kind << std::setw(17) << p.status
        << std::right << std::setw(13) << pts << "  " << p.message << "\n";
  }
  out << "  " << std::string(100, '-') << "\n";
  out << "  total " << fmt_points(r.score()) << " / " << fmt_points(r.max_score());
  if (r.ungraded_points() > 0) out << "  (" << fmt_points(r.ungraded_points()) << " points could not be graded on this machine)";
  out << "\n  seed " << r.seed << " (rerun a failing part: aisys test " << r.lab << " --part NAME --seed " << r.seed << ")\n";
  return out.str();
}

std::string format_gradescope(const GradeResult& r) {
  nlohmann::json j;
  j["score"] = r.score();
  j["stdout_visibility"] = "visible";
  j["output"] = format_table(r);
  j["tests"] = nlohmann::json::array();
  for (const auto& p : r.parts) {
    nlohmann::json t = {{"name", p.name + " (" + p.kind + ")"},
                        {"max_score", p.max_points},
                        {"score", p.points},
                        {"visibility", "visible"},
                        {"output", p.status + ": " + p.message + (p.output.empty() ? "" : "\n\n" + p.output)}};
    if (p.graded()) t["status"] = p.points >= p.max_points ? "passed" : "failed";
    j["tests"].push_back(t);
  }
  j["extra_data"] = r.to_json();
  return j.dump(2) + "\n";
}

std::string format_junit(const GradeResult& r) {
  int failures = 0, skipped = 0;
  for (const auto& p : r.parts) {
    if (!p.graded()) ++skipped;
    else if (p.status != "passed" && p.status != "measured") ++failures;
  }
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"aisys lab " << xml_escape(r.lab) << "\">\n";
  out << "  <testsuite name=\"lab" << xml_escape(r.lab) << "-" << xml_escape(r.slug) << "\" tests=\"" << r.parts.size()
      << "\" failures=\"" << failures << "\" skipped=\"" << skipped << "\">\n";
  out << "    <properties>\n";
  out << "      <property name=\"score\" value=\"" << r.score() << "\"/>\n";
  out << "      <property name=\"max_score\" value=\"" << r.max_score() << "\"/>\n";
  out << "      <property name=\"version\" value=\"" << xml_escape(r.version) << "\"/>\n";
  out << "      <property name=\"include_hash\" value=\"" << xml_escape(r.include_hash) << "\"/>\n";
  out << "      <property name=\"seed\" value=\"" << r.seed << "\"/>\n";
  out << "    </properties>\n";
  for (const auto& p : r.parts) {
    out << "    <testcase classname=\"lab" << xml_escape(r.lab) << "." << xml_escape(p.kind) << "\" name=\""
        << xml_escape(p.name) << "\">\n";
    if (!p.graded()) {
      out << "      <skipped message=\"" << xml_escape(p.message) << "\"/>\n";
    } else if (p.status != "passed" && p.status != "measured") {
      out << "      <failure message=\"" << xml_escape(p.status + ": " + p.message) << "\">"
          << xml_escape(p.output) << "</failure>\n";
    }
    out << "      <system-out>" << xml_escape(p.status + " " + fmt_points(p.points) + "/" + fmt_points(p.max_points) + ": " + p.message) << "</system-out>\n";
    out << "    </testcase>\n";
  }
  out << "  </testsuite>\n</testsuites>\n";
  return out.str();
}

std::string csv_header(const Manifest& m) {
  std::ostringstream h;
  h << "submission,lab,version,include_hash,score,max_score,ungraded_points";
  for (const auto& p : m.parts) h << ',' << csv_field(p.name);
  h << ",seed,notes\n";
  return h.str();
}

std::string csv_row(const Manifest& m, const GradeResult& r) {
  std::ostringstream row;
  row << csv_field(r.submission) << "," << r.lab << "," << csv_field(r.version) << "," << r.include_hash << ","
      << fmt_points(r.score()) << "," << fmt_points(r.max_score()) << "," << fmt_points(r.ungraded_points());
  for (const auto& mp : m.parts) {
    std::string cell;
    for (const auto& p : r.parts) {
      if (p.name == mp.name) cell = p.graded() ? fmt_points(p.points) : "skipped";
    }
    row << "," << cell;
  }
  row << "," << r.seed << "," << csv_field(summary_notes(r)) << "\n";
  return row.str();
}

void write_file_atomically(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  if (target.has_parent_path()) fs::create_directories(target.parent_path());
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw GradingError("cannot write " + tmp);
    out << text;
    out.flush();
    if (!out) throw GradingError("cannot write " + tmp);
  }
  fs::rename(tmp, target);
}

}  // namespace aisys::grader
