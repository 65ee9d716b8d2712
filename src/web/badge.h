#pragma once
// Status badges: a small SVG that a site embeds with <img src="/badge/ID.svg"> to show a
// service's crowd-reported status, in the common two-part style (label on grey, status on a
// colour). Colours come from the Okabe–Ito palette, which stays distinguishable under the common
// colour-vision deficiencies, and the status is always spelled out, never colour alone.
//
// Thread-safety: pure functions.

#include <string>
#include <string_view>

namespace om::web {

// `status` is "normal", "possible" or "outage" (anything else renders as "unknown", grey).
// `label` is any UTF-8 text (a service name): it is XML-escaped and cut to 40 characters with an
// ellipsis. The SVG has role="img" and a <title> for screen readers.
std::string RenderStatusBadge(std::string_view label, std::string_view status);

// Escapes & < > " ' for XML text and attribute values.
std::string XmlEscape(std::string_view text);

}  // namespace om::web
