#include "api/router.h"

#include <gtest/gtest.h>

#include "api/web_routes.h"
#include "db/testing_meta_store.h"
#include "testing/temp_dir.h"

namespace om::api {
namespace {

HttpResponse Text(std::string body) {
  HttpResponse r;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    meta_ = db::TestingMetaStore(dir_.str());
    keys_ = std::move(*auth::ApiKeys::Open(*meta_));
    router_.Register({.method = "GET", .pattern = "/things"},
                     [](const RouteCall&) { return Text("list"); });
    router_.Register({.method = "POST", .pattern = "/things", .scope = auth::kAdmin},
                     [](const RouteCall& call) { return Text("created by " + call.key->name); });
    router_.Register({.method = "GET", .pattern = "/things/{id}"},
                     [](const RouteCall& call) -> Result<HttpResponse> {
                       if (call.Param("id") == "missing") return Status::NotFound("no thing");
                       return Text("thing " + std::string(call.Param("id")));
                     });
    router_.Register({.method = "DELETE", .pattern = "/things/{id}", .scope = auth::kAdmin},
                     [](const RouteCall&) { return Text("deleted"); });
    router_.Register({.method = "GET", .pattern = "/badge/{id}.svg"}, [](const RouteCall& call) {
      return Text("badge " + std::string(call.Param("id")));
    });
    router_.Register({.method = "GET", .pattern = "/files/{path...}"}, [](const RouteCall& call) {
      return Text("file " + std::string(call.Param("path")));
    });
    router_.RegisterAsync(
        {.method = "POST", .pattern = "/intake", .scope = auth::kReportWrite, .key_optional = true},
        [](RouteCall&& call, Responder respond) {
          respond(Text(call.key ? "keyed " + call.key->name : "anonymous"));
        });
  }

  HttpResponse Call(std::string method, std::string path, std::string authorization = "") {
    return CallOn(router_, std::move(method), std::move(path), std::move(authorization));
  }

  HttpResponse CallOn(const Router& router, std::string method, std::string path,
                      std::string authorization) {
    HttpRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    if (!authorization.empty()) request.headers.emplace_back("authorization", authorization);
    HttpResponse answer;
    int calls = 0;
    router.Handle(std::move(request), [&](HttpResponse r) {
      answer = std::move(r);
      ++calls;
    });
    EXPECT_EQ(calls, 1) << "the router must answer exactly once";
    return answer;
  }

  std::string Header(const HttpResponse& r, std::string_view name) {
    for (const auto& [key, value] : r.headers) {
      if (key == name) return value;
    }
    return "";
  }

  std::string Token(uint32_t scopes, std::string name) {
    return "Bearer " + keys_->Create(name, scopes, Timestamp{})->token;
  }

  testing::TempDir dir_;
  std::unique_ptr<db::MetaStore> meta_;
  std::unique_ptr<auth::ApiKeys> keys_;
  Router router_{nullptr};
};

TEST_F(RouterTest, MatchesLiteralsParametersSuffixesAndTheRest) {
  EXPECT_EQ(Call("GET", "/things").body, "list");
  EXPECT_EQ(Call("GET", "/things/a%20b").body, "thing a b");  // parameters are decoded
  EXPECT_EQ(Call("GET", "/badge/outlook.svg").body, "badge outlook");
  EXPECT_EQ(Call("GET", "/files/js/app.js").body, "file js/app.js");  // the rest keeps slashes
  EXPECT_EQ(Call("HEAD", "/things/x").body, "thing x");               // HEAD is answered as GET
}

TEST_F(RouterTest, UnknownPathIs404AndPathsOfAnotherLengthDoNotMatch) {
  for (const char* path : {"/nothing", "/things/a/b", "/badge/outlook.png", "/badge/.svg", "/"}) {
    HttpResponse r = Call("GET", path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.body, R"({"status":"error","errorType":"not_found","error":"no such endpoint: )" +
                          std::string(path) + "\"}")
        << path;
  }
}

TEST_F(RouterTest, WrongMethodIs405WithEveryAllowedMethod) {
  HttpResponse r = Call("PUT", "/things/x");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Header(r, "Allow"), "DELETE, GET, HEAD");
  EXPECT_NE(r.body.find("PUT not allowed on /things/x"), std::string::npos) << r.body;
  EXPECT_EQ(Header(Call("DELETE", "/things"), "Allow"), "GET, HEAD, POST");
}

TEST_F(RouterTest, HandlerErrorsBecomeTheEnvelope) {
  HttpResponse r = Call("GET", "/things/missing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"status":"error","errorType":"not_found","error":"no thing"})");
}

TEST_F(RouterTest, KeysAreCheckedBeforeTheHandler) {
  // Without an ApiKeys, a route with a scope cannot be used.
  HttpResponse disabled = Call("POST", "/things", "Bearer om_x_y");
  EXPECT_EQ(disabled.status, 401);
  EXPECT_NE(disabled.body.find("API keys are not enabled"), std::string::npos);
  Router keyed(keys_.get());
  keyed.Register({.method = "POST", .pattern = "/things", .scope = auth::kAdmin},
                 [](const RouteCall& call) { return Text("created by " + call.key->name); });
  auto post = [&](std::string authorization) {
    return CallOn(keyed, "POST", "/things", std::move(authorization));
  };
  EXPECT_EQ(post("").status, 401);
  EXPECT_EQ(Header(post(""), "WWW-Authenticate"), "Bearer");
  EXPECT_EQ(post("Bearer om_000000000000_wrong").status, 401);
  EXPECT_EQ(post(Token(auth::kIncidentWrite, "operator")).status, 403);
  HttpResponse ok = post(Token(auth::kAdmin, "root"));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "created by root");
}

// A forwarder that records what it was handed and answers 202 "forwarded".
class RecordingForwarder final : public WriteForwarder {
 public:
  bool ShouldForward() const override { return forward; }
  void Forward(HttpRequest&& request, Responder respond) override {
    handed.push_back(request.method + " " + request.path + " " +
                     std::string(request.Header("authorization")));
    HttpResponse answer = Text("forwarded");
    answer.status = 202;
    respond(std::move(answer));
  }
  bool forward = true;
  std::vector<std::string> handed;
};

TEST_F(RouterTest, LeaderWritesGoToTheForwarderOnceAuthorizedAndOnlyWhileItSaysSo) {
  Router keyed(keys_.get());
  keyed.Register(
      {.method = "POST", .pattern = "/things", .scope = auth::kAdmin, .leader_write = true},
      [](const RouteCall& call) { return Text("created by " + call.key->name); });
  keyed.Register({.method = "GET", .pattern = "/things"},
                 [](const RouteCall&) { return Text("list"); });
  RecordingForwarder forwarder;
  keyed.SetWriteForwarder(&forwarder);
  const std::string root = Token(auth::kAdmin, "root");

  // A follower hands the write on, with the caller's key, and answers what the leader answered.
  HttpResponse handed = CallOn(keyed, "POST", "/things", root);
  EXPECT_EQ(handed.status, 202);
  EXPECT_EQ(handed.body, "forwarded");
  ASSERT_EQ(forwarder.handed.size(), 1u);
  EXPECT_EQ(forwarder.handed[0], "POST /things " + root);
  // Reads and unauthorized writes are answered here.
  EXPECT_EQ(CallOn(keyed, "GET", "/things", "").body, "list");
  EXPECT_EQ(CallOn(keyed, "POST", "/things", "").status, 401);
  EXPECT_EQ(CallOn(keyed, "POST", "/things", Token(auth::kIncidentWrite, "op")).status, 403);
  EXPECT_EQ(forwarder.handed.size(), 1u);

  // The leader answers a write handed to it here, even when its forwarder would hand it on.
  HttpRequest request;
  request.method = "POST";
  request.path = "/things";
  request.headers.emplace_back("authorization", root);
  HttpResponse answered;
  keyed.HandleForwarded(std::move(request), [&](HttpResponse r) { answered = std::move(r); });
  EXPECT_EQ(answered.status, 200);
  EXPECT_EQ(answered.body, "created by root");
  // A node that leads (the forwarder says no) answers every write itself.
  forwarder.forward = false;
  EXPECT_EQ(CallOn(keyed, "POST", "/things", root).body, "created by root");
  EXPECT_EQ(forwarder.handed.size(), 1u);
}

TEST(WriteForwardingTest, RequestsAndResponsesTravelWhole) {
  HttpRequest request;
  request.method = "POST";
  request.path = "/api/v1/incidents/OM1000001/updates";
  request.query = "a=1&b=%20";
  request.content_type = "application/json";
  request.client_ip = "192.0.2.7";
  constexpr char kBody[] = "{\"status\":\"identified\"}\0binary";
  request.body = std::string(kBody, sizeof kBody - 1);  // with the NUL inside
  request.headers = {{"authorization", "Bearer om_a_b"}, {"x-empty", ""}};
  Result<HttpRequest> back = DecodeForwardedRequest(EncodeForwardedRequest(request));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->method, request.method);
  EXPECT_EQ(back->path, request.path);
  EXPECT_EQ(back->query, request.query);
  EXPECT_EQ(back->content_type, request.content_type);
  EXPECT_EQ(back->client_ip, request.client_ip);
  EXPECT_EQ(back->body, request.body);
  EXPECT_EQ(back->headers, request.headers);

  HttpResponse response;
  response.status = 409;
  response.body = "{}";
  response.headers = {{"Retry-After", "1"}};
  Result<HttpResponse> answer = DecodeForwardedResponse(EncodeForwardedResponse(response));
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(answer->status, 409);
  EXPECT_EQ(answer->content_type, "application/json");
  EXPECT_EQ(answer->body, "{}");
  EXPECT_EQ(answer->headers, response.headers);
}

TEST(WriteForwardingTest, BrokenBytesAreCorruptionNeverACrash) {
  HttpRequest put;
  put.method = "PUT";
  put.path = "/p";
  const std::string whole = EncodeForwardedRequest(put);
  // Every truncation, a wrong magic, trailing bytes, and a header count far past the bytes.
  for (size_t size = 0; size < whole.size(); ++size) {
    EXPECT_EQ(DecodeForwardedRequest(whole.substr(0, size)).status().code(),
              StatusCode::kCorruption)
        << size;
  }
  EXPECT_EQ(DecodeForwardedRequest("OMA1" + whole.substr(4)).status().code(),
            StatusCode::kCorruption);
  EXPECT_EQ(DecodeForwardedRequest(whole + "x").status().code(), StatusCode::kCorruption);
  std::string huge_count = whole;
  huge_count.replace(huge_count.size() - 4, 4, "\xff\xff\xff\x7f");
  Result<HttpRequest> refused = DecodeForwardedRequest(huge_count);
  EXPECT_EQ(refused.status().code(), StatusCode::kCorruption);
  EXPECT_NE(refused.status().message().find("header count"), std::string::npos);
  HttpResponse bad_status;
  bad_status.status = 42;
  EXPECT_EQ(DecodeForwardedResponse(EncodeForwardedResponse(bad_status)).status().code(),
            StatusCode::kCorruption);
  EXPECT_TRUE(DecodeForwardedRequest(whole).ok());
}

TEST_F(RouterTest, AnOptionalKeyLetsAnonymousCallersThroughButNotWrongKeys) {
  Router keyed(keys_.get());
  keyed.RegisterAsync(
      {.method = "POST", .pattern = "/intake", .scope = auth::kReportWrite, .key_optional = true},
      [](RouteCall&& call, Responder respond) {
        respond(Text(call.key ? "keyed " + call.key->name : "anonymous"));
      });
  auto post = [&](std::string authorization) {
    return CallOn(keyed, "POST", "/intake", std::move(authorization));
  };
  EXPECT_EQ(post("").body, "anonymous");
  EXPECT_EQ(post(Token(auth::kReportWrite, "bulk")).body, "keyed bulk");
  EXPECT_EQ(post("Bearer om_000000000000_wrong").status, 401);
  EXPECT_EQ(post(Token(auth::kIncidentWrite, "operator")).status, 403);
}

TEST(OpsRoutesTest, ReadinessFollowsStartupAndTheStoresWritability) {
  MetricsRegistry metrics;
  Status writable;
  OpsRoutes ops(metrics, [&writable] { return writable; });
  Router router(nullptr);
  ops.Register(router);
  auto readyz = [&] {
    HttpRequest request;
    request.method = "GET";
    request.path = "/readyz";
    HttpResponse answer;
    router.Handle(std::move(request), [&](HttpResponse r) { answer = std::move(r); });
    return answer;
  };
  EXPECT_EQ(readyz().status, 503);
  ops.SetReady(true);
  EXPECT_EQ(readyz().status, 200);
  writable = Status::Unavailable("report log: fdatasync failed");
  HttpResponse refused = readyz();
  EXPECT_EQ(refused.status, 503);
  EXPECT_NE(refused.body.find("report log: fdatasync failed"), std::string::npos) << refused.body;
}

// A cacheable read: ETag and Cache-Control on its 200s, 304 to a matching If-None-Match; nothing
// on other routes, errors or answers that set their own Cache-Control.
TEST(RouterCacheTest, ACacheableReadIsRevalidatedWithItsEtag) {
  Router router(nullptr, std::chrono::seconds(5));
  Router no_max_age(nullptr, std::chrono::seconds(0));
  std::string body = "version 1";
  for (Router* r : {&router, &no_max_age}) {
    r->Register({.method = "GET", .pattern = "/reads/{id}", .cacheable = true},
                [&body](const RouteCall& call) -> Result<HttpResponse> {
                  if (call.Param("id") == "missing") return Status::NotFound("no read");
                  return Text(body);
                });
    r->Register({.method = "GET", .pattern = "/own", .cacheable = true}, [](const RouteCall&) {
      HttpResponse own = Text("own");
      own.headers.emplace_back("Cache-Control", "max-age=60");
      return own;
    });
    r->Register({.method = "GET", .pattern = "/plain"},
                [](const RouteCall&) { return Text("plain"); });
  }
  auto call = [](const Router& r, std::string path, std::string if_none_match = "") {
    HttpRequest request;
    request.method = "GET";
    request.path = std::move(path);
    if (!if_none_match.empty()) request.headers.emplace_back("if-none-match", if_none_match);
    HttpResponse answer;
    r.Handle(std::move(request), [&](HttpResponse a) { answer = std::move(a); });
    return answer;
  };
  auto header = [](const HttpResponse& r, std::string_view name) {
    std::vector<std::string> values;
    for (const auto& [key, value] : r.headers) {
      if (key == name) values.push_back(value);
    }
    return values;
  };

  HttpResponse first = call(router, "/reads/a");
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "version 1");
  ASSERT_EQ(header(first, "ETag").size(), 1u);
  const std::string etag = header(first, "ETag")[0];
  EXPECT_EQ(etag.size(), 18u) << etag;  // 16 hex digits in quotes
  EXPECT_EQ(header(first, "Cache-Control"), std::vector<std::string>{"public, max-age=5"});
  EXPECT_EQ(header(call(no_max_age, "/reads/a"), "Cache-Control"),
            std::vector<std::string>{"no-cache"});

  HttpResponse again = call(router, "/reads/a", etag);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(header(again, "ETag"), std::vector<std::string>{etag});
  EXPECT_EQ(call(router, "/reads/a", "\"0000000000000000\", " + etag).status, 304)
      << "a list of tags";
  EXPECT_EQ(call(router, "/reads/a", "\"0000000000000000\"").status, 200);

  body = "version 2";  // the content changed: a new tag, and the old one gets the new body
  HttpResponse changed = call(router, "/reads/a", etag);
  EXPECT_EQ(changed.status, 200);
  EXPECT_EQ(changed.body, "version 2");
  EXPECT_NE(header(changed, "ETag")[0], etag);

  HttpResponse missing = call(router, "/reads/missing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(header(missing, "ETag").empty()) << "errors are not tagged";
  EXPECT_EQ(header(call(router, "/own"), "Cache-Control"), std::vector<std::string>{"max-age=60"});
  EXPECT_EQ(header(call(router, "/own"), "ETag").size(), 1u);
  HttpResponse plain = call(router, "/plain");
  EXPECT_TRUE(header(plain, "ETag").empty());
  EXPECT_TRUE(header(plain, "Cache-Control").empty());
}

TEST_F(RouterTest, DescribeListsTheTable) {
  std::vector<std::string> table = router_.Describe();
  ASSERT_EQ(table.size(), 7u);
  EXPECT_EQ(table[0], "GET /things");
  EXPECT_EQ(table[1], "POST /things [admin]");
  EXPECT_EQ(table[6], "POST /intake [report:write, optional]");
}

}  // namespace
}  // namespace om::api
