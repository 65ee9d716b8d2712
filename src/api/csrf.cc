#include "api/csrf.h"

#include "base/hex.h"
#include "base/status.h"

namespace om::api {
namespace {

constexpr std::string_view kCsrfCookie = "om_csrf";
constexpr size_t kCsrfTokenChars = 32;

bool IsToken(std::string_view s) {
  return s.size() == kCsrfTokenChars &&
         s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// The value of cookie `name` in a Cookie header ("a=1; om_csrf=..."), empty when absent.
std::string_view CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    size_t semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

}  // namespace

std::string CsrfCookieFor(const HttpRequest& request) {
  if (IsToken(CookieValue(request.Header("cookie"), kCsrfCookie))) return "";
  // 128 random bits from the kernel, as hex.
  Result<std::string> token = RandomHex(kCsrfTokenChars / 2);
  if (!token.ok()) return "";
  return std::string(kCsrfCookie) + "=" + *token + "; Path=/; SameSite=Strict";
}

std::string CsrfProblem(const HttpRequest& request) {
  std::string_view site = request.Header("sec-fetch-site");
  if (!site.empty() && site != "same-origin" && site != "none") {
    return "csrf: cross-site request (Sec-Fetch-Site: " + std::string(site.substr(0, 32)) + ")";
  }
  std::string_view origin = request.Header("origin"), host = request.Header("host");
  if (!origin.empty() && origin != "null") {
    size_t scheme = origin.find("://");
    if (scheme == std::string_view::npos || origin.substr(scheme + 3) != host) {
      return "csrf: Origin " + std::string(origin.substr(0, 100)) + " is not this site";
    }
  }
  std::string_view cookie = CookieValue(request.Header("cookie"), kCsrfCookie);
  std::string_view header = request.Header("x-csrf-token");
  if (!IsToken(cookie)) return "csrf: the om_csrf cookie is missing; reload the page";
  if (header != cookie) return "csrf: X-CSRF-Token does not match the om_csrf cookie";
  return "";
}

}  // namespace om::api
