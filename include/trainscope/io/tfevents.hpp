#pragma once
/**
 * TensorBoard event files (`events.out.tfevents.*`) without libprotobuf: TFRecord framing
 * with both CRCs checked, then just the Event / Summary fields that hold scalars.
 *
 * Framing (TensorFlow, tensorflow/core/lib/io/record_writer.h, and the tf.data guide's
 * TFRecord section): uint64 length, uint32 masked CRC32C of the length, data,
 * uint32 masked CRC32C of the data, all little-endian.
 * Messages (tensorflow/core/util/event.proto, framework/summary.proto, tensor.proto):
 *   Event { double wall_time = 1; int64 step = 2; Summary summary = 5; graph_def = 4; meta_graph_def = 9; ... }
 *   Summary { repeated Value value = 1; }
 *   Summary.Value { string tag = 1; float simple_value = 2; TensorProto tensor = 8; ... }
 *   TensorProto { DataType dtype = 1; TensorShapeProto tensor_shape = 2; bytes tensor_content = 4;
 *                 repeated float float_val = 5 [packed]; repeated double double_val = 6 [packed];
 *                 repeated int32 int_val = 7; repeated int64 int64_val = 10; }
 *   TensorShapeProto { repeated Dim dim = 2; bool unknown_rank = 3; }  Dim { int64 size = 1; }
 */
#include <dirent.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "trainscope/core/run.hpp"
#include "trainscope/core/run_builder.hpp"
#include "trainscope/io/detail/crc32c.hpp"
#include "trainscope/io/detail/input.hpp"
#include "trainscope/io/detail/metric_names.hpp"
#include "trainscope/io/detail/protobuf_wire.hpp"
#include "trainscope/io/detail/reader_common.hpp"
#include "trainscope/io/detail/row_assembler.hpp"
#include "trainscope/io/read_options.hpp"
#include "trainscope/result.hpp"

namespace trainscope::inline v1::io {

namespace detail {

/** TFRecord header (length + masked CRC of it, see crc32c.hpp) and footer (masked CRC of the data). */
inline constexpr std::size_t tfrecord_header = tfrecord_header_bytes, tfrecord_footer = 4;

/** One scalar read from an event. */
struct tf_point {
  std::uint32_t tag = 0;  ///< index into tf_scalars::tags
  std::int64_t step = 0;
  double value = 0;
  double wall_time_s = 0;
  std::size_t record = 0;  ///< 1-based record index in its file
  std::uint64_t byte_offset = 0;
};

/** Scalars of one or more event files, in file order, with tags interned. */
struct tf_scalars {
  std::deque<std::string> tag_storage;  // deque: views into it stay valid as it grows
  std::unordered_map<std::string_view, std::uint32_t> tag_index;
  std::vector<std::string_view> tags;
  std::vector<tf_point> points;
  read_diagnostics diagnostics;
  std::size_t skipped_non_scalar = 0;  ///< graph, image, histogram, text records passed over

  std::uint32_t intern(std::string_view prefix, std::string_view tag) {
    if (prefix.empty())  // the common case: look up without building a string
      if (auto it = tag_index.find(tag); it != tag_index.end()) return it->second;
    std::string name;
    name.reserve(prefix.size() + tag.size());
    name.append(prefix).append(tag);
    if (auto it = tag_index.find(name); it != tag_index.end()) return it->second;
    const std::string_view stored = tag_storage.emplace_back(std::move(name));
    const auto id = static_cast<std::uint32_t>(tags.size());
    tags.push_back(stored);
    tag_index.emplace(stored, id);
    return id;
  }
};

/// Number of elements of a TensorShapeProto, or nullopt for unknown rank / malformed.
inline std::optional<std::uint64_t> tensor_elements(std::string_view shape) noexcept {
  pb_reader r(shape);
  pb_field f;
  std::uint64_t n = 1;
  while (r.next(f)) {
    if (f.number == 3 && f.type == wire_type::varint && f.scalar) return std::nullopt;  // unknown_rank
    if (f.number != 2 || f.type != wire_type::length_delimited) continue;
    pb_reader dim(f.bytes);
    pb_field d;
    std::uint64_t size = 1;
    while (dim.next(d))
      if (d.number == 1 && d.type == wire_type::varint) size = d.scalar;
    if (dim.failed() || size > (std::uint64_t(1) << 40)) return std::nullopt;  // -1 (unknown) is huge as uint64
    n *= size;
    if (n > (std::uint64_t(1) << 40)) return std::nullopt;
  }
  if (r.failed()) return std::nullopt;
  return n;
}

/**
 * The value of a one-element numeric TensorProto (TF2 `tf.summary.scalar`, PyTorch's
 * tensor summaries). Anything else (strings, images, histograms) is nullopt.
 */
inline std::optional<double> tensor_scalar(std::string_view tensor) noexcept {
  enum : std::uint64_t { dt_float = 1, dt_double = 2, dt_int32 = 3, dt_int64 = 9 };
  pb_reader r(tensor);
  pb_field f;
  std::uint64_t dtype = 0;
  std::optional<std::uint64_t> elements = 1;  // no shape field: a scalar
  std::string_view content;
  std::optional<double> listed;
  auto first_packed = [&](const pb_field& p, int width) -> std::optional<double> {
    // a repeated scalar field: packed (length-delimited) or one element per field
    if (p.type == wire_type::length_delimited) {
      if (width == 4 && p.bytes.size() >= 4)
        return pb_float(load_le32(reinterpret_cast<const unsigned char*>(p.bytes.data())));
      if (width == 8 && p.bytes.size() >= 8)
        return pb_double(load_le64(reinterpret_cast<const unsigned char*>(p.bytes.data())));
      if (width == 0) {
        // a packed varint list: the first element, decoded by hand
        std::uint64_t x = 0;
        int shift = 0;
        for (unsigned char b : p.bytes) {
          x |= std::uint64_t(b & 0x7fu) << shift;
          if (!(b & 0x80u)) return static_cast<double>(static_cast<std::int64_t>(x));
          shift += 7;
          if (shift > 63) break;
        }
      }
      return std::nullopt;
    }
    if (width == 4 && p.type == wire_type::fixed32) return pb_float(p.scalar);
    if (width == 8 && p.type == wire_type::fixed64) return pb_double(p.scalar);
    if (width == 0 && p.type == wire_type::varint) return static_cast<double>(static_cast<std::int64_t>(p.scalar));
    return std::nullopt;
  };
  while (r.next(f)) {
    switch (f.number) {
      case 1: if (f.type == wire_type::varint) dtype = f.scalar; break;
      case 2: if (f.type == wire_type::length_delimited) elements = tensor_elements(f.bytes); break;
      case 4: if (f.type == wire_type::length_delimited) content = f.bytes; break;
      case 5: if (!listed) listed = first_packed(f, 4); break;
      case 6: if (!listed) listed = first_packed(f, 8); break;
      case 7:
      case 10: if (!listed) listed = first_packed(f, 0); break;
      default: break;
    }
  }
  if (r.failed() || !elements || *elements != 1) return std::nullopt;
  const auto* c = reinterpret_cast<const unsigned char*>(content.data());
  switch (dtype) {
    case dt_float: if (content.size() == 4) return pb_float(load_le32(c)); break;
    case dt_double: if (content.size() == 8) return pb_double(load_le64(c)); break;
    case dt_int32: if (content.size() == 4) return static_cast<double>(static_cast<std::int32_t>(load_le32(c))); break;
    case dt_int64: if (content.size() == 8) return static_cast<double>(static_cast<std::int64_t>(load_le64(c))); break;
    default: return std::nullopt;
  }
  return content.empty() ? listed : std::nullopt;
}

/** Decodes one Event; false when its protobuf is malformed. Nesting is fixed (Event > Summary > Value > Tensor > Shape > Dim). */
inline bool decode_event(std::string_view data, std::string_view tag_prefix, std::size_t record_index,
                         std::uint64_t byte_offset, tf_scalars& out) {
  pb_reader r(data);
  pb_field f;
  double wall = 0;
  std::int64_t step = 0;
  std::string_view summary;
  bool has_summary = false, other = false;
  while (r.next(f)) {
    if (f.number == 1 && f.type == wire_type::fixed64) wall = pb_double(f.scalar);
    else if (f.number == 2 && f.type == wire_type::varint) step = static_cast<std::int64_t>(f.scalar);
    else if (f.number == 5 && f.type == wire_type::length_delimited) summary = f.bytes, has_summary = true;
    else if (f.number != 3) other = true;  // graph_def, meta_graph_def, session_log...: skipped by length, not decoded
  }
  if (r.failed()) return false;
  if (!has_summary) {
    out.skipped_non_scalar += other;
    return true;
  }
  pb_reader s(summary);
  bool any_scalar = false;
  while (s.next(f)) {
    if (f.number != 1 || f.type != wire_type::length_delimited) continue;
    pb_reader v(f.bytes);
    pb_field g;
    std::string_view tag;
    std::optional<double> value;
    while (v.next(g)) {
      if (g.number == 1 && g.type == wire_type::length_delimited) tag = g.bytes;
      else if (g.number == 2 && g.type == wire_type::fixed32) value = pb_float(g.scalar);
      else if (g.number == 8 && g.type == wire_type::length_delimited && !value) value = tensor_scalar(g.bytes);
    }
    if (v.failed()) return false;
    if (!value || tag.empty()) continue;
    out.points.push_back({out.intern(tag_prefix, tag), step, *value, wall, record_index, byte_offset});
    any_scalar = true;
  }
  if (s.failed()) return false;
  if (!any_scalar) ++out.skipped_non_scalar;
  return true;
}

/**
 * Walks the TFRecord framing of one file and collects its scalars. Stops at a length
 * whose CRC fails (the rest cannot be framed) or that runs past the end (a cut-off
 * write); skips a record whose data CRC fails. Never allocates from a length field.
 */
inline result<bool> scan_event_file(std::string_view bytes, const std::string& path, std::string_view tag_prefix,
                                    const read_options& options, tf_scalars& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  auto& d = out.diagnostics;
  const bool fail_fast = options.on_bad_record == bad_record_policy::fail;
  std::size_t pos = 0, index = 0;
  while (pos < n) {
    ++index;
    if (n - pos < tfrecord_header) {
      if (index == 1)
        return unexpected(make_error(errc::malformed, path, "too short for a TensorBoard event file", 0, 0));
      d.truncated_last_line = true;
      d.add_issue({index, pos, {}, "input ends inside a record header (cut off)"});
      break;
    }
    const std::uint64_t len = load_le64(p + pos);
    if (masked_crc32c(p + pos, 8) != load_le32(p + pos + 8)) {
      std::string msg = "record length CRC mismatch: not a TFRecord file, or corrupt from here on";
      if (index == 1 || fail_fast)
        return unexpected(make_error(errc::malformed, path, std::move(msg), 0, pos));
      ++d.skipped_records;
      d.add_issue({index, pos, {}, std::move(msg) + "; the rest of the file is not read"});
      break;
    }
    const std::size_t room = n - pos - tfrecord_header;
    if (len > room || room - len < tfrecord_footer) {  // also catches 2^60 before any use of len
      std::string msg = "record of " + std::to_string(len) + " bytes runs past the end of the input (" +
                        std::to_string(room) + " bytes left)";
      if (fail_fast) return unexpected(make_error(errc::malformed, path, std::move(msg), 0, pos));
      d.truncated_last_line = true;
      ++d.skipped_records;
      d.add_issue({index, pos, {}, std::move(msg)});
      break;
    }
    const auto size = static_cast<std::size_t>(len);
    const unsigned char* data = p + pos + tfrecord_header;
    if (masked_crc32c(data, size) != load_le32(data + size)) {
      std::string msg = "record data CRC mismatch; record skipped";
      if (fail_fast) return unexpected(make_error(errc::malformed, path, std::move(msg), 0, pos));
      ++d.skipped_records;
      d.add_issue({index, pos, {}, std::move(msg)});
    } else if (!decode_event({reinterpret_cast<const char*>(data), size}, tag_prefix, index, pos, out)) {
      std::string msg = "malformed Event protobuf; record skipped";
      if (fail_fast) return unexpected(make_error(errc::malformed, path, std::move(msg), 0, pos));
      ++d.skipped_records;
      d.add_issue({index, pos, {}, std::move(msg)});
    }
    pos += tfrecord_header + size + tfrecord_footer;
  }
  return true;
}

/** Builds a run from collected scalars: tag roles by the alias rules, events at one step merged. */
inline result<run> build_tf_run(tf_scalars& scalars, const std::string& path, const read_options& options) {
  run_builder builder(source_info{path, "tfevents"}, options.build);
  const metric_plan plan = plan_metrics(scalars.tags, options.keys);
  if (plan.train_is_sum) builder.current().config.emplace_back("train_loss_definition", plan.train_definition);
  if (plan.val_is_sum) builder.current().config.emplace_back("val_loss_definition", plan.val_definition);
  builder.reserve(scalars.points.size() / std::max<std::size_t>(1, scalars.tags.size()));
  {
    row_assembler rows(plan, builder);
    for (const auto& pt : scalars.points) {
      if (plan.slots[pt.tag].kind == slot_kind::own_axis) {
        rows.own_axis_value(pt.tag, pt.step, pt.value);
        continue;
      }
      rows.begin(pt.step, pt.record, pt.byte_offset, pt.wall_time_s);
      rows.value(pt.tag, pt.value);
    }
    rows.flush();
  }
  auto& d = builder.diagnostics();
  const auto& s = scalars.diagnostics;
  d.skipped_records += s.skipped_records;
  d.truncated_last_line = d.truncated_last_line || s.truncated_last_line;
  for (const auto& issue : s.issues) d.add_issue(issue);
  return finish_run(std::move(builder), path, "event file");
}

}  // namespace detail

/**
 * Reads one TensorBoard event file into a run.
 *
 * Scalars come from `simple_value` or one-element numeric tensors; tags get roles by the
 * alias rules (train/loss, loss, train_loss_step, val_loss, val_loss_epoch, lr-SGD,
 * epoch_loss...). Lightning's `val_loss_step`, which counts validation batches on its own
 * axis, is kept in `extra` outside the global step axis. Graph, image and histogram records
 * are skipped by length. Event wall time becomes `wall_time_s`.
 *
 * Errors: `empty_input`; `malformed` when the first record's framing does not check (not an
 * event file) or, with `bad_record_policy::fail`, at the first bad record (byte offset set);
 * `no_usable_data` when no loss tag exists. A file cut off mid-record is read up to the cut
 * (`diagnostics.truncated_last_line`). O(n): every byte is CRC-checked once.
 */
inline result<run> read_tfevents(const detail::padded_input& in, const std::string& path,
                                 const read_options& options = {}) {
  if (in.size == 0) return unexpected(detail::make_error(errc::empty_input, path, "empty event file"));
  detail::tf_scalars scalars;
  auto scanned = detail::scan_event_file(in.view(), path, {}, options, scalars);
  if (!scanned) return unexpected(scanned.error());
  return detail::build_tf_run(scalars, path, options);
}

namespace detail {

/// Names of `events.out.tfevents.*` regular files directly in `dir`, sorted (the name carries the start time).
inline std::vector<std::string> event_files_in(const std::string& dir) {
  std::vector<std::string> files;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), &::closedir);
  if (!d) return files;
  while (const dirent* e = ::readdir(d.get())) {
    const std::string_view name = e->d_name;
    if (!name.starts_with("events.out.tfevents.")) continue;
    const std::string full = dir + "/" + std::string(name);
    if (regular_file_size(full)) files.push_back(full);
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace detail

/**
 * Reads every `events.out.tfevents.*` file in `dir` (sorted by name, so by start time) as one
 * run; a later file that repeats steps is a resume (later wins). When `dir` holds no event file
 * but Keras-style `train/` and `validation/` subfolders, their files are read with the
 * validation tags prefixed "validation/" (so `validation/epoch_loss` is the validation loss), and
 * the two timelines are interleaved by step (stable: train before validation at equal steps).
 * Errors: `cannot_open` when no event file is found; otherwise as `read_tfevents`.
 */
inline result<run> read_tfevents_dir(const std::string& dir, const read_options& options = {}) {
  std::vector<std::pair<std::string, std::string>> files;  // path, tag prefix
  for (auto& f : detail::event_files_in(dir)) files.emplace_back(std::move(f), "");
  const bool split_layout = files.empty();
  if (split_layout) {
    for (auto& f : detail::event_files_in(dir + "/train")) files.emplace_back(std::move(f), "");
    for (auto& f : detail::event_files_in(dir + "/validation")) files.emplace_back(std::move(f), "validation/");
  }
  if (files.empty())
    return unexpected(detail::make_error(errc::cannot_open, dir, "no events.out.tfevents.* file in this directory"));
  detail::tf_scalars scalars;  // tags are interned as copies, so each input may go after its scan
  for (const auto& [file, prefix] : files) {
    auto in = detail::read_input(file);
    if (!in) return unexpected(in.error());
    if (in->size == 0) continue;
    auto scanned = detail::scan_event_file(in->view(), file, prefix, options, scalars);
    if (!scanned) return unexpected(scanned.error());
  }
  if (split_layout)  // two parallel timelines of one run, not one after the other: interleave by step
    std::stable_sort(scalars.points.begin(), scalars.points.end(),
                     [](const detail::tf_point& a, const detail::tf_point& b) { return a.step < b.step; });
  return detail::build_tf_run(scalars, dir, options);
}

}  // namespace trainscope::inline v1::io
