// trainscope: the command-line program. Reads a training log, writes an analysis (JSON or text),
// a Markdown report with figures, or a pass/fail check for scripts.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include "trainscope/io.hpp"
#include "trainscope/report/analysis.hpp"
#include "trainscope/report/analysis_json.hpp"
#include "trainscope/report/figures.hpp"
#include "trainscope/report/markdown.hpp"
#include "trainscope/version.hpp"
#include "png_rasterizer.hpp"

namespace {

using namespace trainscope;

// Exit codes, sysexits(3) style. Documented in --help and README.
constexpr int exit_ok = 0;
constexpr int exit_check_failed = 1;  // `check`: the verdict is one of --fail-on
constexpr int exit_usage = 64;        // EX_USAGE: the command line is wrong
constexpr int exit_data = 65;         // EX_DATAERR: the input was read but held no usable run
constexpr int exit_no_input = 66;     // EX_NOINPUT: the input cannot be opened (missing, directory, FIFO)
constexpr int exit_software = 70;     // EX_SOFTWARE: an internal error
constexpr int exit_cant_create = 73;  // EX_CANTCREAT: the output cannot be written
constexpr int exit_io = 74;           // EX_IOERR: reading failed part-way

constexpr const char* usage_text = R"(Usage:
  trainscope analyze LOG [--json] [options]       analysis as text, or one JSON document with --json
  trainscope report LOG -o DIR [options]          Markdown report with figures: DIR/report.md
  trainscope check LOG --fail-on VERDICTS [opts]  exit 1 when the verdict is one of VERDICTS
  trainscope --help | --version

LOG is a file, a TensorBoard directory, or - for standard input. The format is detected from the content:
JSON Lines, HF trainer_state.json, CSV (Lightning, Keras, YOLO), TensorBoard event files, llm.c text logs.

Options:
  --format NAME           read LOG as NAME (jsonl, hf_trainer_state, csv, tfevents, llmc_text) instead of detecting it
  --lr-at S1,S2,...       learning rate of the reconstructed schedule at these logged steps (also past the end)
  --key ROLE=NAME         use key NAME for ROLE (step, train_loss, val_loss, lr, epoch, wall_time); repeatable
  --strict                stop at the first unreadable record instead of skipping and counting it
  --restart last|merge    a step counter that falls back to its start begins a new run: analyse the
                          last run (default), or merge the runs as a resume (later records win)
  --perplexity auto|on|off  show perplexity (auto: only when the log says the loss is per-token cross-entropy)
  --threads N             threads for reading and analysis: a JSON Lines file of more than a few MiB is
                          parsed by N threads, and the schedule fit runs beside the diagnosis (default:
                          the machine's cores, at most 8; the output is the same for every N)
  -o, --output DIR        report: folder to create and write report.md and figures into
  --no-png                report: SVG figures only
  --generated-at TEXT     report: a "Generated" line (left out by default, so reports are reproducible)
  --fail-on V1,V2         check: verdicts that fail (well_fit, under_trained, overfitting, memorization,
                          plateau, diverged, insufficient_data)
  -q, --quiet             no notes on stderr

Output: results go to stdout (with --json, only the JSON document); notes, warnings and errors to stderr.
Exit codes: 0 a run was read (even with skipped lines or a bad verdict); 1 check: verdict in --fail-on;
64 usage error; 65 no usable data in the input; 66 input cannot be opened; 73 output cannot be written;
74 read error (or the file was truncated while read); 70 internal error.
)";

// Threads when --threads is not given: the machine's cores, at most 8 (reading stops scaling there).
unsigned default_threads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : std::min(cores, 8u);
}

struct cli_options {
  std::string command, input, output_dir, generated_at;
  std::optional<io::log_format> format;
  bool json = false, png = true, quiet = false;
  std::vector<std::string> fail_on;
  io::read_options read;
  report::analyze_options analyze;
  cli_options() { read.threads = analyze.threads = default_threads(); }
};

struct usage_error {
  std::string message;
};

std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto comma = s.find(',');
    auto part = s.substr(0, comma);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

bool is_verdict(std::string_view v) {
  for (auto known : {verdict::well_fit, verdict::under_trained, verdict::overfitting, verdict::memorization,
                     verdict::plateau, verdict::diverged, verdict::insufficient_data})
    if (to_string(known) == v) return true;
  return false;
}

// Returns the options, or a usage error; --help and --version are handled by the caller.
std::variant<cli_options, usage_error> parse_args(const std::vector<std::string_view>& args) {
  cli_options o;
  std::size_t i = 0;
  auto need_value = [&](std::string_view flag) -> std::optional<std::string_view> {
    if (i + 1 >= args.size()) return std::nullopt;
    (void)flag;
    return args[++i];
  };
  if (args.empty()) return usage_error{"no command given"};
  o.command = std::string(args[0]);
  if (o.command != "analyze" && o.command != "report" && o.command != "check")
    return usage_error{"unknown command '" + o.command + "'"};
  for (i = 1; i < args.size(); ++i) {
    std::string_view a = args[i];
    auto value = [&]() -> std::optional<std::string_view> { return need_value(a); };
    if (a == "--json") {
      o.json = true;
    } else if (a == "--no-png") {
      o.png = false;
    } else if (a == "--strict") {
      o.read.on_bad_record = io::bad_record_policy::fail;
    } else if (a == "-q" || a == "--quiet") {
      o.quiet = true;
    } else if (a == "--format") {
      auto v = value();
      if (!v) return usage_error{"--format needs a format name"};
      auto f = io::parse_format_name(*v);
      if (f == io::log_format::unknown) return usage_error{"unknown format '" + std::string(*v) + "'"};
      o.format = f;
    } else if (a == "--lr-at") {
      auto v = value();
      if (!v) return usage_error{"--lr-at needs a list of steps"};
      for (const auto& part : split_commas(*v)) {
        auto s = parse_int(part);
        if (!s) return usage_error{"--lr-at: '" + part + "' is not a whole step number"};
        o.analyze.lr_at_steps.push_back(*s);
      }
    } else if (a == "--key") {
      auto v = value();
      auto eq = v ? v->find('=') : std::string_view::npos;
      if (!v || eq == std::string_view::npos) return usage_error{"--key needs ROLE=NAME"};
      std::string role(v->substr(0, eq)), name(v->substr(eq + 1));
      auto& k = o.read.keys;
      if (role == "step") k.step = name;
      else if (role == "train_loss") k.train_loss = name;
      else if (role == "val_loss") k.val_loss = name;
      else if (role == "lr") k.lr = name;
      else if (role == "epoch") k.epoch = name;
      else if (role == "wall_time") k.wall_time = name;
      else return usage_error{"--key: unknown role '" + role + "'"};
    } else if (a == "--restart") {
      auto v = value();
      if (v == "last") o.read.build.on_restart = restart_policy::last_run;
      else if (v == "merge") o.read.build.on_restart = restart_policy::merge;
      else return usage_error{"--restart takes last or merge"};
    } else if (a == "--perplexity") {
      auto v = value();
      if (v == "auto") o.analyze.perplexity = report::perplexity_mode::automatic;
      else if (v == "on") o.analyze.perplexity = report::perplexity_mode::on;
      else if (v == "off") o.analyze.perplexity = report::perplexity_mode::off;
      else return usage_error{"--perplexity takes auto, on or off"};
    } else if (a == "--threads") {
      auto v = value();
      auto n = v ? parse_int(*v) : std::nullopt;
      if (!n || *n < 1 || *n > 256) return usage_error{"--threads takes a number from 1 to 256"};
      o.read.threads = static_cast<unsigned>(*n);
      o.analyze.threads = static_cast<unsigned>(*n);
    } else if (a == "-o" || a == "--output") {
      auto v = value();
      if (!v) return usage_error{"-o needs a folder"};
      o.output_dir = std::string(*v);
    } else if (a == "--generated-at") {
      auto v = value();
      if (!v) return usage_error{"--generated-at needs a text"};
      o.generated_at = std::string(*v);
    } else if (a == "--fail-on") {
      auto v = value();
      if (!v) return usage_error{"--fail-on needs a list of verdicts"};
      for (const auto& part : split_commas(*v)) {
        if (!is_verdict(part)) return usage_error{"--fail-on: unknown verdict '" + part + "'"};
        o.fail_on.push_back(part);
      }
    } else if (a.size() > 1 && a[0] == '-' && a != "-") {
      return usage_error{"unknown option '" + std::string(a) + "'"};
    } else if (o.input.empty()) {
      o.input = std::string(a);
    } else {
      return usage_error{"more than one input given ('" + o.input + "', '" + std::string(a) + "')"};
    }
  }
  if (o.input.empty()) return usage_error{"no input log given"};
  if (o.command == "report" && o.output_dir.empty()) return usage_error{"report needs -o DIR"};
  if (o.command == "check" && o.fail_on.empty()) return usage_error{"check needs --fail-on VERDICTS"};
  if (o.json && o.command != "analyze") return usage_error{"--json goes with analyze"};
  return o;
}

int exit_code_for(errc code) {
  switch (code) {
    case errc::cannot_open: return exit_no_input;
    case errc::io_error: return exit_io;
    case errc::invalid_argument: return exit_usage;
    case errc::empty_input:
    case errc::malformed:
    case errc::no_usable_data:
    case errc::unsupported: return exit_data;
    case errc::none: break;
  }
  return exit_software;
}

void note_reading(const cli_options& o, const run& r) {
  if (o.quiet) return;
  const auto& d = r.diagnostics;
  std::cerr << "trainscope: read " << r.source.path << " as " << r.source.format << ": " << d.records << " records";
  if (d.skipped_records) std::cerr << ", " << d.skipped_records << " unreadable record(s) skipped";
  if (d.skipped_values) std::cerr << ", " << d.skipped_values << " unusable value(s) skipped";
  if (d.repeated_steps) std::cerr << ", " << d.repeated_steps << " repeated step(s) (later records win)";
  if (d.restarts) std::cerr << ", " << d.restarts << " restart(s): analysing the last run";
  if (d.truncated_last_line) std::cerr << ", last line cut off";
  std::cerr << "\n";
  for (std::size_t i = 0; i < d.issues.size() && i < 5; ++i) {
    const auto& is = d.issues[i];
    std::cerr << "trainscope: " << r.source.path << ":" << is.line;
    if (!is.field.empty()) std::cerr << ": field '" << is.field << "'";
    std::cerr << ": " << is.message << "\n";
  }
  if (d.issues.size() > 5) std::cerr << "trainscope: (" << d.issues.size() - 5 << " more issues in the output)\n";
}

bool write_file(const std::string& path, std::string_view content, std::string& err) {
  std::ofstream f(path, std::ios::binary);
  f.write(content.data(), static_cast<std::streamsize>(content.size()));
  f.close();
  if (!f) err = "cannot write " + path + ": " + std::strerror(errno);
  return static_cast<bool>(f);
}

bool make_dir(const std::string& dir, std::string& err) {
  if (::mkdir(dir.c_str(), 0777) == 0) return true;
  struct stat st {};
  if (errno == EEXIST && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return true;
  err = "cannot create folder " + dir + ": " + std::strerror(errno);
  return false;
}

int write_report(const cli_options& o, const run& r, const report::analysis& a) {
  std::string err;
  if (!make_dir(o.output_dir, err)) {
    std::cerr << "trainscope: " << err << "\n";
    return exit_cant_create;
  }
  report::markdown_options mo;
  mo.generated_at = o.generated_at;
  struct figure {
    std::string file;
    std::string svg;
  };
  std::vector<figure> figures;
  figures.push_back({"train_val_loss.svg", report::loss_figure(r, a)});
  figures.push_back({"perplexity_gap.svg", report::perplexity_gap_figure(a)});
  if (!r.lr.empty()) figures.push_back({"lr_schedule.svg", report::lr_figure(r, a)});
  else mo.figures.lr.clear();
  if (a.checkpoints.empty()) mo.figures.perplexity.clear();
  for (const auto& f : figures) {
    if (!write_file(o.output_dir + "/" + f.file, f.svg, err)) {
      std::cerr << "trainscope: " << err << "\n";
      return exit_cant_create;
    }
    if (o.png && trainscope::tools::have_png_rasterizer) {
      std::string png = o.output_dir + "/" + f.file.substr(0, f.file.size() - 4) + ".png";
      if (!trainscope::tools::write_png_from_svg(f.svg, png, err) && !o.quiet)
        std::cerr << "trainscope: no PNG copy: " << err << "\n";
    }
  }
  const std::string md_path = o.output_dir + "/report.md";
  if (!write_file(md_path, report::to_markdown(a, mo), err)) {
    std::cerr << "trainscope: " << err << "\n";
    return exit_cant_create;
  }
  if (!o.quiet) std::cerr << "trainscope: wrote " << md_path << "\n";
  return exit_ok;
}

void print_text_summary(const report::analysis& a) {
  const auto& d = a.diagnosis;
  std::cout << "log:      " << a.source.path << " (" << a.source.format << ")\n";
  std::cout << "steps:    " << a.first_step << " to " << a.last_step << ", " << a.records << " records\n";
  if (a.train_last_loss)
    std::cout << "train:    " << report::fixed(*a.train_first_loss, 4) << " -> " << report::fixed(*a.train_last_loss, 4)
              << " (last logged step " << *a.train_last_step << ")\n";
  if (!a.checkpoints.empty() && a.checkpoints.back().val_loss)
    std::cout << "val:      " << a.checkpoints.size() << " checkpoints, last "
              << report::fixed(*a.checkpoints.back().val_loss, 4) << " at step " << a.checkpoints.back().step << "\n";
  std::cout << "verdict:  " << to_string(d.verdict) << ": " << d.summary << "\n";
  for (const auto& f : d.findings)
    std::cout << "finding:  " << f.kind << (f.step ? " at step " + std::to_string(*f.step) : "") << ": " << f.message
              << "\n";
  if (a.schedule.fitted)
    std::cout << "schedule: " << a.schedule.fitted->family << " (fitted; largest relative error "
              << report::percent(a.schedule.fitted->max_relative_error, 3) << ")\n";
  for (const auto& [step, lr] : a.schedule.lr_at) std::cout << "lr_at:    step " << step << ": " << report::general(lr, 6) << "\n";
  for (const auto& r : d.recommendations) std::cout << "advice:   " << r << "\n";
}

// A large JSON Lines file is read through a memory map (read_options::map_input). Should another
// process truncate it meanwhile, touching a page past the new end raises SIGBUS: this turns that
// into the message and exit code of any other failed read, instead of a crash.
char truncated_message[512];
std::size_t truncated_message_size = 0;

extern "C" void on_truncated_input(int) {
  // Only async-signal-safe calls here: the message was composed before reading began.
  [[maybe_unused]] const auto n = ::write(2, truncated_message, truncated_message_size);
  ::_exit(exit_io);
}

void exit_cleanly_if_truncated(const std::string& path) {
  const std::string m = "trainscope: " + path.substr(0, 400) + ": the file was truncated while it was read\n";
  std::memcpy(truncated_message, m.data(), m.size());
  truncated_message_size = m.size();
  struct sigaction sa {};
  sa.sa_handler = on_truncated_input;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGBUS, &sa, nullptr);
}

// read_log streams JSON Lines files in bounded blocks; the CLI also leaves unread the numeric fields
// without a role (run::extra), which enter no output. `analyze` and `check` keep only summaries of the
// epoch and wall-time columns (what their output reads of them); a log that resumes cannot be summarized,
// so it is read again with the columns. `report` draws epoch boundaries, so it keeps the columns.
result<run> read_input_log(cli_options o) {
  o.read.skip_columns |= io::columns::extra;
  o.read.map_input = true;
  exit_cleanly_if_truncated(o.input);
  if (o.command != "report" && o.input != "-") {
    io::read_options summarized = o.read;
    summarized.build.summarize_epoch = summarized.build.summarize_wall_time = true;
    auto r = io::read_log(o.input, o.format, summarized);
    if (!r || (r->epoch_summary.exact() && r->wall_time_summary.exact())) return r;
  }
  return io::read_log(o.input, o.format, o.read);
}

int run_command(const cli_options& o) {
  auto read = read_input_log(o);
  if (!read) {
    std::cerr << "trainscope: " << to_string(read.error()) << "\n";
    return exit_code_for(read.error().code);
  }
  run& r = *read;
  note_reading(o, r);
  if (!r.has_loss()) {
    std::cerr << "trainscope: " << o.input << ": no training or validation loss found in " << r.diagnostics.records
              << " records\n";
    return exit_data;
  }
  const auto a = report::analyze(r, o.analyze);
  if (o.command == "analyze") {
    if (o.json) std::cout << report::to_json(a);
    else print_text_summary(a);
    std::cout.flush();
    return std::cout ? exit_ok : exit_io;
  }
  if (o.command == "report") return write_report(o, r, a);
  // check
  const std::string v(to_string(a.diagnosis.verdict));
  for (const auto& f : o.fail_on)
    if (f == v) {
      std::cout << "FAIL " << v << ": " << a.diagnosis.summary << "\n";
      return exit_check_failed;
    }
  std::cout << "OK " << v << ": " << a.diagnosis.summary << "\n";
  return exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  for (auto a : args) {
    if (a == "--help" || a == "-h" || a == "help") {
      std::cout << "trainscope " << TRAINSCOPE_VERSION_STRING << ": reads a training log and says what happened.\n\n"
                << usage_text;
      return exit_ok;
    }
    if (a == "--version") {
      std::cout << "trainscope " << TRAINSCOPE_VERSION_STRING << "\n";
      return exit_ok;
    }
  }
  auto parsed = parse_args(args);
  if (auto* e = std::get_if<usage_error>(&parsed)) {
    std::cerr << "trainscope: " << e->message << "\n" << usage_text;
    return exit_usage;
  }
  try {
    return run_command(std::get<cli_options>(parsed));
  } catch (const std::bad_alloc&) {
    std::cerr << "trainscope: out of memory\n";
    return exit_software;
  } catch (const std::exception& ex) {
    std::cerr << "trainscope: internal error: " << ex.what() << "\n";
    return exit_software;
  }
}
