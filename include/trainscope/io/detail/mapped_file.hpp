#pragma once
/**
 * A read-only memory map of an open file, for readers that go through it once, front to back: the
 * block readers then parse the page cache's bytes where they are instead of copying each block out
 * (the copy was about a tenth of the CPU time of reading a large log; mapping the pages costs back
 * about half of that). Pages behind the reader are released, so resident memory stays a few blocks,
 * not the file.
 *
 * The catch of every file map: if another process truncates the file while it is mapped, touching a
 * page past the new end raises SIGBUS. So mapping is opt-in (read_options::map_input), for callers that
 * handle that signal; the trainscope CLI does, and exits with a message.
 */
#include <algorithm>
#include <cstddef>
#include <cstdint>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#include <unistd.h>
#define TRAINSCOPE_HAS_MMAP 1
#else
#define TRAINSCOPE_HAS_MMAP 0
#endif

namespace trainscope::inline v1::io::detail {

class mapped_file {
 public:
  mapped_file() = default;
  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;
  ~mapped_file() { unmap(); }

  /// Maps the first `size` bytes of `fd`; false (and nothing mapped) where the system cannot.
  bool map(int fd, std::uint64_t size) noexcept {
    unmap();
#if TRAINSCOPE_HAS_MMAP
    if (fd < 0 || size == 0 || size > SIZE_MAX) return false;
    void* p = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) return false;
    data_ = static_cast<const char*>(p);
    size_ = static_cast<std::size_t>(size);
    const long page = ::sysconf(_SC_PAGESIZE);
    page_ = page > 0 ? static_cast<std::size_t>(page) : 4096;
#ifdef MADV_SEQUENTIAL
    ::madvise(p, size_, MADV_SEQUENTIAL);  // read-ahead, and pages behind may be dropped early
#endif
    return true;
#else
    (void)fd, (void)size;
    return false;
#endif
  }

  const char* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  explicit operator bool() const noexcept { return data_ != nullptr; }

  /// Maps the pages of [offset, offset + length) now, in one call, rather than one fault at a time
  /// as the parser reaches them. Only a hint: where the system has no such call, the faults do it.
  void prefetch(std::uint64_t offset, std::size_t length) const noexcept {
#if TRAINSCOPE_HAS_MMAP && defined(MADV_POPULATE_READ)
    if (!data_ || offset >= size_) return;
    const std::size_t from = static_cast<std::size_t>(offset) / page_ * page_;
    const std::size_t to = std::min<std::size_t>(size_, static_cast<std::size_t>(offset) + length);
    ::madvise(const_cast<char*>(data_) + from, to - from, MADV_POPULATE_READ);
#else
    (void)offset, (void)length;
#endif
  }

  /// Unmaps the whole pages before `offset` (they stay in the page cache): resident memory is then
  /// what is still ahead of the reader. A page touched again later is simply mapped again.
  void release_before(std::uint64_t offset) noexcept {
#if TRAINSCOPE_HAS_MMAP
    if (!data_) return;
    const std::size_t to = static_cast<std::size_t>(std::min<std::uint64_t>(offset, size_)) / page_ * page_;
    if (to <= released_) return;
    ::madvise(const_cast<char*>(data_) + released_, to - released_, MADV_DONTNEED);
    released_ = to;
#else
    (void)offset;
#endif
  }

 private:
  void unmap() noexcept {
#if TRAINSCOPE_HAS_MMAP
    if (data_) ::munmap(const_cast<char*>(data_), size_);
#endif
    data_ = nullptr;
    size_ = released_ = 0;
  }

  const char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t page_ = 4096;
  std::size_t released_ = 0;  // pages before this offset are released
};

}  // namespace trainscope::inline v1::io::detail
