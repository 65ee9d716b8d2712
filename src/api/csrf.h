#pragma once
// The report form's defence against cross-site request forgery: the double-submit pattern
// (OWASP CSRF Prevention Cheat Sheet). Every page load gets a random token in a SameSite=Strict
// cookie; the page's script copies it into the X-CSRF-Token header of its posts, which another
// site can neither read nor set. Origin and Sec-Fetch-Site refuse cross-site requests outright
// where browsers send them.

#include <string>

#include "api/http.h"

namespace om::api {

// The Set-Cookie value that gives a page load its token, or empty when the request already
// carries a well-formed token (or the kernel gave no randomness: then no page gets a token, and
// the form refuses every post, rather than hand out a guessable one).
std::string CsrfCookieFor(const HttpRequest& request);

// Why a form post is not from our own page ("csrf: ..."), or empty when it is.
std::string CsrfProblem(const HttpRequest& request);

}  // namespace om::api
