#pragma once
// PNG copies of the report's SVG figures, through librsvg's C API and cairo (no GTK), for viewers that do not
// show SVG. Compiled in when the build found librsvg-2.0's headers (TRAINSCOPE_HAVE_RSVG=1); otherwise the
// function reports that PNG output is unavailable, so callers need no #ifdef.
//
// librsvg is loaded with dlopen the first time a PNG is written, not linked: it pulls in some 40 shared
// libraries (cairo, pango, glib...), which cost every run of the program about 7 MB of memory and its
// start-up time, though only `report` draws PNGs. Without the library at run time, PNG output says so.
#include <string>
#include <string_view>

#if defined(TRAINSCOPE_HAVE_RSVG) && TRAINSCOPE_HAVE_RSVG
#include <cairo.h>
#include <dlfcn.h>
#include <librsvg/rsvg.h>

#include <cstring>
#endif

namespace trainscope::inline v1::tools {

/// True when this build can write PNG files.
inline constexpr bool have_png_rasterizer =
#if defined(TRAINSCOPE_HAVE_RSVG) && TRAINSCOPE_HAVE_RSVG
    true;
#else
    false;
#endif

#if defined(TRAINSCOPE_HAVE_RSVG) && TRAINSCOPE_HAVE_RSVG
namespace detail {

/// The librsvg, cairo and glib functions the rasterizer calls, looked up in librsvg's dependency tree.
struct rsvg_api {
  decltype(&rsvg_handle_new_from_data) handle_new_from_data = nullptr;
  decltype(&rsvg_handle_get_intrinsic_size_in_pixels) handle_get_intrinsic_size_in_pixels = nullptr;
  decltype(&rsvg_handle_render_document) handle_render_document = nullptr;
  decltype(&g_error_free) error_free = nullptr;
  decltype(&g_object_unref) object_unref = nullptr;
  decltype(&cairo_image_surface_create) image_surface_create = nullptr;
  decltype(&cairo_create) create = nullptr;
  decltype(&cairo_destroy) destroy = nullptr;
  decltype(&cairo_surface_write_to_png) surface_write_to_png = nullptr;
  decltype(&cairo_status_to_string) status_to_string = nullptr;
  decltype(&cairo_surface_destroy) surface_destroy = nullptr;
  std::string load_error;  ///< empty when every function was found
};

inline const rsvg_api& rsvg() {
  static const rsvg_api api = [] {
    rsvg_api a;
    void* lib = ::dlopen("librsvg-2.so.2", RTLD_NOW | RTLD_LOCAL);  // the soname since librsvg 2.0
    if (lib == nullptr) {
      const char* why = ::dlerror();
      a.load_error = std::string("cannot load librsvg (apt-get install -y librsvg2-2): ") + (why ? why : "");
      return a;
    }
    auto find = [&](auto& fn, const char* name) {
      void* p = ::dlsym(lib, name);
      if (p == nullptr && a.load_error.empty()) a.load_error = std::string("librsvg-2.so.2 has no ") + name;
      std::memcpy(&fn, &p, sizeof p);  // object pointer to function pointer, as POSIX dlsym requires
    };
    find(a.handle_new_from_data, "rsvg_handle_new_from_data");
    find(a.handle_get_intrinsic_size_in_pixels, "rsvg_handle_get_intrinsic_size_in_pixels");
    find(a.handle_render_document, "rsvg_handle_render_document");
    find(a.error_free, "g_error_free");
    find(a.object_unref, "g_object_unref");
    find(a.image_surface_create, "cairo_image_surface_create");
    find(a.create, "cairo_create");
    find(a.destroy, "cairo_destroy");
    find(a.surface_write_to_png, "cairo_surface_write_to_png");
    find(a.status_to_string, "cairo_status_to_string");
    find(a.surface_destroy, "cairo_surface_destroy");
    return a;
  }();
  return api;
}

}  // namespace detail
#endif

/**
 * Renders an SVG document to a PNG file at its intrinsic pixel size times `scale` (2 for high-DPI screens).
 * Returns false with a message for people in `error_message` when the SVG does not parse, has no pixel size,
 * or the file cannot be written.
 */
inline bool write_png_from_svg(std::string_view svg, const std::string& png_path, std::string& error_message,
                               double scale = 1.0) {
#if defined(TRAINSCOPE_HAVE_RSVG) && TRAINSCOPE_HAVE_RSVG
  const detail::rsvg_api& api = detail::rsvg();
  if (!api.load_error.empty()) {
    error_message = api.load_error;
    return false;
  }
  GError* err = nullptr;
  RsvgHandle* handle =
      api.handle_new_from_data(reinterpret_cast<const guint8*>(svg.data()), static_cast<gsize>(svg.size()), &err);
  if (handle == nullptr) {
    error_message = std::string("cannot parse SVG: ") + (err != nullptr ? err->message : "unknown error");
    if (err != nullptr) api.error_free(err);
    return false;
  }
  // The document's width/height attributes, in px (librsvg >= 2.52).
  gdouble width = 0, height = 0;
  if (!api.handle_get_intrinsic_size_in_pixels(handle, &width, &height) || width < 1 || height < 1) {
    api.object_unref(handle);
    error_message = "SVG has no width and height in pixels";
    return false;
  }
  if (!(scale > 0)) scale = 1.0;
  const int w = static_cast<int>(width * scale + 0.5), h = static_cast<int>(height * scale + 0.5);
  cairo_surface_t* surface = api.image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
  cairo_t* cr = api.create(surface);
  const RsvgRectangle viewport{0.0, 0.0, static_cast<double>(w), static_cast<double>(h)};
  bool ok = api.handle_render_document(handle, cr, &viewport, &err) != FALSE;
  if (!ok) {
    error_message = std::string("cannot render SVG: ") + (err != nullptr ? err->message : "unknown error");
    if (err != nullptr) api.error_free(err);
  }
  api.destroy(cr);
  if (ok) {
    const cairo_status_t status = api.surface_write_to_png(surface, png_path.c_str());
    if (status != CAIRO_STATUS_SUCCESS) {
      ok = false;
      error_message = "cannot write " + png_path + ": " + api.status_to_string(status);
    }
  }
  api.surface_destroy(surface);
  api.object_unref(handle);
  return ok;
#else
  (void)svg;
  (void)png_path;
  (void)scale;
  error_message = "PNG output needs librsvg; this build has SVG figures only (apt-get install -y librsvg2-dev)";
  return false;
#endif
}

}  // namespace trainscope::inline v1::tools
