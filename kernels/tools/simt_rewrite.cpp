// simt_rewrite IN.cu OUT.cpp: turns a CUDA source file into C++ for the SIMT emulator
// (aisys/kernels/simt/emulator.hpp; cmake/AisysSimt.cmake runs it at build time). Outside comments
// and literals it rewrites
//   kernel<T>(args) launched as kernel<T><<<grid, block, shared, stream>>>(args)
//       -> ::aisys::simt::cuda::launch(grid, block, shared, stream)(
//              [&](auto... a) { kernel<T>(a...); })(args)
//   __shared__ __align__(16) float As[32][32], Bs[8];
//       -> using aisys_simt_shared_As = float [32][32]; static aisys_simt_shared_As& As =
//          *::aisys::simt::shared_block<aisys_simt_shared_As>();
//          ::aisys::simt::shared_declared(&As, sizeof(As));  and the same for Bs (on one line)
// keeping every line where it was (a `#line` directive names IN, so compiler messages and the
// emulator's barrier reports point into the .cu file), __CUDA_ARCH__ becomes the emulated
// architecture, AISYS_SIMT_CUDA_ARCH, and a kernel declared __launch_bounds__(N) starts by checking
// its block against N. It refuses, naming the line, what the emulator cannot run:
// dynamic shared memory (extern __shared__), a __shared__ initializer, warp shuffles, votes,
// __syncwarp and inline assembly.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

// `code` is `text` with comments and string/character literals blanked (newlines kept), so that
// searches find only code and every offset is the same in both.
std::string blank_comments_and_literals(const std::string& text) {
  std::string code = text;
  enum { kCode, kLine, kBlock, kString, kChar } state = kCode;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    switch (state) {
      case kCode:
        if (c == '/' && next == '/') {
          state = kLine;
          code[i] = ' ';
        } else if (c == '/' && next == '*') {
          state = kBlock;
          code[i] = ' ';
        } else if (c == '"') {
          state = kString;
        } else if (c == '\'' && !(i > 0 && std::isdigit(static_cast<unsigned char>(text[i - 1])))) {
          state = kChar;  // (after a digit it is a digit separator: 1'024)
        }
        break;
      case kLine:
        if (c == '\n') {
          state = kCode;
        } else {
          code[i] = ' ';
        }
        break;
      case kBlock:
        if (c == '*' && next == '/') {
          code[i] = code[i + 1] = ' ';
          ++i;
          state = kCode;
        } else if (c != '\n') {
          code[i] = ' ';
        }
        break;
      case kString:
      case kChar:
        if (c == '\\') {
          code[i] = ' ';
          if (i + 1 < text.size() && text[i + 1] != '\n') code[++i] = ' ';
        } else if ((state == kString && c == '"') || (state == kChar && c == '\'')) {
          state = kCode;
        } else if (c != '\n') {
          code[i] = ' ';
        }
        break;
    }
  }
  return code;
}

bool is_ident(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

struct Source {
  std::string path, text, code;
  int line_of(std::size_t offset) const {
    int line = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) line += text[i] == '\n';
    return line;
  }
  [[noreturn]] void fail(std::size_t offset, const std::string& why) const {
    throw std::runtime_error(path + ":" + std::to_string(line_of(offset)) + ": " + why);
  }
  // Offsets of `word` in the code as a whole identifier.
  std::vector<std::size_t> find_word(const std::string& word) const {
    std::vector<std::size_t> at;
    for (std::size_t p = code.find(word); p != std::string::npos; p = code.find(word, p + 1)) {
      const bool starts = p == 0 || !is_ident(code[p - 1]);
      const bool ends = p + word.size() >= code.size() || !is_ident(code[p + word.size()]);
      if (starts && ends) at.push_back(p);
    }
    return at;
  }
};

struct Edit {
  std::size_t offset, length;
  std::string replacement;
};

void refuse_unsupported(const Source& s) {
  const char* const words[] = {"__shfl_sync", "__shfl_up_sync", "__shfl_down_sync",
                               "__shfl_xor_sync", "__ballot_sync", "__any_sync",
                               "__all_sync", "__activemask", "__syncwarp", "asm"};
  for (const char* w : words) {
    const auto at = s.find_word(w);
    if (!at.empty()) s.fail(at.front(), std::string(w) + " is not emulated (warp-level operations and "
                                                          "inline assembly need a GPU)");
  }
}

// Where the kernel expression that ends at `end` (just before `<<<`) begins: a name, qualified
// or not, with template arguments or not.
std::size_t kernel_expression_begin(const Source& s, std::size_t end) {
  std::size_t p = end;
  while (p > 0 && std::isspace(static_cast<unsigned char>(s.code[p - 1]))) --p;
  if (p > 0 && s.code[p - 1] == '>') {  // template arguments: back to the matching '<'
    int depth = 0;
    do {
      --p;
      if (s.code[p] == '>') ++depth;
      if (s.code[p] == '<') --depth;
    } while (p > 0 && depth > 0);
    if (depth != 0) s.fail(end, "a kernel launch whose template arguments do not balance");
    while (p > 0 && std::isspace(static_cast<unsigned char>(s.code[p - 1]))) --p;
  }
  for (;;) {
    const std::size_t name_end = p;
    while (p > 0 && is_ident(s.code[p - 1])) --p;
    if (p == name_end) s.fail(end, "a kernel launch `<<<` that does not follow a kernel's name");
    if (p >= 2 && s.code[p - 1] == ':' && s.code[p - 2] == ':') {
      p -= 2;
      std::size_t q = p;  // a leading :: (the global namespace) ends the name
      while (q > 0 && std::isspace(static_cast<unsigned char>(s.code[q - 1]))) --q;
      if (q == 0 || !is_ident(s.code[q - 1])) return p;
      continue;
    }
    return p;
  }
}

void rewrite_launches(const Source& s, std::vector<Edit>& edits) {
  for (std::size_t open = s.code.find("<<<"); open != std::string::npos;
       open = s.code.find("<<<", open + 3)) {
    const std::size_t close = s.code.find(">>>", open + 3);
    if (close == std::string::npos) s.fail(open, "a kernel launch `<<<` without its `>>>`");
    const std::size_t begin = kernel_expression_begin(s, open);
    // Newlines inside the kernel expression move with it: every line keeps its number.
    const std::string kernel = s.text.substr(begin, open - begin);
    const std::string config = s.text.substr(open + 3, close - open - 3);
    edits.push_back({begin, close + 3 - begin,
                     "::aisys::simt::cuda::launch(" + config +
                         ")([&](auto... aisys_simt_arg) { " + kernel +
                         "(aisys_simt_arg...); })"});
    open = close;
  }
}

void rewrite_shared(const Source& s, std::vector<Edit>& edits) {
  for (std::size_t at : s.find_word("__shared__")) {
    // The statement it begins: back to the previous ; { } and on to the next ;.
    std::size_t begin = at;
    while (begin > 0 && s.code[begin - 1] != ';' && s.code[begin - 1] != '{' &&
           s.code[begin - 1] != '}') {
      --begin;
    }
    const std::string before = s.code.substr(begin, at - begin);
    if (before.find("extern") != std::string::npos) {
      s.fail(at, "dynamic shared memory (extern __shared__) is not emulated");
    }
    const std::size_t end = s.code.find(';', at);
    if (end == std::string::npos) s.fail(at, "a __shared__ declaration without its `;`");
    const std::string decl = s.code.substr(at + 10, end - at - 10);
    // Declarators split at top-level commas: `__shared__ float As[32][32], Bs[32][32];`.
    std::vector<std::string> declarators(1);
    int depth = 0;
    for (char c : decl) {
      if (c == '(' || c == '[' || c == '<') ++depth;
      if (c == ')' || c == ']' || c == '>') --depth;
      if (c == '=') {
        s.fail(at, "a __shared__ declaration with an initializer (shared memory cannot be "
                   "initialized where it is declared)");
      }
      if (c == ',' && depth == 0) {
        declarators.emplace_back();
      } else {
        declarators.back() += c;
      }
    }
    // Each array becomes a reference to a block of its own on the heap, which AddressSanitizer
    // surrounds with redzones (a static array aligned past 64 bytes gets none), aligned to 256
    // bytes (any __align__ is met), poisoned by the first thread of every block to declare it.
    std::string out, base;
    for (std::size_t k = 0; k < declarators.size(); ++k) {
      const std::string& d = declarators[k];
      // The name: the identifier before the first '[' (an array), else the last one.
      std::size_t name_end = d.find('[');
      if (name_end == std::string::npos) name_end = d.size();
      while (name_end > 0 && !is_ident(d[name_end - 1])) --name_end;
      std::size_t name_begin = name_end;
      while (name_begin > 0 && is_ident(d[name_begin - 1])) --name_begin;
      if (name_begin == name_end) s.fail(at, "a __shared__ declaration without a name");
      const std::string name = d.substr(name_begin, name_end - name_begin);
      std::string type = d.substr(0, name_begin);
      if (k == 0) {
        // The element type, without __align__(...): `__align__(16) float ` -> ` float `.
        for (std::size_t a = type.find("__align__"); a != std::string::npos; a = type.find("__align__")) {
          const std::size_t close = type.find(')', a);
          if (close == std::string::npos) s.fail(at, "__align__( without its )");
          type.erase(a, close + 1 - a);
        }
        base = type;
        type.clear();
      }
      const std::string alias = "aisys_simt_shared_" + name;
      out += "using " + alias + " =" + base + type + d.substr(name_end) + "; static " + alias +
             "& " + name + " = *::aisys::simt::shared_block<" + alias +
             ">(); ::aisys::simt::shared_declared(&" + name + ", sizeof(" + name + "));";
    }
    // The declaration's newlines stay, so that every line keeps its number.
    for (std::size_t i = at; i <= end; ++i) {
      if (s.text[i] == '\n') out += '\n';
    }
    edits.push_back({at, end + 1 - at, out});
  }
}

// __launch_bounds__(N[, ...]) before a kernel: its body starts by checking the block against N.
void rewrite_launch_bounds(const Source& s, std::vector<Edit>& edits) {
  for (std::size_t at : s.find_word("__launch_bounds__")) {
    std::size_t open = at + std::string("__launch_bounds__").size();
    while (open < s.code.size() && std::isspace(static_cast<unsigned char>(s.code[open]))) ++open;
    if (open >= s.code.size() || s.code[open] != '(') continue;  // a mention, not a use
    int depth = 0;
    std::size_t close = open, first_end = std::string::npos;
    for (; close < s.code.size(); ++close) {
      const char c = s.code[close];
      if (c == '(' || c == '[' || c == '<') ++depth;
      if (c == ')' || c == ']' || c == '>') --depth;
      if (c == ',' && depth == 1 && first_end == std::string::npos) first_end = close;
      if (depth == 0) break;
    }
    if (close >= s.code.size()) s.fail(at, "__launch_bounds__( without its )");
    if (first_end == std::string::npos) first_end = close;
    const std::string max_threads = s.text.substr(open + 1, first_end - open - 1);
    const std::size_t body = s.code.find('{', close);
    if (body == std::string::npos) s.fail(at, "__launch_bounds__ on a kernel without a body");
    edits.push_back({body + 1, 0, " ::aisys::simt::check_launch_bounds(" + max_threads + ");"});
  }
}

// __CUDA_ARCH__ is defined where device code is compiled, and the emulator compiles the file's
// kernels: in the file's own code it becomes AISYS_SIMT_CUDA_ARCH (the emulated architecture,
// cuda_shim.hpp), so that `#if __CUDA_ARCH__ >= 800` keeps a kernel's body. (Defined for the whole
// file it would change the CUDA headers the shim has already included.)
void rewrite_cuda_arch(const Source& s, std::vector<Edit>& edits) {
  for (std::size_t at : s.find_word("__CUDA_ARCH__")) {
    edits.push_back({at, std::string("__CUDA_ARCH__").size(), "AISYS_SIMT_CUDA_ARCH"});
  }
}

std::string apply(const Source& s, std::vector<Edit> edits) {
  std::sort(edits.begin(), edits.end(),
            [](const Edit& a, const Edit& b) { return a.offset < b.offset; });
  std::string out = "#line 1 \"" + s.path + "\"\n";
  std::size_t pos = 0;
  for (const Edit& e : edits) {
    out.append(s.text, pos, e.offset - pos);
    out += e.replacement;
    pos = e.offset + e.length;
  }
  out.append(s.text, pos, std::string::npos);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: simt_rewrite IN.cu OUT.cpp\n";
    return 2;
  }
  try {
    Source s;
    s.path = argv[1];
    std::ifstream in(s.path, std::ios::binary);
    if (!in) throw std::runtime_error(s.path + ": cannot be read");
    std::ostringstream buf;
    buf << in.rdbuf();
    s.text = buf.str();
    s.code = blank_comments_and_literals(s.text);
    refuse_unsupported(s);
    std::vector<Edit> edits;
    rewrite_launches(s, edits);
    rewrite_shared(s, edits);
    rewrite_cuda_arch(s, edits);
    rewrite_launch_bounds(s, edits);
    const std::string out_path = argv[2];
    const std::string tmp = out_path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << apply(s, edits);
      if (!out.flush()) throw std::runtime_error(tmp + ": cannot be written");
    }
    if (std::rename(tmp.c_str(), out_path.c_str()) != 0) {
      throw std::runtime_error(out_path + ": cannot be written");
    }
  } catch (const std::exception& e) {
    std::cerr << "simt_rewrite: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
