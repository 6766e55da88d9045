#pragma once
// PNG copies of the report's SVG figures, through librsvg's C API and cairo (no GTK), for viewers that do not
// show SVG. Compiled in when the build found librsvg-2.0 (TRAINSCOPE_HAVE_RSVG=1); otherwise the function reports
// that PNG output is unavailable, so callers need no #ifdef.
#include <string>
#include <string_view>

#if defined(TRAINSCOPE_HAVE_RSVG) && TRAINSCOPE_HAVE_RSVG
#include <cairo.h>
#include <librsvg/rsvg.h>
#endif

namespace trainscope::inline v1::tools {

/// True when this build can write PNG files.
inline constexpr bool have_png_rasterizer =
#if defined(TRAINSCOPE_HAVE_RSVG) && TRAINSCOPE_HAVE_RSVG
    true;
#else
    false;
#endif

/**
 * Renders an SVG document to a PNG file at its intrinsic pixel size times `scale` (2 for high-DPI screens).
 * Returns false with a message for people in `error_message` when the SVG does not parse, has no pixel size,
 * or the file cannot be written.
 */
inline bool write_png_from_svg(std::string_view svg, const std::string& png_path, std::string& error_message,
                               double scale = 1.0) {
#if defined(TRAINSCOPE_HAVE_RSVG) && TRAINSCOPE_HAVE_RSVG
  GError* err = nullptr;
  RsvgHandle* handle =
      rsvg_handle_new_from_data(reinterpret_cast<const guint8*>(svg.data()), static_cast<gsize>(svg.size()), &err);
  if (handle == nullptr) {
    error_message = std::string("cannot parse SVG: ") + (err != nullptr ? err->message : "unknown error");
    if (err != nullptr) g_error_free(err);
    return false;
  }
  // The document's width/height attributes, in px (librsvg >= 2.52).
  gdouble width = 0, height = 0;
  if (!rsvg_handle_get_intrinsic_size_in_pixels(handle, &width, &height) || width < 1 || height < 1) {
    g_object_unref(handle);
    error_message = "SVG has no width and height in pixels";
    return false;
  }
  if (!(scale > 0)) scale = 1.0;
  const int w = static_cast<int>(width * scale + 0.5), h = static_cast<int>(height * scale + 0.5);
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
  cairo_t* cr = cairo_create(surface);
  const RsvgRectangle viewport{0.0, 0.0, static_cast<double>(w), static_cast<double>(h)};
  bool ok = rsvg_handle_render_document(handle, cr, &viewport, &err) != FALSE;
  if (!ok) {
    error_message = std::string("cannot render SVG: ") + (err != nullptr ? err->message : "unknown error");
    if (err != nullptr) g_error_free(err);
  }
  cairo_destroy(cr);
  if (ok) {
    const cairo_status_t status = cairo_surface_write_to_png(surface, png_path.c_str());
    if (status != CAIRO_STATUS_SUCCESS) {
      ok = false;
      error_message = "cannot write " + png_path + ": " + cairo_status_to_string(status);
    }
  }
  cairo_surface_destroy(surface);
  g_object_unref(handle);
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
