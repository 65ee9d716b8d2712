#include "api/atom_feed.h"

#include <algorithm>

#include "base/time.h"
#include "web/badge.h"

namespace om::api {
namespace {

std::string Time(int64_t ms) { return FormatRfc3339(FromUnixMillis(ms)); }

}  // namespace

std::string RenderAtomFeed(const AtomFeedInput& in) {
  using web::XmlEscape;
  int64_t updated = 0;
  for (const auto& i : in.incidents) updated = std::max(updated, i.updated_ms);
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
  out += "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n";
  out += "  <id>" + XmlEscape(in.base_url + in.self_path) + "</id>\n";
  out += "  <title>" + XmlEscape(in.title) + "</title>\n";
  out += "  <updated>" + Time(updated ? updated : in.now_ms) + "</updated>\n";
  out += "  <link rel=\"self\" href=\"" + XmlEscape(in.base_url + in.self_path) + "\"/>\n";
  out += "  <link rel=\"alternate\" type=\"text/html\" href=\"" + XmlEscape(in.base_url + "/") +
         "\"/>\n";
  out += "  <author><name>outagemap</name></author>\n";
  // Entries newest change first, as feed readers expect.
  std::vector<const incidents::IncidentRecord*> order;
  for (const auto& i : in.incidents) order.push_back(&i);
  std::stable_sort(order.begin(), order.end(),
                   [](auto* a, auto* b) { return a->updated_ms > b->updated_ms; });
  for (const incidents::IncidentRecord* i : order) {
    std::string name = i->service;
    for (const auto& [id, display] : in.service_names) {
      if (id == i->service) name = display;
    }
    std::string link = in.base_url + "/incidents/" + i->id;
    std::string content;
    for (size_t k = i->updates.size(); k-- > 0;) {
      const auto& u = i->updates[k];
      content += Time(u.at_ms) + " — " + std::string(incidents::StatusName(u.status)) + ": " +
                 u.body + "\n";
    }
    out += "  <entry>\n";
    out += "    <id>" + XmlEscape(link) + "</id>\n";
    out += "    <title>" +
           XmlEscape(name + ": " + std::string(incidents::StatusName(i->status)) + " (" + i->id +
                     ", impact " + std::string(incidents::ImpactName(i->impact)) + ")") +
           "</title>\n";
    out += "    <published>" + Time(i->created_ms) + "</published>\n";
    out += "    <updated>" + Time(i->updated_ms) + "</updated>\n";
    out += "    <link rel=\"alternate\" type=\"text/html\" href=\"" + XmlEscape(link) + "\"/>\n";
    out += "    <category term=\"" + XmlEscape(i->service) + "\"/>\n";
    out += "    <content type=\"text\">" + XmlEscape(content) + "</content>\n";
    out += "  </entry>\n";
  }
  out += "</feed>\n";
  return out;
}

}  // namespace om::api
