#pragma once
/**
 * A scratch array of a long log's length, not zero-filled, whose pages Linux may back with 2 MiB huge pages
 * (transparent huge pages in "madvise" mode, Debian's default). Its first touch is where such an array costs:
 * faulting in 43 MB (a double per record of a gigabyte log) took 25-31 ms in 4 KiB pages on a VM, 3.5-4.6 ms in
 * huge pages. Elsewhere, for small arrays, or when the kernel ignores the hint, the pages are ordinary ones.
 */
#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <type_traits>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace trainscope::inline v1::detail {

template <class T>
class huge_page_buffer {
  static_assert(std::is_trivially_default_constructible_v<T> && std::is_trivially_destructible_v<T>);

 public:
  explicit huge_page_buffer(std::size_t n) {
    const std::size_t bytes = std::max<std::size_t>(1, n * sizeof(T));
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    constexpr std::size_t huge = std::size_t{2} << 20;
    if (bytes >= huge) {
      const std::size_t rounded = (bytes + huge - 1) / huge * huge;  // aligned_alloc: a multiple of the alignment
      if (void* p = std::aligned_alloc(huge, rounded)) {
        ::madvise(p, rounded, MADV_HUGEPAGE);  // a hint: when refused, the pages are ordinary ones
        data_.reset(static_cast<T*>(p));
        return;
      }
    }
#endif
    void* p = std::malloc(bytes);
    if (!p) throw std::bad_alloc();
    data_.reset(static_cast<T*>(p));
  }

  T* data() noexcept { return data_.get(); }
  const T* data() const noexcept { return data_.get(); }

 private:
  struct free_deleter {
    void operator()(T* p) const noexcept { std::free(p); }
  };
  std::unique_ptr<T, free_deleter> data_;
};

}  // namespace trainscope::inline v1::detail
