// A small JSON reader and writer for the adapters: the Docker Engine API's
// answers and request bodies (plain documents and JSON lines) and kubectl's
// `-o json`. It keeps the adapters free of a protobuf or Boost.JSON dependency.
//
//   absl::StatusOr<Json> doc = Json::Parse(R"({"State":{"Running":true}})");
//   bool running = (*doc)["State"]["Running"].AsBool();   // true
//   std::string body = JsonQuote("a\"b");                  // "\"a\\\"b\""
//
// Missing members and wrong types read as null / defaults, so deep lookups into
// an answer need no checks at every level.
//
// Value type: thread-compatible.
#ifndef DEVLOOP_INFRA_JSON_JSON_H_
#define DEVLOOP_INFRA_JSON_JSON_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace devloop::json {

class Json {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  Json() = default;
  static Json String(std::string value);
  static Json Array();
  static Json Object();

  // Parses one JSON document (surrounding whitespace allowed). Returns
  // InvalidArgument naming the byte offset of the first error.
  static absl::StatusOr<Json> Parse(absl::string_view text);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_object() const { return type_ == Type::kObject; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_string() const { return type_ == Type::kString; }

  bool AsBool() const { return type_ == Type::kBool && bool_; }
  double AsDouble() const { return type_ == Type::kNumber ? number_ : 0; }
  // The number truncated toward zero and saturated to int64's range (an answer
  // may hold 1e30); 0 for a non-number.
  int64_t AsInt() const;
  // The string value, or "" for a non-string.
  const std::string& AsString() const;

  // Object member lookup; a null Json if absent or not an object.
  const Json& operator[](absl::string_view key) const;
  bool Has(absl::string_view key) const;
  const std::map<std::string, Json, std::less<>>& members() const { return object_; }
  // Array elements (empty for a non-array).
  const std::vector<Json>& elements() const { return array_; }

  // Building: sets member `key` (this becomes an object if it is not one),
  // appends an element (this becomes an array if it is not one).
  Json& Set(std::string key, Json value);
  Json& Append(Json value);

 private:
  friend class JsonParser;
  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<Json> array_;
  std::map<std::string, Json, std::less<>> object_;
};

// Returns `s` as a quoted JSON string.
std::string JsonQuote(absl::string_view s);

}  // namespace devloop::json

#endif  // DEVLOOP_INFRA_JSON_JSON_H_
