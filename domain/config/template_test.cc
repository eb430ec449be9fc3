#include "domain/config/template.h"

#include "gtest/gtest.h"

namespace devloop::config {
namespace {

const std::map<std::string, std::string> kVars = {
    {"IMAGE_NAME", "web"}, {"USER", "ana"}, {"EMPTY", ""}, {"PAD", "  x  "}};

std::string Expand(const std::string& text) {
  absl::StatusOr<std::string> out = ExpandTemplate(text, kVars);
  if (!out.ok()) return "ERROR: " + std::string(out.status().message());
  return *out;
}

TEST(TemplateTest, Expands) {
  struct Case {
    std::string in, want;
  };
  const Case cases[] = {
      {"plain", "plain"},
      {"", ""},
      {"{{.IMAGE_NAME}}", "web"},
      {"{{ .IMAGE_NAME }}:{{.USER}}", "web:ana"},
      {"a{{.MISSING}}b", "a<no value>b"},
      {"{{.MISSING | default \"latest\"}}", "latest"},
      {"{{.EMPTY | default \"latest\"}}", "latest"},
      {"{{.USER | default \"latest\"}}", "ana"},
      {"{{default \"d\" .MISSING}}", "d"},
      {"{{.USER | upper}}", "ANA"},
      {"{{upper .USER | lower}}", "ana"},
      {"{{.PAD | trim}}", "x"},
      {"{{\"}}\"}}", "}}"},
      {"{{`raw\\n`}}", "raw\\n"},
      {"{{\"a\\\"b\"}}", "a\"b"},
      {"x  {{- .USER -}}  y", "xanay"},
      {"{{-3}}", "ERROR: unexpected \"-\" (expected .NAME, a \"string\" or a function) at offset 2"},
      {"a{{.USER", "ERROR: unclosed action \"{{\" at offset 1"},
      {"{{}}", "ERROR: empty command at offset 2"},
      {"{{ .USER .USER }}", "ERROR: expected one value or a function call at offset 2"},
      {"{{ env \"X\" }}", "ERROR: unknown function \"env\" (supported: default, upper, lower, trim) at offset 3"},
      {"{{ default \"x\" }}", "ERROR: function \"default\" takes 2 argument(s), got 1 at offset 2"},
      {"{{ . }}", "ERROR: expected a variable name after \".\" at offset 3"},
      {"{{ \"abc }}", "ERROR: unclosed action \"{{\" at offset 0"},
      {"{{ .A | }}", "ERROR: empty command at offset 7"},
  };
  for (const Case& c : cases) EXPECT_EQ(Expand(c.in), c.want) << c.in;
}

TEST(TemplateTest, VariablesAndLiteral) {
  absl::StatusOr<Template> t = ParseTemplate("{{.A}}-{{.B | default .A}}-{{\"c\"}}");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->Variables(), (std::vector<std::string>{"A", "B"}));
  EXPECT_FALSE(t->IsLiteral());
  EXPECT_TRUE(ParseTemplate("no actions")->IsLiteral());
}

}  // namespace
}  // namespace devloop::config
