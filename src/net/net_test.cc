#include <gtest/gtest.h>

#include "net/http_client.h"
#include "net/smtp_client.h"

namespace om::net {
namespace {

TEST(HttpClientTest, UrlsAreChecked) {
  auto ok = ParseHttpUrl("http://hooks.local:8081/in?x=1");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->host, "hooks.local");
  EXPECT_EQ(ok->port, "8081");
  EXPECT_EQ(ok->target, "/in?x=1");
  EXPECT_EQ(ParseHttpUrl("http://example.org")->target, "/");
  EXPECT_EQ(ParseHttpUrl("http://example.org")->port, "80");
  auto slack = ParseHttpUrl("https://hooks.slack.com/services/T0/B0/x");
  ASSERT_TRUE(slack.ok());
  EXPECT_TRUE(slack->tls);
  EXPECT_EQ(slack->port, "443");
  EXPECT_EQ(slack->target, "/services/T0/B0/x");
  EXPECT_FALSE(ParseHttpUrl("ftp://x").ok());
  EXPECT_FALSE(ParseHttpUrl("http://user:pw@x/").ok());
  EXPECT_FALSE(ParseHttpUrl("http://x:port/").ok());
}

TEST(SmtpClientTest, UrlsNameTheRecipient) {
  auto t = ParseSmtpUrl("smtp://mail.example.org:587?to=noc%40example.org&from=om@example.org");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->host, "mail.example.org");
  EXPECT_EQ(t->port, "587");
  EXPECT_EQ(t->to, "noc@example.org");
  EXPECT_EQ(t->from, "om@example.org");
  EXPECT_TRUE(t->starttls);
  auto relay = ParseSmtpUrl("smtp://127.0.0.1?to=a@b.c&tls=none");
  ASSERT_TRUE(relay.ok());
  EXPECT_EQ(relay->port, "25");
  EXPECT_EQ(relay->from, "outagemap@127.0.0.1");
  EXPECT_FALSE(relay->starttls);
  EXPECT_EQ(ParseSmtpUrl("smtp://x").status().message(), "url: to= must be one e-mail address");
  EXPECT_EQ(ParseSmtpUrl("smtp://x?to=a@b.c,d@e.f").status().message(),
            "url: to= must be one e-mail address");
  EXPECT_EQ(ParseSmtpUrl("smtp://x?to=a@b.c&tls=maybe").status().message(),
            "url: tls must be starttls or none");
  EXPECT_EQ(ParseSmtpUrl("smtp://x?to=a@b.c&cc=d@e.f").status().message(),
            "url: unknown parameter \"cc\"");
  EXPECT_FALSE(ParseSmtpUrl("mailto:a@b.c").ok());
}

}  // namespace
}  // namespace om::net
