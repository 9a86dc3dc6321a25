// IDX files (gzip-compressed or plain) and labelled image data sets of datasets.hpp. Every check
// throws DataFileError with the file's path first; gzip streams are inflated with zlib.
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <system_error>

#include "aisys/kernels/datasets.hpp"

namespace aisys::kernels {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const fs::path& file, const std::string& what) {
  throw DataFileError(file.string() + ": " + what);
}

std::vector<std::uint8_t> read_whole_file(const fs::path& file) {
  std::error_code ec;
  if (fs::is_directory(file, ec)) fail(file, "is a folder, not a file");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!f) fail(file, std::string("cannot open (") + std::strerror(errno) + ")");
  std::vector<std::uint8_t> bytes;
  const auto size = fs::file_size(file, ec);
  if (!ec) bytes.reserve(static_cast<std::size_t>(size));
  std::array<std::uint8_t, 1 << 16> chunk;
  for (;;) {
    const std::size_t got = std::fread(chunk.data(), 1, chunk.size(), f.get());
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(got));
    if (got < chunk.size()) {
      if (std::ferror(f.get()))
        fail(file, std::string("cannot read (") + std::strerror(errno) + ")");
      break;
    }
  }
  return bytes;
}

bool starts_with_gzip_magic(const std::uint8_t* p, std::size_t n) {
  return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

// Inflates every gzip member of `compressed` (RFC 1952; CRC-32 and length checked by zlib).
std::vector<std::uint8_t> gunzip(const fs::path& file,
                                 const std::vector<std::uint8_t>& compressed) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    throw LibraryError(file.string() + ": zlib inflateInit2 failed (" +
                       (zs.msg ? zs.msg : "out of memory?") + ")");
  }
  struct End {
    z_stream* zs;
    ~End() { inflateEnd(zs); }
  } end{&zs};

  // The gzip trailer's ISIZE (uncompressed size mod 2^32) is a good first guess for the output.
  std::size_t guess = compressed.size() * 4;
  if (compressed.size() >= 18) {
    const std::uint8_t* t = compressed.data() + compressed.size() - 4;
    const std::size_t isize = std::size_t{t[0]} | std::size_t{t[1]} << 8 | std::size_t{t[2]} << 16 |
                              std::size_t{t[3]} << 24;
    if (isize > 0 && isize / 1024 <= compressed.size()) guess = isize;
  }
  std::vector<std::uint8_t> out(std::max<std::size_t>(guess, 1 << 16));
  constexpr std::size_t kMaxChunk = std::numeric_limits<uInt>::max();
  std::size_t in_pos = 0, out_pos = 0;
  for (;;) {
    if (out_pos == out.size()) out.resize(out.size() * 2);
    zs.next_in = const_cast<Bytef*>(compressed.data() + in_pos);
    zs.avail_in = static_cast<uInt>(std::min(compressed.size() - in_pos, kMaxChunk));
    zs.next_out = out.data() + out_pos;
    zs.avail_out = static_cast<uInt>(std::min(out.size() - out_pos, kMaxChunk));
    const uInt in_before = zs.avail_in, out_before = zs.avail_out;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    in_pos += in_before - zs.avail_in;
    out_pos += out_before - zs.avail_out;
    if (rc == Z_STREAM_END) {
      if (in_pos == compressed.size()) break;
      if (starts_with_gzip_magic(compressed.data() + in_pos, compressed.size() - in_pos)) {
        inflateReset(&zs);  // the next member of a concatenated gzip file
        continue;
      }
      fail(file, std::to_string(compressed.size() - in_pos) +
                     " bytes after the end of the gzip stream (at byte " + std::to_string(in_pos) +
                     "): not one gzip file");
    }
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
      fail(file, std::string("corrupt gzip stream (") + (zs.msg ? zs.msg : "invalid data") +
                     ") at compressed byte " + std::to_string(in_pos) + " of " +
                     std::to_string(compressed.size()) + ": the file is damaged; reinstall it");
    }
    if (rc == Z_MEM_ERROR) throw std::bad_alloc();
    AISYS_ASSERT(rc == Z_OK || rc == Z_BUF_ERROR, "unexpected zlib inflate() result");
    if (in_pos == compressed.size() && zs.avail_out != 0) {
      fail(file, "the gzip stream ends early, after " + std::to_string(compressed.size()) +
                     " compressed bytes (" + std::to_string(out_pos) +
                     " decompressed): the file is truncated; reinstall it");
    }
  }
  out.resize(out_pos);
  return out;
}

std::uint32_t big_endian_u32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 |
         std::uint32_t{p[3]};
}

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

// "unsigned bytes, 3 dimensions" for 0x00000803.
std::string describe_magic(std::uint32_t magic) {
  if ((magic >> 16) != 0) return "not an IDX magic number, which is 0x0000TTNN";
  const unsigned type = (magic >> 8) & 0xff, dims = magic & 0xff;
  std::string t;
  switch (type) {
    case 0x08:
      t = "unsigned bytes";
      break;
    case 0x09:
      t = "signed bytes";
      break;
    case 0x0B:
      t = "16-bit integers";
      break;
    case 0x0C:
      t = "32-bit integers";
      break;
    case 0x0D:
      t = "32-bit floats";
      break;
    case 0x0E:
      t = "64-bit floats";
      break;
    default: {
      char buf[8];
      std::snprintf(buf, sizeof buf, "0x%02X", type);
      t = std::string("unknown element type ") + buf;
    }
  }
  return t + ", " + std::to_string(dims) + (dims == 1 ? " dimension" : " dimensions");
}

std::string join_dims(const std::vector<std::uint32_t>& dims) {
  std::string s;
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? " x " : "") + std::to_string(dims[i]);
  return s;
}

// An IDX file of unsigned bytes with the expected magic: its dimensions and its elements.
struct IdxBytes {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> elements;
};

IdxBytes read_idx(const fs::path& file, std::uint32_t expected_magic, std::string_view kind) {
  std::vector<std::uint8_t> bytes = read_whole_file(file);
  const bool gzipped = starts_with_gzip_magic(bytes.data(), bytes.size());
  if (gzipped) bytes = gunzip(file, bytes);
  const std::string data = gzipped ? "decompressed data" : "file";

  if (bytes.size() < 4) {
    fail(file,
         "the " + data + " holds " + std::to_string(bytes.size()) +
             " bytes, too few for an IDX header (a 4-byte magic number, then the dimensions)");
  }
  const std::uint32_t magic = big_endian_u32(bytes.data());
  if (magic != expected_magic) {
    fail(file, "magic number " + hex32(magic) + " (" + describe_magic(magic) + "), expected " +
                   hex32(expected_magic) + " (" + describe_magic(expected_magic) + ": IDX " +
                   std::string(kind) + ")");
  }
  const std::size_t ndims = expected_magic & 0xff;
  const std::size_t header = 4 + 4 * ndims;
  if (bytes.size() < header) {
    fail(file, "truncated: the " + data + " holds " + std::to_string(bytes.size()) +
                   " bytes, but the header of an IDX file with " + std::to_string(ndims) +
                   " dimensions is " + std::to_string(header) + " bytes");
  }
  IdxBytes idx;
  std::uint64_t elements = 1;
  bool overflow = false;
  for (std::size_t d = 0; d < ndims; ++d) {
    const std::uint32_t n = big_endian_u32(bytes.data() + 4 + 4 * d);
    idx.dims.push_back(n);
    if (n > INT_MAX) {
      fail(file, "dimension " + std::to_string(d) + " is " + std::to_string(n) +
                     ", more than this reader takes (" + std::to_string(INT_MAX) + ")");
    }
    if (n != 0 && elements > std::numeric_limits<std::uint64_t>::max() / n) overflow = true;
    elements *= n;
  }
  const std::uint64_t payload = bytes.size() - header;
  if (overflow || elements > payload) {
    fail(file, "truncated: the header says " + join_dims(idx.dims) + " = " +
                   (overflow ? std::string("more than 2^64") : std::to_string(elements)) +
                   " bytes of " + std::string(kind) + ", but the " + data + " holds " +
                   std::to_string(payload) + " after its " + std::to_string(header) +
                   "-byte header");
  }
  if (elements < payload) {
    fail(file, "dimensions and size disagree: the header says " + join_dims(idx.dims) + " = " +
                   std::to_string(elements) + " bytes of " + std::string(kind) + ", but the " +
                   data + " holds " + std::to_string(payload) + " after its " +
                   std::to_string(header) + "-byte header (" + std::to_string(payload - elements) +
                   (payload - elements == 1 ? " byte" : " bytes") + " too many)");
  }
  idx.elements.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return idx;
}

}  // namespace

std::vector<std::uint8_t> read_maybe_gzipped_file(const fs::path& file) {
  std::vector<std::uint8_t> bytes = read_whole_file(file);
  if (starts_with_gzip_magic(bytes.data(), bytes.size())) bytes = gunzip(file, bytes);
  return bytes;
}

IdxImages read_idx_images(const fs::path& file) {
  IdxBytes idx = read_idx(file, kIdxImagesMagic, "images");
  IdxImages images;
  images.count = static_cast<int>(idx.dims[0]);
  images.rows = static_cast<int>(idx.dims[1]);
  images.cols = static_cast<int>(idx.dims[2]);
  if (images.rows == 0 || images.cols == 0) {
    fail(file, "images of " + std::to_string(images.rows) + " x " + std::to_string(images.cols) +
                   " pixels: an image needs at least one");
  }
  images.pixels = std::move(idx.elements);
  return images;
}

std::vector<std::uint8_t> read_idx_labels(const fs::path& file) {
  return read_idx(file, kIdxLabelsMagic, "labels").elements;
}

std::span<const float> ImageDataset::image(int i) const {
  if (i < 0 || i >= count) {
    throw InvalidArgument(name + ": image " + std::to_string(i) + " is outside 0.." +
                          std::to_string(count - 1));
  }
  const auto f = static_cast<std::size_t>(features());
  return std::span<const float>(images).subspan(static_cast<std::size_t>(i) * f, f);
}

ImageDataset load_idx_dataset(const fs::path& images_file, const fs::path& labels_file,
                              std::vector<std::string> class_names, std::string name) {
  if (class_names.empty()) {
    throw InvalidArgument("load_idx_dataset(" + name + "): no class names (one per label value)");
  }
  IdxImages images = read_idx_images(images_file);
  const std::vector<std::uint8_t> labels = read_idx_labels(labels_file);
  if (labels.size() != static_cast<std::size_t>(images.count)) {
    fail(labels_file, std::to_string(labels.size()) + " labels but " +
                          std::to_string(images.count) + " images (in " + images_file.string() +
                          ")");
  }
  const int classes = static_cast<int>(class_names.size());
  std::size_t first_bad = labels.size(), bad = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] >= classes) {
      if (bad++ == 0) first_bad = i;
    }
  }
  if (bad != 0) {
    fail(labels_file,
         "label " + std::to_string(labels[first_bad]) + " at index " + std::to_string(first_bad) +
             (bad > 1 ? " (and " + std::to_string(bad - 1) + " more)" : "") + " is outside 0.." +
             std::to_string(classes - 1) + " (" + std::to_string(classes) + " classes)");
  }

  ImageDataset data;
  data.name = std::move(name);
  data.count = images.count;
  data.rows = images.rows;
  data.cols = images.cols;
  data.class_names = std::move(class_names);
  std::array<float, 256> scale;  // exactly p / 255.0f
  for (int p = 0; p < 256; ++p) scale[static_cast<std::size_t>(p)] = static_cast<float>(p) / 255.0f;
  data.images.resize(images.pixels.size());
  std::transform(images.pixels.begin(), images.pixels.end(), data.images.begin(),
                 [&](std::uint8_t p) { return scale[p]; });
  data.labels.assign(labels.begin(), labels.end());
  return data;
}

PixelStatistics pixel_statistics(const ImageDataset& data) {
  if (data.images.empty()) throw InvalidArgument(data.name + ": no pixels to take statistics of");
  const double n = static_cast<double>(data.images.size());
  double sum = 0.0;
  for (float v : data.images) sum += v;
  const double mean = sum / n;
  double squares = 0.0;  // two passes: no cancellation
  for (float v : data.images) squares += (v - mean) * (v - mean);
  return {mean, std::sqrt(squares / n)};
}

void normalize(ImageDataset& data, double mean, double stddev) {
  if (!(stddev > 0.0) || !std::isfinite(stddev) || !std::isfinite(mean)) {
    throw InvalidArgument(data.name + ": normalize by mean " + std::to_string(mean) +
                          " and standard deviation " + std::to_string(stddev) +
                          ": the deviation must be positive and both finite");
  }
  const float m = static_cast<float>(mean), inv = static_cast<float>(1.0 / stddev);
  for (float& v : data.images) v = (v - m) * inv;
  // x0 = (p/255 - m0) / s0 and x1 = (x0 - m) / s give x1 = (p/255 - (m0 + m s0)) / (s0 s).
  data.mean += mean * data.stddev;
  data.stddev *= stddev;
}

}  // namespace aisys::kernels
