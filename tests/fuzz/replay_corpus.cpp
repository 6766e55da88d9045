// Every fuzz harness over its seed corpus, without libFuzzer: a plain program that ctest runs under
// AddressSanitizer and UndefinedBehaviorSanitizer, so the harnesses compile with every change and their
// checks (no crash, an error always says why, the JSONL paths agree) hold on every corpus file.
//
//   replay_corpus CORPUS_DIR      reads CORPUS_DIR/<reader>/* for reader in jsonl hf csv tfevents text
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

// Each harness is compiled with LLVMFuzzerTestOneInput renamed (tests/CMakeLists.txt).
extern "C" int trainscope_fuzz_jsonl(const std::uint8_t* data, std::size_t size);
extern "C" int trainscope_fuzz_hf(const std::uint8_t* data, std::size_t size);
extern "C" int trainscope_fuzz_csv(const std::uint8_t* data, std::size_t size);
extern "C" int trainscope_fuzz_tfevents(const std::uint8_t* data, std::size_t size);
extern "C" int trainscope_fuzz_text(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  using harness = int (*)(const std::uint8_t*, std::size_t);
  const std::pair<const char*, harness> readers[] = {{"jsonl", trainscope_fuzz_jsonl},
                                                     {"hf", trainscope_fuzz_hf},
                                                     {"csv", trainscope_fuzz_csv},
                                                     {"tfevents", trainscope_fuzz_tfevents},
                                                     {"text", trainscope_fuzz_text}};
  for (const auto& [name, run] : readers) {
    const std::filesystem::path dir = std::filesystem::path(argv[1]) / name;
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      ++files;
    }
    std::printf("%s: %zu corpus files\n", name, files);
    if (files == 0) return 1;
  }
  return 0;
}
