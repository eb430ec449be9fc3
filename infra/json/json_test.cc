#include "infra/json/json.h"

#include <limits>

#include "gtest/gtest.h"

namespace devloop::json {
namespace {

TEST(JsonTest, ParsesNestedDocuments) {
  absl::StatusOr<Json> doc = Json::Parse(
      R"({"State":{"Running":true,"ExitCode":3,"Status":"exited"},"Names":["/a","/b"],)"
      R"("Escaped":"line\n\u00e9\ud83d\ude00\"","Null":null,"F":-1.5e2})");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_TRUE((*doc)["State"]["Running"].AsBool());
  EXPECT_EQ((*doc)["State"]["ExitCode"].AsInt(), 3);
  EXPECT_EQ((*doc)["State"]["Status"].AsString(), "exited");
  ASSERT_EQ((*doc)["Names"].elements().size(), 2u);
  EXPECT_EQ((*doc)["Names"].elements()[1].AsString(), "/b");
  EXPECT_EQ((*doc)["Escaped"].AsString(), "line\n\xc3\xa9\xf0\x9f\x98\x80\"");
  EXPECT_TRUE((*doc)["Null"].is_null());
  EXPECT_EQ((*doc)["F"].AsDouble(), -150);
  // Missing members read as null, at any depth.
  EXPECT_TRUE((*doc)["Nope"]["Deeper"].is_null());
  EXPECT_EQ((*doc)["Nope"].AsString(), "");
}

TEST(JsonTest, RejectsMalformedInputWithTheOffset) {
  for (const char* bad : {"", "{", "{\"a\" 1}", "[1,]", "tru", "\"abc", "{} x", "01x"}) {
    absl::StatusOr<Json> doc = Json::Parse(bad);
    EXPECT_EQ(doc.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(doc.status().message().find("at byte"), absl::string_view::npos) << bad;
  }
  std::string deep(1000, '[');
  EXPECT_FALSE(Json::Parse(deep).ok());
}

TEST(JsonTest, BuildsDocumentsFromParsedParts) {
  absl::StatusOr<Json> item = Json::Parse(R"({"metadata":{"name":"web"}})");
  ASSERT_TRUE(item.ok()) << item.status();
  Json list = Json::Object();
  list.Set("kind", Json::String("List"));
  Json items = Json::Array();
  items.Append(Json(*item).Set("kind", Json::String("Pod")));
  items.Append(Json::String("x"));
  list.Set("items", std::move(items));
  EXPECT_EQ(list["kind"].AsString(), "List");
  ASSERT_EQ(list["items"].elements().size(), 2u);
  EXPECT_EQ(list["items"].elements()[0]["kind"].AsString(), "Pod");
  EXPECT_EQ(list["items"].elements()[0]["metadata"]["name"].AsString(), "web");
  EXPECT_EQ(list["items"].elements()[1].AsString(), "x");
  // Set on a non-object makes it one; the parsed original is unchanged.
  Json scalar = Json::String("s");
  scalar.Set("a", Json::String("b"));
  EXPECT_TRUE(scalar.is_object());
  EXPECT_EQ(scalar["a"].AsString(), "b");
  EXPECT_FALSE((*item).Has("kind"));
}

TEST(JsonTest, QuoteRoundTrips) {
  std::string tricky = "a\"b\\c\nd\x01";
  absl::StatusOr<Json> doc = Json::Parse(JsonQuote(tricky));
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->AsString(), tricky);
}

// Found by //tools/fuzz:engine_api_fuzz_test: AsInt cast -2.5e30 to int64,
// which is undefined behaviour (UBSan stopped the run).
TEST(JsonTest, AsIntSaturatesOutOfRangeNumbers) {
  absl::StatusOr<Json> doc = Json::Parse("[-2.5e30, 1e300, 42.9, -7.9, \"3\"]");
  ASSERT_TRUE(doc.ok()) << doc.status();
  const std::vector<Json>& n = doc->elements();
  EXPECT_EQ(n[0].AsInt(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(n[1].AsInt(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(n[2].AsInt(), 42);
  EXPECT_EQ(n[3].AsInt(), -7);
  EXPECT_EQ(n[4].AsInt(), 0);
}

}  // namespace
}  // namespace devloop::json
