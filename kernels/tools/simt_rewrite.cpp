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

// Whether `at` is on a preprocessor line (#define ...).
bool on_preprocessor_line(const Source& s, std::size_t at) {
  std::size_t b = at;
  while (b > 0 && s.code[b - 1] != '\n') --b;
  while (b < at && std::isspace(static_cast<unsigned char>(s.code[b]))) ++b;
  return b < at && s.code[b] == '#';
}

// Whether `at` is inside a function body: some enclosing '{' follows a ')' (a function's
// parameter list, or an if/for/while inside one), rather than only namespace braces.
bool in_function_body(const Source& s, std::size_t at) {
  std::vector<std::size_t> open;
  for (std::size_t i = 0; i < at; ++i) {
    if (s.code[i] == '{') open.push_back(i);
    if (s.code[i] == '}' && !open.empty()) open.pop_back();
  }
  for (std::size_t brace : open) {
    std::size_t q = brace;
    while (q > 0 && std::isspace(static_cast<unsigned char>(s.code[q - 1]))) --q;
    if (q > 0 && s.code[q - 1] == ')') return true;
  }
  return false;
}

// Removes every `word(...)` (balanced parentheses) from `t`: alignment attributes.
void erase_attribute(const Source& s, std::size_t at, std::string& t, const std::string& word) {
  for (std::size_t a = t.find(word); a != std::string::npos; a = t.find(word)) {
    std::size_t p = t.find('(', a);
    if (p == std::string::npos) s.fail(at, word + " without its (");
    int depth = 0;
    for (; p < t.size(); ++p) {
      if (t[p] == '(') ++depth;
      if (t[p] == ')' && --depth == 0) break;
    }
    if (p >= t.size()) s.fail(at, word + "( without its )");
    t = t.substr(0, a) + " " + t.substr(p + 1);
  }
}

void rewrite_shared(const Source& s, std::vector<Edit>& edits) {
  for (std::size_t at : s.find_word("__shared__")) {
    if (on_preprocessor_line(s, at)) {
      s.fail(at, "__shared__ in a macro is not emulated: declare the array in the kernel");
    }
    if (!in_function_body(s, at)) {
      s.fail(at, "__shared__ outside a function is not emulated: declare the array in the kernel");
    }
    // The statement it begins: back to the previous ; { } and on to the next ;.
    std::size_t begin = at;
    while (begin > 0 && s.code[begin - 1] != ';' && s.code[begin - 1] != '{' &&
           s.code[begin - 1] != '}') {
      --begin;
    }
    // From the statement's first word (after any preprocessor line, such as #pragma unroll).
    for (std::size_t h = s.code.find('#', begin); h != std::string::npos && h < at;
         h = s.code.find('#', h + 1)) {
      const std::size_t nl = s.code.find('\n', h);
      if (nl != std::string::npos && nl < at) begin = nl + 1;
    }
    while (begin < at && std::isspace(static_cast<unsigned char>(s.code[begin]))) ++begin;
    const std::string before = s.code.substr(begin, at - begin);
    if (before.find("extern") != std::string::npos) {
      s.fail(at, "dynamic shared memory (extern __shared__) is not emulated");
    }
    const std::size_t end = s.code.find(';', at);
    if (end == std::string::npos) s.fail(at, "a __shared__ declaration without its `;`");
    // What the statement says before and after __shared__ (static, alignas, __align__, the type,
    // the declarators), newlines as spaces: the replacement is one line.
    std::string decl = s.code.substr(begin, at - begin) + " " + s.code.substr(at + 10, end - at - 10);
    for (char& c : decl) {
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    erase_attribute(s, at, decl, "__align__");
    erase_attribute(s, at, decl, "alignas");
    erase_attribute(s, at, decl, "__attribute__");
    for (const char* word : {"static", "__shared__"}) {
      for (std::size_t w = decl.find(word); w != std::string::npos; w = decl.find(word, w + 1)) {
        const std::size_t n = std::string(word).size();
        const bool starts = w == 0 || !is_ident(decl[w - 1]);
        const bool ends = w + n >= decl.size() || !is_ident(decl[w + n]);
        if (starts && ends) {
          for (std::size_t k = 0; k < n; ++k) decl[w + k] = ' ';
        }
      }
    }
    // Declarators split at top-level commas: `__shared__ float As[32][32], Bs[32][32];`. Inside
    // brackets and parentheses nothing splits (`[1 << 5]`, `[(a >= b) ? a : b]`); angle brackets
    // count only outside them (`Pair<int, int> p[4]`).
    std::vector<std::string> declarators(1);
    int paren = 0, angle = 0;
    for (std::size_t i = 0; i < decl.size(); ++i) {
      const char c = decl[i];
      if (c == '(' || c == '[') ++paren;
      if (c == ')' || c == ']') --paren;
      if (paren == 0 && c == '<') ++angle;
      if (paren == 0 && c == '>') --angle;
      const char prev = i > 0 ? decl[i - 1] : ' ', next = i + 1 < decl.size() ? decl[i + 1] : ' ';
      if (paren == 0 && angle == 0 && c == '=' && next != '=' && prev != '=' && prev != '<' &&
          prev != '>' && prev != '!') {
        s.fail(at, "a __shared__ declaration with an initializer (shared memory cannot be "
                   "initialized where it is declared)");
      }
      if (c == ',' && paren == 0 && angle == 0) {
        declarators.emplace_back();
      } else {
        declarators.back() += c;
      }
    }
    // Each array becomes a reference to a block of its own on the heap, which AddressSanitizer
    // surrounds with redzones (a static array aligned past 64 bytes gets none), aligned to 256
    // bytes (any alignment asked for is met), poisoned by the first thread of every block to
    // declare it.
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
        base = type;
        type.clear();
      }
      const std::string alias = "aisys_simt_shared_" + name;
      out += "using " + alias + " =" + base + type + d.substr(name_end) + "; static " + alias +
             "& " + name + " = *::aisys::simt::shared_block<" + alias +
             ">(); ::aisys::simt::shared_declared(&" + name + ", sizeof(" + name + "));";
    }
    // The statement's newlines stay, so that every line keeps its number.
    for (std::size_t i = begin; i <= end; ++i) {
      if (s.text[i] == '\n') out += '\n';
    }
    edits.push_back({begin, end + 1 - begin, out});
  }
}

// __launch_bounds__(N[, MIN_BLOCKS[, MAX_CLUSTER]]) before a kernel: its body starts by checking
// the block against N. A mention that declares no body (a prototype) is left alone.
void rewrite_launch_bounds(const Source& s, std::vector<Edit>& edits) {
  for (std::size_t at : s.find_word("__launch_bounds__")) {
    if (on_preprocessor_line(s, at)) continue;  // a macro's text, not a kernel
    std::size_t open = at + std::string("__launch_bounds__").size();
    while (open < s.code.size() && std::isspace(static_cast<unsigned char>(s.code[open]))) ++open;
    if (open >= s.code.size() || s.code[open] != '(') continue;
    std::size_t close = open;
    for (int depth = 0; close < s.code.size(); ++close) {
      if (s.code[close] == '(') ++depth;
      if (s.code[close] == ')' && --depth == 0) break;
    }
    if (close >= s.code.size()) s.fail(at, "__launch_bounds__( without its )");
    std::string args = s.code.substr(open + 1, close - open - 1);
    for (char& c : args) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    // The body: the first '{' outside parentheses (a default argument's braces are inside them);
    // a ';' first means a declaration without a body.
    std::size_t body = close + 1;
    for (int depth = 0; body < s.code.size(); ++body) {
      const char c = s.code[body];
      if (c == '(') ++depth;
      if (c == ')') --depth;
      if (depth == 0 && (c == '{' || c == ';')) break;
    }
    if (body >= s.code.size() || s.code[body] == ';') continue;
    edits.push_back({body + 1, 0, " ::aisys::simt::check_launch_bounds(" + args + ");"});
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
  // By offset; at one offset an insertion (length 0) goes before a replacement that starts there.
  std::stable_sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) {
    return a.offset != b.offset ? a.offset < b.offset : a.length < b.length;
  });
  for (std::size_t i = 1; i < edits.size(); ++i) {
    if (edits[i].offset < edits[i - 1].offset + edits[i - 1].length) {
      s.fail(edits[i].offset, "two rewrites of the same text (a launch inside a __shared__ "
                              "declaration?): the emulator cannot read this");
    }
  }
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
