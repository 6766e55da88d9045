#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "trainscope/report/json_writer.hpp"

using trainscope::report::json_writer;

TEST_CASE("json_writer: strings stay valid UTF-8 JSON whatever bytes a log or a file name holds") {
  std::string out;
  json_writer w(out, 0);
  w.begin_object();
  w.field("ok", std::string("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));  // valid 2-, 3- and 4-byte sequences
  w.field("bad", std::string("a\xFF" "b\xC3" "c\xED\xA0\x80" "d"));     // stray byte, cut sequence, surrogate
  w.field("ctl", std::string("q\"\\\n\x01"));
  w.end_object();
  CHECK(out == "{\"ok\":\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\","
               "\"bad\":\"a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "d\","
               "\"ctl\":\"q\\\"\\\\\\n\\u0001\"}");
}

TEST_CASE("json_writer: non-finite numbers are null, doubles round-trip in shortest form") {
  std::string out;
  json_writer w(out, 0);
  w.begin_array().value(0.1).value(1e-300).value(std::numeric_limits<double>::quiet_NaN()).value(-INFINITY).end_array();
  CHECK(out == "[0.1,1e-300,null,null]");
}
