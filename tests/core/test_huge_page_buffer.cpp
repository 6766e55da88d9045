#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>

#include "trainscope/core/detail/huge_page_buffer.hpp"

using trainscope::detail::huge_page_buffer;

TEST_CASE("a huge-page scratch buffer holds what is written to each of its elements, small or large") {
  // Below 2 MiB it is plain malloc; from 2 MiB on (on Linux) 2 MiB-aligned memory with the huge-page hint.
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{1000}, std::size_t{(2u << 20) / 8 + 3}}) {
    INFO(n, " doubles");
    huge_page_buffer<double> buffer(n);
    REQUIRE(buffer.data() != nullptr);
    for (std::size_t i = 0; i < n; ++i) buffer.data()[i] = static_cast<double>(i) * 0.5;
    bool all = true;
    for (std::size_t i = 0; i < n; ++i) all = all && buffer.data()[i] == static_cast<double>(i) * 0.5;
    CHECK(all);
#if defined(__linux__)
    if (n * sizeof(double) >= (2u << 20)) CHECK(reinterpret_cast<std::uintptr_t>(buffer.data()) % (2u << 20) == 0);
#endif
  }
}
