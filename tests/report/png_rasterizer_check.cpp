// PNG output through librsvg (tools/png_rasterizer.hpp), built only when librsvg is installed
// (tests/report/sample_log.cmake). The PNG is read back with cairo and its pixels inspected.
#include <doctest/doctest.h>

#include <cairo.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "png_rasterizer.hpp"
#include "trainscope/report/svg_plot.hpp"

using namespace trainscope::report;

namespace {

/// A temporary path unique to this process run (the g++ and clang builds' tests may run at once).
std::string temp_png(const char* name) {
  static const std::string tag = std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  return (std::filesystem::temp_directory_path() / (tag + "_" + name)).string();
}

struct pixels {
  int width = 0, height = 0;
  std::vector<std::uint32_t> argb;
  std::uint32_t at(int x, int y) const { return argb[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)]; }
};

pixels read_png(const std::string& path) {
  pixels p;
  cairo_surface_t* s = cairo_image_surface_create_from_png(path.c_str());
  if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS) {
    cairo_surface_flush(s);
    p.width = cairo_image_surface_get_width(s);
    p.height = cairo_image_surface_get_height(s);
    const int stride = cairo_image_surface_get_stride(s);
    const unsigned char* data = cairo_image_surface_get_data(s);
    for (int y = 0; y < p.height; ++y)
      for (int x = 0; x < p.width; ++x)
        p.argb.push_back(*reinterpret_cast<const std::uint32_t*>(data + y * stride + x * 4));
  }
  cairo_surface_destroy(s);
  return p;
}

bool reddish(std::uint32_t argb) {
  const auto r = (argb >> 16) & 0xff, g = (argb >> 8) & 0xff, b = argb & 0xff;
  return r > 180 && g < 90 && b < 90;
}

}  // namespace

TEST_CASE("png: a figure rasterises at its pixel size, with the series drawn in its colour") {
  REQUIRE(trainscope::tools::have_png_rasterizer);
  const std::vector<double> x{0, 100};
  const std::vector<double> y{1, 1};
  plot_options o;
  o.title = "flat";
  o.y_min = 0;
  o.y_max = 2;
  const std::string svg = render_svg({{"level", x, y, "#ff0000", line_style::solid, false, 4}}, o);
  const std::string path = temp_png("trainscope_test_png_1x.png");
  std::string message;
  REQUIRE(trainscope::tools::write_png_from_svg(svg, path, message));
  CHECK(message.empty());
  const pixels img = read_png(path);
  CHECK(img.width == 860);
  CHECK(img.height == 420);
  REQUIRE(!img.argb.empty());
  CHECK(img.at(2, 2) == 0xffffffffU);  // white background, opaque
  // the line at y = 1 lies halfway down the frame: some row near the middle is red across most of the width
  int best = 0;
  for (int row = 0; row < img.height; ++row) {
    int red = 0;
    for (int col = 0; col < img.width; ++col) red += reddish(img.at(col, row));
    best = std::max(best, red);
  }
  CHECK(best > img.width / 2);
  std::filesystem::remove(path);

  const std::string path2 = temp_png("trainscope_test_png_2x.png");
  REQUIRE(trainscope::tools::write_png_from_svg(svg, path2, message, 2.0));
  const pixels big = read_png(path2);
  CHECK(big.width == 1720);
  CHECK(big.height == 840);
  std::filesystem::remove(path2);
}

TEST_CASE("png: errors are reported, not thrown") {
  std::string message;
  CHECK_FALSE(trainscope::tools::write_png_from_svg("this is not svg", temp_png("trainscope_bad.png"), message));
  CHECK(!message.empty());
  message.clear();
  const std::string svg = render_svg({}, plot_options{});
  CHECK_FALSE(trainscope::tools::write_png_from_svg(svg, "/nonexistent-dir/x.png", message));
  CHECK(message.find("/nonexistent-dir/x.png") != std::string::npos);
}
