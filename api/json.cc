#include "api/json.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"

namespace devloop::api {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

void AppendEscaped(absl::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xf]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void AppendMessage(const Message& message, std::string* out);

void AppendDouble(double v, std::string* out) {
  if (std::isnan(v)) {
    out->append("\"NaN\"");
  } else if (std::isinf(v)) {
    out->append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    absl::StrAppend(out, v);
  }
}

// Appends one value of `field` (a singular field, or element `index` of a
// repeated one when index >= 0).
void AppendValue(const Message& message, const FieldDescriptor* field, int index,
                 std::string* out) {
  const Reflection* r = message.GetReflection();
  const bool rep = index >= 0;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      absl::StrAppend(out, rep ? r->GetRepeatedInt32(message, field, index)
                               : r->GetInt32(message, field));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      absl::StrAppend(out, rep ? r->GetRepeatedUInt32(message, field, index)
                               : r->GetUInt32(message, field));
      break;
    case FieldDescriptor::CPPTYPE_INT64:  // 64-bit integers are strings in JSON
      absl::StrAppend(out, "\"",
                      rep ? r->GetRepeatedInt64(message, field, index)
                          : r->GetInt64(message, field),
                      "\"");
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      absl::StrAppend(out, "\"",
                      rep ? r->GetRepeatedUInt64(message, field, index)
                          : r->GetUInt64(message, field),
                      "\"");
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      AppendDouble(rep ? r->GetRepeatedDouble(message, field, index)
                       : r->GetDouble(message, field),
                   out);
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      AppendDouble(rep ? r->GetRepeatedFloat(message, field, index)
                       : r->GetFloat(message, field),
                   out);
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      out->append((rep ? r->GetRepeatedBool(message, field, index)
                       : r->GetBool(message, field))
                      ? "true"
                      : "false");
      break;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int number = rep ? r->GetRepeatedEnumValue(message, field, index)
                             : r->GetEnumValue(message, field);
      const auto* value = field->enum_type()->FindValueByNumber(number);
      if (value != nullptr) {
        AppendEscaped(value->name(), out);
      } else {
        absl::StrAppend(out, number);  // unknown values keep their number
      }
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& s =
          rep ? r->GetRepeatedStringReference(message, field, index, &scratch)
              : r->GetStringReference(message, field, &scratch);
      AppendEscaped(s, out);
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      AppendMessage(rep ? r->GetRepeatedMessage(message, field, index)
                        : r->GetMessage(message, field),
                    out);
      break;
  }
}

// Map keys are strings in JSON. Entries are sorted by key (numerically for
// integer keys) so the same map always renders the same way.
void AppendMap(const Message& message, const FieldDescriptor* field, std::string* out) {
  const Reflection* r = message.GetReflection();
  const int n = r->FieldSize(message, field);
  const FieldDescriptor* key_field = field->message_type()->map_key();
  const FieldDescriptor* value_field = field->message_type()->map_value();
  struct Entry {
    std::string key;
    int64_t numeric_key;
    const Message* entry;
  };
  std::vector<Entry> entries;
  entries.reserve(n);
  bool numeric = key_field->cpp_type() != FieldDescriptor::CPPTYPE_STRING &&
                 key_field->cpp_type() != FieldDescriptor::CPPTYPE_BOOL;
  for (int i = 0; i < n; ++i) {
    const Message& entry = r->GetRepeatedMessage(message, field, i);
    const Reflection* er = entry.GetReflection();
    Entry e{"", 0, &entry};
    switch (key_field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        e.key = er->GetString(entry, key_field);
        break;
      case FieldDescriptor::CPPTYPE_INT32:
        e.numeric_key = er->GetInt32(entry, key_field);
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        e.numeric_key = er->GetUInt32(entry, key_field);
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        e.numeric_key = er->GetInt64(entry, key_field);
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        e.numeric_key = static_cast<int64_t>(er->GetUInt64(entry, key_field));
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        e.key = er->GetBool(entry, key_field) ? "true" : "false";
        break;
      default:
        break;  // protobuf allows no other key types
    }
    if (numeric) e.key = absl::StrCat(e.numeric_key);
    entries.push_back(std::move(e));
  }
  std::sort(entries.begin(), entries.end(), [numeric](const Entry& a, const Entry& b) {
    return numeric ? a.numeric_key < b.numeric_key : a.key < b.key;
  });
  out->push_back('{');
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendEscaped(entries[i].key, out);
    out->push_back(':');
    AppendValue(*entries[i].entry, value_field, -1, out);
  }
  out->push_back('}');
}

bool AppendWellKnown(const Message& message, std::string* out) {
  const std::string& name = message.GetDescriptor()->full_name();
  if (name == "google.protobuf.Timestamp") {
    const Reflection* r = message.GetReflection();
    const Descriptor* d = message.GetDescriptor();
    google::protobuf::Timestamp ts;
    ts.set_seconds(r->GetInt64(message, d->FindFieldByNumber(1)));
    ts.set_nanos(r->GetInt32(message, d->FindFieldByNumber(2)));
    AppendEscaped(google::protobuf::util::TimeUtil::ToString(ts), out);
    return true;
  }
  return false;
}

void AppendMessage(const Message& message, std::string* out) {
  if (AppendWellKnown(message, out)) return;
  const Descriptor* d = message.GetDescriptor();
  const Reflection* r = message.GetReflection();
  out->push_back('{');
  bool first = true;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* field = d->field(i);
    // A oneof's members appear only when set; everything else always appears.
    if (field->real_containing_oneof() != nullptr && !r->HasField(message, field)) {
      continue;
    }
    if (!first) out->push_back(',');
    first = false;
    AppendEscaped(field->json_name(), out);
    out->push_back(':');
    if (field->is_map()) {
      AppendMap(message, field, out);
    } else if (field->is_repeated()) {
      out->push_back('[');
      const int n = r->FieldSize(message, field);
      for (int j = 0; j < n; ++j) {
        if (j > 0) out->push_back(',');
        AppendValue(message, field, j, out);
      }
      out->push_back(']');
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
               !r->HasField(message, field)) {
      out->append("null");
    } else {
      AppendValue(message, field, -1, out);
    }
  }
  out->push_back('}');
}

// Protobuf's JSON parser is lenient in places where Skaffold's gateway is not
// (it reads the string "yes" as a bool). Checking the parsed JSON against the
// descriptor first keeps wrongly typed input an error that names the field.
absl::Status CheckType(const google::protobuf::Value& value, const FieldDescriptor* field,
                       bool element, const std::string& path);

// Finds a field by its JSON name or, as protobuf's parser also accepts, its proto name.
const FieldDescriptor* FindField(const Descriptor* d, const std::string& name) {
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->json_name() == name) return d->field(i);
  }
  return d->FindFieldByName(name);
}

absl::Status CheckObject(const google::protobuf::Struct& object, const Descriptor* d,
                         const std::string& path) {
  for (const auto& [name, value] : object.fields()) {
    const FieldDescriptor* field = FindField(d, name);
    if (field == nullptr) continue;  // unknown fields are ignored, as the gateway does
    absl::Status s = CheckType(value, field, false, absl::StrCat(path, ".", name));
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status WrongType(const std::string& path, absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("field ", path, ": expected ", expected, ", got another type"));
}

absl::Status CheckType(const google::protobuf::Value& value, const FieldDescriptor* field,
                       bool element, const std::string& path) {
  using Kind = google::protobuf::Value::KindCase;
  const Kind kind = value.kind_case();
  if (kind == Kind::kNullValue) return absl::OkStatus();  // null means "unset"
  if (!element && field->is_map()) {
    if (kind != Kind::kStructValue) return WrongType(path, "an object");
    for (const auto& [key, v] : value.struct_value().fields()) {
      absl::Status s = CheckType(v, field->message_type()->map_value(), true,
                                 absl::StrCat(path, "[", key, "]"));
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }
  if (!element && field->is_repeated()) {
    if (kind != Kind::kListValue) return WrongType(path, "a list");
    for (int i = 0; i < value.list_value().values_size(); ++i) {
      absl::Status s =
          CheckType(value.list_value().values(i), field, true, absl::StrCat(path, "[", i, "]"));
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_BOOL:
      if (kind != Kind::kBoolValue) return WrongType(path, "a boolean");
      break;
    case FieldDescriptor::CPPTYPE_STRING:
      if (kind != Kind::kStringValue) return WrongType(path, "a string");
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      if (kind != Kind::kStringValue && kind != Kind::kNumberValue) {
        return WrongType(path, "an enum name or number");
      }
      break;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      if (field->message_type()->full_name() == "google.protobuf.Timestamp") {
        if (kind != Kind::kStringValue) return WrongType(path, "an RFC 3339 timestamp string");
        break;
      }
      if (kind != Kind::kStructValue) return WrongType(path, "an object");
      return CheckObject(value.struct_value(), field->message_type(), path);
    default:  // numbers may be JSON numbers or numeric strings
      if (kind != Kind::kNumberValue && kind != Kind::kStringValue) {
        return WrongType(path, "a number");
      }
  }
  return absl::OkStatus();
}

}  // namespace

std::string ToJson(const Message& message) {
  std::string out;
  AppendJson(message, &out);
  return out;
}

void AppendJson(const Message& message, std::string* out) { AppendMessage(message, out); }

absl::Status FromJson(absl::string_view json, Message* message) {
  message->Clear();
  if (absl::StripAsciiWhitespace(json).empty()) return absl::OkStatus();
  const std::string what = message->GetDescriptor()->name();
  const google::protobuf::StringPiece input(json.data(), json.size());
  google::protobuf::Value parsed;
  auto status = google::protobuf::util::JsonStringToMessage(input, &parsed);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON for ", what, ": ", status.message().ToString()));
  }
  if (parsed.kind_case() != google::protobuf::Value::kStructValue) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON for ", what, ": expected an object"));
  }
  absl::Status checked = CheckObject(parsed.struct_value(), message->GetDescriptor(), what);
  if (!checked.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON for ", what, ": ", checked.message()));
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  status = google::protobuf::util::JsonStringToMessage(input, message, options);
  if (!status.ok()) {
    message->Clear();
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON for ", what, ": ", status.message().ToString()));
  }
  return absl::OkStatus();
}

}  // namespace devloop::api
