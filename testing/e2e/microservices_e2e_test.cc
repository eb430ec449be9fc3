// End to end on testing/examples/microservices: leeroy-web answers by calling
// leeroy-app by name on the run's network. With AutoBuild turned off over HTTP,
// an edit of leeroy-app builds nothing until POST /v1/execute {"build": true};
// then only leeroy-app is rebuilt and leeroy-web serves its new answer on the
// same local port. Ctrl-C exits 0 within 5 s and leaves nothing of the run.
//
// To know that devloop has seen the unbuilt edit (without sleeping), the test
// gives leeroy-web a sync rule in its copy of skaffold.yaml and saves a
// leeroy-web file after the leeroy-app one: changes reach the loop in order, so
// once that sync's iteration is over, the leeroy-app change was handled too.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/e2e/contract.h"
#include "testing/e2e/dev_session.h"
#include "testing/e2e/docker_sweep.h"
#include "testing/e2e/events_client.h"
#include "testing/e2e/files.h"
#include "testing/e2e/http_client.h"

namespace devloop::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr absl::Duration kIteration = absl::Seconds(90);

std::vector<std::string> Builds(const std::vector<proto::LogEntry>& entries, size_t from) {
  std::vector<std::string> out;
  for (size_t i = from; i < entries.size(); ++i) {
    const proto::Event& e = entries[i].event();
    if (e.has_buildevent()) {
      out.push_back(e.buildevent().artifact() + " " + e.buildevent().status());
    }
  }
  return out;
}

class MicroservicesE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(DockerAvailable()) << "the Docker Engine does not answer";
    absl::StatusOr<std::unique_ptr<DevSession>> s =
        DevSession::Prepare("microservices", {"leeroy-web", "leeroy-app"});
    ASSERT_TRUE(s.ok()) << s.status();
    session_ = *std::move(s);
    web_ = session_->Image("leeroy-web");
    app_ = session_->Image("leeroy-app");
    web_port_ = session_->LocalPort(9002);
    app_port_ = session_->LocalPort(9003);
    ASSERT_TRUE(ReplaceInFile(session_->dir() + "/skaffold.yaml", "      context: leeroy-web\n",
                              "      context: leeroy-web\n"
                              "      sync:\n"
                              "        manual:\n"
                              "          - src: \"www/*.html\"\n"
                              "            dest: /\n")
                    .ok());
  }

  std::unique_ptr<DevSession> session_;
  std::string web_, app_;
  int web_port_ = 0, app_port_ = 0;
};

TEST_F(MicroservicesE2eTest, ServicesTalkByNameAndAutoBuildOffWaitsForExecute) {
  ASSERT_TRUE(session_->Start().ok());
  EventsClient& events = session_->events();
  size_t at = 0;
  absl::StatusOr<proto::LogEntry> done =
      events.WaitFor(IsDevLoopEvent(0, "Succeeded"), kIteration, 0, &at);
  ASSERT_TRUE(done.ok()) << done.status() << "\n" << session_->devloop().process().Output();
  absl::Status contract =
      CheckBuildIteration(events.Entries(), {.iteration = 0,
                                             .artifacts = {web_, app_},
                                             .ports = {{"leeroy-web", web_port_},
                                                       {"leeroy-app", app_port_}}});
  EXPECT_TRUE(contract.ok()) << contract;
  absl::StatusOr<std::string> body =
      WaitServed(web_port_, "/cgi-bin/index.cgi", "leeroy-web says: leeroooooy app!!");
  ASSERT_TRUE(body.ok()) << body.status();
  body = WaitServed(app_port_, "/", "leeroooooy app!!");
  ASSERT_TRUE(body.ok()) << body.status();
  absl::StatusOr<std::string> run_id = session_->RunId();
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  absl::StatusOr<std::string> web_image = session_->RunningImage("leeroy-web");
  ASSERT_TRUE(web_image.ok()) << web_image.status();
  absl::StatusOr<std::string> first_web_container = session_->RunningContainer("leeroy-web");
  ASSERT_TRUE(first_web_container.ok()) << first_web_container.status();

  // AutoBuild off, over the HTTP gateway.
  absl::StatusOr<HttpResponse> r = Http(session_->devloop().http_port(), "PUT",
                                        "/v1/build/auto_execute", R"({"enabled": false})");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->status, 200) << r->body;
  absl::StatusOr<proto::State> state = events.GetState();
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_FALSE(state->buildstate().autotrigger());
  const size_t toggled = events.size();

  // Edit leeroy-app: nothing is built. The leeroy-web save is the barrier.
  ASSERT_TRUE(WriteFile(session_->dir() + "/leeroy-app/www/index.html", "app v2\n").ok());
  ASSERT_TRUE(ReplaceInFile(session_->dir() + "/leeroy-web/www/index.html", "<!doctype html>",
                            "<!doctype html><!-- web v2 -->")
                  .ok());
  done = events.WaitFor(IsDevLoopEvent(1, "Succeeded"), kIteration, at, &at);
  ASSERT_TRUE(done.ok()) << done.status();
  absl::StatusOr<std::string> synced =
      CheckSyncIteration(events.Entries(), {.iteration = 1, .image_prefix = web_ + ":"});
  ASSERT_TRUE(synced.ok()) << synced.status();
  EXPECT_THAT(Builds(events.Entries(), toggled), IsEmpty()) << Describe(events.Entries(), toggled);
  r = Http(web_port_, "GET", "/index.html");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->body, HasSubstr("web v2"));
  r = Http(web_port_, "GET", "/cgi-bin/index.cgi");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->body, HasSubstr("leeroooooy app!!")) << "leeroy-app changed without a build";

  // Execute build: leeroy-app alone is rebuilt and redeployed.
  r = Http(session_->devloop().http_port(), "POST", "/v1/execute", R"({"build": true})");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, "{}");
  done = events.WaitFor(IsDevLoopEvent(2, "Succeeded"), kIteration, at, &at);
  ASSERT_TRUE(done.ok()) << done.status();
  contract =
      CheckBuildIteration(events.Entries(), {.iteration = 2,
                                             .artifacts = {app_},
                                             .ports = {{"leeroy-web", web_port_},
                                                       {"leeroy-app", app_port_}}});
  EXPECT_TRUE(contract.ok()) << contract;
  body = WaitServed(web_port_, "/cgi-bin/index.cgi", "leeroy-web says: app v2");
  EXPECT_TRUE(body.ok()) << body.status();
  body = WaitServed(app_port_, "/", "app v2");
  EXPECT_TRUE(body.ok()) << body.status();
  absl::StatusOr<std::string> web_now = session_->RunningImage("leeroy-web");
  ASSERT_TRUE(web_now.ok()) << web_now.status();
  EXPECT_EQ(*web_now, *web_image) << "leeroy-web was not rebuilt, so it keeps its tag";
  // Redeploying leeroy-app leaves leeroy-web's container alone: what was synced
  // into it is still served (a restart from its image would silently drop it).
  r = Http(web_port_, "GET", "/index.html");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->body, HasSubstr("web v2"));
  absl::StatusOr<std::string> web_container = session_->RunningContainer("leeroy-web");
  ASSERT_TRUE(web_container.ok()) << web_container.status();
  EXPECT_EQ(*web_container, *first_web_container);

  absl::Status clean = session_->InterruptAndCheckNothingLeft(*run_id, absl::Seconds(5));
  EXPECT_TRUE(clean.ok()) << clean;
}

}  // namespace
}  // namespace devloop::e2e
