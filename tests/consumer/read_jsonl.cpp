// Built against the installed package's json component: reads a JSONL log given on the command line.
#include <cstdio>
#include <trainscope/io/jsonl.hpp>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  auto r = trainscope::io::read_jsonl_file(argv[1]);
  if (!r) {
    std::fprintf(stderr, "%s\n", trainscope::to_string(r.error()).c_str());
    return 1;
  }
  std::printf("%zu training losses, %zu validation losses\n", r->train_loss.size(), r->val_loss.size());
  return r->train_loss.empty() ? 1 : 0;
}
