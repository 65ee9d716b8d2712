#include "catalog/catalog.h"

#include <algorithm>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/status.h"
#include "testing/temp_dir.h"

namespace om::catalog {
namespace {

using ::testing::HasSubstr;

// Parses `text`, expecting success.
Catalog MustParse(std::string_view text) {
  Result<Catalog> catalog = Catalog::Parse(text, "test.toml");
  EXPECT_TRUE(catalog.ok()) << catalog.status().ToString();
  return catalog.ok() ? std::move(catalog).value() : Catalog();
}

Status ParseError(std::string_view text) {
  Result<Catalog> catalog = Catalog::Parse(text, "test.toml");
  EXPECT_FALSE(catalog.ok()) << "parsed: " << text;
  return catalog.status();
}

// A service with only the given fields set.
Service Svc(std::string id, std::vector<std::string> aliases = {},
            std::vector<std::string> depends_on = {}) {
  Service s;
  s.id = std::move(id);
  s.aliases = std::move(aliases);
  s.depends_on = std::move(depends_on);
  return s;
}

Catalog Builtin() {
  Result<Catalog> catalog = Catalog::LoadBuiltin();
  EXPECT_TRUE(catalog.ok()) << catalog.status().ToString();
  return catalog.ok() ? std::move(catalog).value() : Catalog();
}

TEST(SlugTest, AcceptsAndRejects) {
  EXPECT_TRUE(IsValidSlug("x"));
  EXPECT_TRUE(IsValidSlug("microsoft-365"));
  EXPECT_TRUE(IsValidSlug("0day"));
  EXPECT_TRUE(IsValidSlug(std::string(63, 'a')));
  EXPECT_FALSE(IsValidSlug(""));
  EXPECT_FALSE(IsValidSlug(std::string(64, 'a')));
  EXPECT_FALSE(IsValidSlug("-leading"));
  EXPECT_FALSE(IsValidSlug("Upper"));
  EXPECT_FALSE(IsValidSlug("under_score"));
  EXPECT_FALSE(IsValidSlug("sp ace"));
}

TEST(SlugTest, NormalizeTrimsAndLowersOnly) {
  EXPECT_EQ(NormalizeSlug(" Internet \t"), "internet");
  EXPECT_EQ(NormalizeSlug("Mobile-Network"), "mobile-network");
  EXPECT_EQ(NormalizeSlug("under_Score"), "under_score");  // still not a slug: IsValidSlug says so
  EXPECT_EQ(NormalizeSlug("   "), "");
}

TEST(CategoriesTest, ContainsOtherAndIsValid) {
  EXPECT_TRUE(IsValidCategory("other"));
  EXPECT_TRUE(IsValidCategory("dns-hosting"));
  EXPECT_FALSE(IsValidCategory("Cloud"));
  for (const std::string& c : Categories()) EXPECT_TRUE(IsValidSlug(c)) << c;
}

TEST(BuiltinTest, ParsesWithAtLeast110Services) { EXPECT_GE(Builtin().size(), 110u); }

TEST(BuiltinTest, HasRequiredServices) {
  const Catalog catalog = Builtin();
  const std::vector<std::string> required = {"microsoft-365",
                                             "outlook",
                                             "teams",
                                             "azure",
                                             "aws",
                                             "google-cloud",
                                             "google",
                                             "gmail",
                                             "youtube",
                                             "google-drive",
                                             "slack",
                                             "zoom",
                                             "mimecast",
                                             "godaddy",
                                             "cloudflare",
                                             "akamai",
                                             "fastly",
                                             "github",
                                             "gitlab",
                                             "jira",
                                             "discord",
                                             "whatsapp",
                                             "facebook",
                                             "instagram",
                                             "messenger",
                                             "x",
                                             "reddit",
                                             "tiktok",
                                             "snapchat",
                                             "linkedin",
                                             "netflix",
                                             "spotify",
                                             "disney-plus",
                                             "hulu",
                                             "max",
                                             "prime-video",
                                             "twitch",
                                             "steam",
                                             "playstation-network",
                                             "xbox-live",
                                             "epic-games",
                                             "fortnite",
                                             "roblox",
                                             "icloud",
                                             "app-store",
                                             "apple-music",
                                             "chatgpt",
                                             "claude",
                                             "gemini",
                                             "paypal",
                                             "stripe",
                                             "visa",
                                             "mastercard",
                                             "square",
                                             "venmo",
                                             "cash-app",
                                             "chase",
                                             "bank-of-america",
                                             "wells-fargo",
                                             "capital-one",
                                             "amazon",
                                             "shopify",
                                             "ebay",
                                             "doordash",
                                             "uber",
                                             "lyft",
                                             "airbnb",
                                             "booking",
                                             "united-airlines",
                                             "delta",
                                             "american-airlines",
                                             "southwest",
                                             "comcast-xfinity",
                                             "spectrum",
                                             "verizon",
                                             "at-t",
                                             "t-mobile",
                                             "cox",
                                             "starlink",
                                             "vodafone",
                                             "bt",
                                             "ee",
                                             "virgin-media",
                                             "deutsche-telekom",
                                             "orange",
                                             "telstra",
                                             "rogers",
                                             "bell",
                                             "dropbox",
                                             "box",
                                             "salesforce",
                                             "zendesk",
                                             "okta",
                                             "auth0",
                                             "duo",
                                             "crowdstrike",
                                             "docusign",
                                             "adobe-creative-cloud",
                                             "canva",
                                             "notion",
                                             "figma",
                                             "webex",
                                             "ring",
                                             "nest",
                                             "fastmail",
                                             "yahoo-mail",
                                             "proton",
                                             "heroku",
                                             "vercel",
                                             "netlify",
                                             "digitalocean",
                                             "linode",
                                             "oracle-cloud",
                                             "ibm-cloud",
                                             "twilio",
                                             "sendgrid",
                                             "mailchimp",
                                             "hubspot",
                                             "quickbooks",
                                             "intuit-turbotax",
                                             "fedex",
                                             "ups",
                                             "usps",
                                             "ticketmaster"};
  for (const std::string& id : required) {
    const Service* s = catalog.Find(id);
    ASSERT_NE(s, nullptr) << id;
    EXPECT_EQ(s->id, id);
    EXPECT_FALSE(s->auto_registered);
  }
}

TEST(BuiltinTest, EveryServiceFollowsTheRules) {
  const Catalog catalog = Builtin();
  for (const Service& s : catalog.services()) {
    EXPECT_TRUE(IsValidSlug(s.id)) << s.id;
    EXPECT_FALSE(s.name.empty()) << s.id;
    EXPECT_TRUE(IsValidCategory(s.category)) << s.id;
    EXPECT_FALSE(s.problems.empty()) << s.id;
    for (const std::string& dep : s.depends_on) {
      const Service* upstream = catalog.Find(dep);
      ASSERT_NE(upstream, nullptr) << s.id << " -> " << dep;
      EXPECT_EQ(upstream->id, dep) << s.id;
    }
    if (s.status_format != "none") {
      EXPECT_TRUE(s.status_url.starts_with("https://")) << s.id;
    }
  }
  EXPECT_TRUE(catalog.Validate().ok());
}

// People report what they use: a telecom's customers report their internet, TV and landline as
// well as the mobile network, and a bank's their cards and online banking.
TEST(BuiltinTest, TelecomsAndBanksListTheProblemsTheirCustomersReport) {
  const std::vector<std::string> telecom = {"internet", "mobile-network", "no-signal", "landline",
                                            "tv",       "wifi",           "calls",     "sms"};
  const std::vector<std::string> bank = {"card-payments", "online-banking", "mobile-banking",
                                         "app",           "login",          "atm"};
  size_t telecoms = 0, banks = 0;
  const Catalog catalog = Builtin();
  for (const Service& s : catalog.services()) {
    const std::vector<std::string>* wanted = nullptr;
    if (s.category == "isp" || s.category == "mobile") {
      ++telecoms;
      if (s.id != "starlink") wanted = &telecom;  // a satellite ISP: no TV, landline or SMS
    } else if (s.category == "banking") {
      ++banks;
      wanted = &bank;
    }
    if (!wanted) continue;
    for (const std::string& p : *wanted) {
      EXPECT_NE(std::find(s.problems.begin(), s.problems.end(), p), s.problems.end())
          << s.id << " lacks " << p;
    }
  }
  EXPECT_GE(telecoms, 20u);
  EXPECT_GE(banks, 5u);
}

TEST(BuiltinTest, KnownDependencies) {
  const Catalog catalog = Builtin();
  auto depends = [&](std::string_view id, const std::string& upstream) {
    const Service* s = catalog.Find(id);
    if (s == nullptr) return false;
    return std::find(s->depends_on.begin(), s->depends_on.end(), upstream) != s->depends_on.end();
  };
  EXPECT_TRUE(depends("mimecast", "microsoft-365"));
  EXPECT_TRUE(depends("godaddy", "microsoft-365"));
  EXPECT_TRUE(depends("outlook", "microsoft-365"));
  EXPECT_TRUE(depends("teams", "microsoft-365"));
  EXPECT_TRUE(depends("microsoft-365", "azure"));
  EXPECT_TRUE(depends("discord", "google-cloud"));
  EXPECT_TRUE(depends("discord", "cloudflare"));
  EXPECT_TRUE(depends("shopify", "cloudflare"));
}

TEST(BuiltinTest, FindsByAlias) {
  const Catalog catalog = Builtin();
  ASSERT_NE(catalog.Find("o365"), nullptr);
  EXPECT_EQ(catalog.Find("o365")->id, "microsoft-365");
  ASSERT_NE(catalog.Find("Twitter"), nullptr);
  EXPECT_EQ(catalog.Find("Twitter")->id, "x");
  ASSERT_NE(catalog.Find("  Office 365 "), nullptr);
  EXPECT_EQ(catalog.Find("  Office 365 ")->id, "microsoft-365");
  ASSERT_NE(catalog.Find("HOTMAIL"), nullptr);
  EXPECT_EQ(catalog.Find("HOTMAIL")->id, "outlook");
  ASSERT_NE(catalog.Find("GitHub"), nullptr);
  EXPECT_EQ(catalog.Find("GitHub")->id, "github");
  EXPECT_EQ(catalog.Find("no-such-service"), nullptr);
  EXPECT_EQ(catalog.Find(""), nullptr);
  EXPECT_EQ(catalog.Find(std::string(500, 'a')), nullptr);
  EXPECT_EQ(catalog.IndexOf("o365"), catalog.IndexOf("microsoft-365"));
  EXPECT_EQ(catalog.services()[*catalog.IndexOf("x")].id, "x");
}

TEST(ParseTest, ReadsAllFieldsAndDefaults) {
  const Catalog catalog = MustParse(R"toml(
version = 1
[[service]]
id = "acme"
name = "  Acme Cloud "
category = "cloud"
aliases = ["ACME Corp", "acme.io"]
problems = ["api", "other"]
components = ["API", "Console"]
status_url = "https://status.acme.io/api/v2/summary.json"
status_format = "statuspage"

[[service]]
id = "widget"
name = "Widget"
depends_on = ["acme"]
)toml");
  ASSERT_EQ(catalog.size(), 2u);
  const Service& acme = catalog.services()[0];
  EXPECT_EQ(acme.name, "Acme Cloud");
  EXPECT_EQ(acme.category, "cloud");
  EXPECT_EQ(acme.aliases, (std::vector<std::string>{"ACME Corp", "acme.io"}));
  EXPECT_EQ(acme.problems, (std::vector<std::string>{"api", "other"}));
  EXPECT_EQ(acme.components, (std::vector<std::string>{"API", "Console"}));
  EXPECT_EQ(acme.status_format, "statuspage");
  const Service& widget = catalog.services()[1];
  EXPECT_EQ(widget.category, "other");
  EXPECT_EQ(widget.problems, DefaultProblems());
  EXPECT_EQ(widget.status_format, "none");
  EXPECT_TRUE(widget.status_url.empty());
  EXPECT_EQ(catalog.Find("acme corp"), &catalog.services()[0]);
  EXPECT_TRUE(catalog.HasProblem(0, "api"));
  EXPECT_FALSE(catalog.HasProblem(0, "login"));
  EXPECT_TRUE(catalog.HasProblem(1, "login"));
  EXPECT_TRUE(catalog.Validate().ok());
}

TEST(ParseTest, EmptyTextIsAnEmptyCatalog) { EXPECT_EQ(MustParse("").size(), 0u); }

TEST(ParseTest, BadSlugNamesLineAndField) {
  const Status s = ParseError(
      "[[service]]\nid = \"ok\"\nname = \"Ok\"\n\n[[service]]\nid = \"Bad_Id\"\n"
      "name = \"Bad\"\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "test.toml:6: service[1].id: must be a slug ([a-z0-9-], 1-63 chars)");
}

TEST(ParseTest, MissingNameNamesField) {
  const Status s = ParseError("\n[[service]]\nid = \"acme\"\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("test.toml:2: service[0].name: required key is missing"));
}

TEST(ParseTest, WrongTypeNamesLineAndField) {
  Status s = ParseError("[[service]]\nid = \"acme\"\nname = 42\n");
  EXPECT_EQ(s.message(), "test.toml:3: service[0].name: must be a string");
  s = ParseError("[[service]]\nid = \"acme\"\nname = \"Acme\"\naliases = \"acme corp\"\n");
  EXPECT_EQ(s.message(), "test.toml:4: service[0].aliases: must be an array of strings");
  s = ParseError("[[service]]\nid = \"acme\"\nname = \"Acme\"\naliases = [\"a\",\n  7]\n");
  EXPECT_EQ(s.message(), "test.toml:5: service[0].aliases[1]: must be a string");
  s = ParseError("service = 3\n");
  EXPECT_THAT(s.message(), HasSubstr("test.toml:1: service: must be an array of tables"));
}

TEST(ParseTest, UnknownKeyIsAnErrorNamingTheKey) {
  Status s = ParseError("[[service]]\nid = \"acme\"\nname = \"Acme\"\ncolour = \"red\"\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "test.toml:4: service[0].colour: unknown key");
  s = ParseError("services = []\n");
  EXPECT_THAT(s.message(), HasSubstr("test.toml:1: services: unknown key"));
}

TEST(ParseTest, RuleViolationsNameField) {
  const std::string head = "[[service]]\nid = \"acme\"\nname = \"Acme\"\n";
  EXPECT_THAT(ParseError(head + "category = \"clouds\"\n").message(),
              HasSubstr("test.toml:4: service[0].category: must be one of: ai, banking"));
  EXPECT_THAT(ParseError(head + "problems = [\"login\"]\n").message(),
              HasSubstr("service[0].problems: must contain \"other\""));
  EXPECT_THAT(ParseError(head + "problems = []\n").message(),
              HasSubstr("service[0].problems: must not be empty"));
  EXPECT_THAT(ParseError(head + "problems = [\"other\",\n\"Log In\"]\n").message(),
              HasSubstr("test.toml:5: service[0].problems[1]: must be a slug"));
  EXPECT_THAT(ParseError(head + "aliases = [\"a\", \"A\"]\n").message(),
              HasSubstr("service[0].aliases[1]: duplicate of aliases[0]"));
  EXPECT_THAT(ParseError(head + "depends_on = [\"acme\"]\n").message(),
              HasSubstr("service[0].depends_on[0]: a service cannot depend on itself"));
  EXPECT_THAT(ParseError(head + "status_format = \"rss\"\n").message(),
              HasSubstr("service[0].status_format: \"rss\" requires a status_url"));
  EXPECT_THAT(ParseError(head + "status_url = \"ftp://x\"\n").message(),
              HasSubstr("service[0].status_url: must start with http:// or https://"));
  EXPECT_THAT(ParseError(head + "status_format = \"json\"\nstatus_url = \"https://x\"\n").message(),
              HasSubstr("service[0].status_format: must be one of: statuspage, rss, atom, none"));
  EXPECT_THAT(ParseError("version = 2\n").message(), HasSubstr("test.toml:1: version:"));
}

TEST(ParseTest, TomlSyntaxErrorNamesLine) {
  const Status s = ParseError("[[service]]\nid = \"acme\"\nname = \n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("test.toml:3"));
}

TEST(ParseTest, DuplicateIdsAndClashingAliases) {
  Status s =
      ParseError("[[service]]\nid = \"a\"\nname = \"A\"\n[[service]]\nid = \"a\"\nname = \"B\"\n");
  EXPECT_THAT(s.message(), HasSubstr("test.toml:4: service[1].id: duplicate id \"a\""));
  s = ParseError(
      "[[service]]\nid = \"a\"\nname = \"A\"\n[[service]]\nid = \"b\"\nname = \"B\"\n"
      "aliases = [\"A\"]\n");
  EXPECT_THAT(s.message(),
              HasSubstr("service[1].aliases[0]: alias \"A\" of \"b\" is already the id"));
}

TEST(ParseTest, DependenciesAreResolvedByValidateNotParse) {
  const Catalog catalog =
      MustParse("[[service]]\nid = \"a\"\nname = \"A\"\ndepends_on = [\"zz\"]\n");
  const Status s = catalog.Validate();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("\"a\" depends on unknown service \"zz\""));
}

constexpr std::string_view kBase = R"toml(
[[service]]
id = "cloud"
name = "Cloud"

[[service]]
id = "app"
name = "App"
aliases = ["the app"]
depends_on = ["cloud"]
)toml";

TEST(MergeTest, OverridesInPlaceAndAppends) {
  Catalog base = MustParse(kBase);
  const Catalog user = MustParse(R"toml(
[[service]]
id = "app"
name = "App (ours)"
aliases = ["our app"]

[[service]]
id = "new"
name = "New"
depends_on = ["app", "cloud"]
)toml");
  ASSERT_TRUE(base.Merge(user).ok());
  ASSERT_EQ(base.size(), 3u);
  EXPECT_EQ(base.IndexOf("app"), 1u);
  EXPECT_EQ(base.Find("app")->name, "App (ours)");
  EXPECT_TRUE(base.Find("app")->depends_on.empty());
  EXPECT_EQ(base.Find("the app"), nullptr);  // the override's aliases replace the old ones
  EXPECT_EQ(base.Find("our app")->id, "app");
  EXPECT_EQ(base.IndexOf("new"), 2u);
}

TEST(MergeTest, UnknownDependencyNamesBothAndLeavesCatalogUnchanged) {
  Catalog base = MustParse(kBase);
  const Catalog user =
      MustParse("[[service]]\nid = \"new\"\nname = \"New\"\ndepends_on = [\"nope\"]\n");
  const Status s = base.Merge(user);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("\"new\" depends on unknown service \"nope\""));
  EXPECT_EQ(base.size(), 2u);
  EXPECT_EQ(base.Find("new"), nullptr);
}

TEST(MergeTest, DetectsCycles) {
  Catalog base = MustParse(kBase);
  const Catalog user =
      MustParse("[[service]]\nid = \"cloud\"\nname = \"Cloud\"\ndepends_on = [\"app\"]\n");
  const Status s = base.Merge(user);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("dependency cycle"));
  EXPECT_THAT(s.message(), HasSubstr("cloud -> app -> cloud"));
  EXPECT_TRUE(base.Find("cloud")->depends_on.empty());
}

TEST(MergeTest, DetectsLongCycle) {
  std::string text;
  for (int i = 0; i < 50; ++i) {
    text += "[[service]]\nid = \"s" + std::to_string(i) + "\"\nname = \"S\"\ndepends_on = [\"s" +
            std::to_string((i + 1) % 50) + "\"]\n";
  }
  Catalog catalog;
  EXPECT_THAT(catalog.Merge(MustParse(text)).message(), HasSubstr("dependency cycle"));
}

TEST(MergeTest, AliasClashWithAnotherServiceIsAnError) {
  Catalog base = MustParse(kBase);
  const Catalog user =
      MustParse("[[service]]\nid = \"other-app\"\nname = \"O\"\naliases = [\"The App\"]\n");
  const Status s = base.Merge(user);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("\"other-app\""));
  EXPECT_THAT(s.message(), HasSubstr("\"app\""));
}

TEST(MergeTest, UserCatalogOverBuiltin) {
  Catalog catalog = Builtin();
  const size_t before = catalog.size();
  const Catalog user = MustParse(R"toml(
[[service]]
id = "intranet"
name = "Intranet"
depends_on = ["microsoft-365", "okta"]
)toml");
  ASSERT_TRUE(catalog.Merge(user).ok());
  EXPECT_EQ(catalog.size(), before + 1);
  EXPECT_EQ(catalog.Find("intranet")->depends_on[1], "okta");
}

TEST(AddTest, AppendsAutoRegisteredServiceWithDefaults) {
  Catalog catalog = MustParse(kBase);
  const Result<uint32_t> index = catalog.Add(Svc("fresh"));
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  EXPECT_EQ(*index, 2u);
  const Service& s = catalog.services()[*index];
  EXPECT_TRUE(s.auto_registered);
  EXPECT_EQ(s.name, "fresh");
  EXPECT_EQ(s.category, "other");
  EXPECT_EQ(s.problems, DefaultProblems());
  EXPECT_EQ(s.status_format, "none");
  EXPECT_EQ(catalog.IndexOf("FRESH"), 2u);
  EXPECT_TRUE(catalog.HasProblem(*index, "other"));
  EXPECT_EQ(catalog.IndexOf("app"), 1u);  // earlier indexes are stable
}

TEST(AddTest, RejectsBadSlugAndDuplicates) {
  Catalog catalog = MustParse(kBase);
  EXPECT_EQ(catalog.Add(Svc("Bad Id")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog.Add(Svc("")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog.Add(Svc("app")).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(catalog.Add(Svc("cloud")).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(catalog.Add(Svc("new", {"the app"})).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog.Add(Svc("new", {}, {"nope"})).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog.size(), 2u);
  ASSERT_TRUE(catalog.Add(Svc("new", {}, {"app"})).ok());
  EXPECT_EQ(catalog.Add(Svc("new")).status().code(), StatusCode::kAlreadyExists);
}

TEST(LoadFileTest, MissingFileIsNotFoundWithPath) {
  const std::string path = "/nonexistent/dir/catalog.toml";
  const Result<Catalog> catalog = Catalog::LoadFile(path);
  EXPECT_EQ(catalog.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(catalog.status().message(), HasSubstr(path));
}

TEST(LoadFileTest, ReadsFileAndNamesItInErrors) {
  const testing::TempDir dir;
  const std::string good = dir.str() + "/good.toml";
  std::ofstream(good) << "[[service]]\nid = \"a\"\nname = \"A\"\n";
  const Result<Catalog> catalog = Catalog::LoadFile(good);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_EQ(catalog->size(), 1u);

  const std::string bad = dir.str() + "/bad.toml";
  std::ofstream(bad) << "[[service]]\nid = \"a\"\n";
  const Result<Catalog> error = Catalog::LoadFile(bad);
  EXPECT_EQ(error.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(error.status().message(), HasSubstr(bad + ":1: service[0].name"));
}

}  // namespace
}  // namespace om::catalog
