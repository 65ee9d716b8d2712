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
