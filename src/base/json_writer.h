#pragma once
// JsonWriter appends compact JSON to a string: objects, arrays, escaped strings, numbers.
// Output only; parsing is simdjson's job (ingest). Chosen over Boost.JSON for responses to keep
// Boost out of every translation unit that writes JSON (docs/adr/0004-json-output.md).
//
// Usage:
//   JsonWriter w;
//   w.BeginObject().Key("accepted").Int(3).Key("rejected").BeginArray().EndArray().EndObject();
//   std::string body = std::move(w).Take();
// Misuse (a value without a key inside an object) is a programmer error caught by OM_DCHECK.
//
// Thread-safety: none; a writer is a local value.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace om {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view s);
  JsonWriter& Int(int64_t v);
  JsonWriter& Uint(uint64_t v);
  // Non-finite values are written as null (JSON has no NaN).
  JsonWriter& Double(double v, int precision = 6);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  // Inserts already-encoded JSON as one value.
  JsonWriter& Raw(std::string_view json);

  const std::string& str() const { return out_; }
  std::string Take() && { return std::move(out_); }

 private:
  void BeforeValue();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

// Appends `s` as a JSON string literal (with quotes). Control characters, quotes, backslashes and
// the HTML-sensitive <, >, & are escaped, so the output is safe inside a <script> block too.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace om
