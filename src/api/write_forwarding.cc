#include "api/write_forwarding.h"

#include <cstdint>

namespace om::api {
namespace {

constexpr std::string_view kRequestMagic = "OMQ1";
constexpr std::string_view kResponseMagic = "OMA1";

void PutU32(std::string& out, uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void PutString(std::string& out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

void PutHeaders(std::string& out, const std::vector<std::pair<std::string, std::string>>& headers) {
  PutU32(out, static_cast<uint32_t>(headers.size()));
  for (const auto& [name, value] : headers) {
    PutString(out, name);
    PutString(out, value);
  }
}

// Reads the fields of one encoded value; every read fails once the bytes run out.
class FieldReader {
 public:
  FieldReader(std::string_view bytes, std::string_view what) : rest_(bytes), what_(what) {}

  Status Magic(std::string_view magic) {
    if (!rest_.starts_with(magic)) return Corrupt("bad magic");
    rest_.remove_prefix(magic.size());
    return Status::Ok();
  }
  Status U32(uint32_t& v) {
    if (rest_.size() < 4) return Corrupt("truncated");
    v = 0;
    for (int i = 0; i < 4; ++i) {
      v |= static_cast<uint32_t>(static_cast<uint8_t>(rest_[i])) << (8 * i);
    }
    rest_.remove_prefix(4);
    return Status::Ok();
  }
  Status String(std::string& s) {
    uint32_t size = 0;
    OM_RETURN_IF_ERROR(U32(size));
    if (rest_.size() < size) return Corrupt("truncated");
    s.assign(rest_.substr(0, size));
    rest_.remove_prefix(size);
    return Status::Ok();
  }
  Status Headers(std::vector<std::pair<std::string, std::string>>& headers) {
    uint32_t count = 0;
    OM_RETURN_IF_ERROR(U32(count));
    // Each header takes 8 bytes at least: a count past that is a corrupt one, not an allocation.
    if (count > rest_.size() / 8) return Corrupt("header count " + std::to_string(count));
    headers.resize(count);
    for (auto& [name, value] : headers) {
      OM_RETURN_IF_ERROR(String(name));
      OM_RETURN_IF_ERROR(String(value));
    }
    return Status::Ok();
  }
  Status End() { return rest_.empty() ? Status::Ok() : Corrupt("trailing bytes"); }

 private:
  Status Corrupt(const std::string& why) const {
    return Status::Corruption("forwarded " + std::string(what_) + ": " + why);
  }

  std::string_view rest_;
  std::string_view what_;
};

}  // namespace

std::string EncodeForwardedRequest(const HttpRequest& request) {
  std::string out(kRequestMagic);
  for (const std::string* field : {&request.method, &request.path, &request.query,
                                   &request.content_type, &request.client_ip, &request.body}) {
    PutString(out, *field);
  }
  PutHeaders(out, request.headers);
  return out;
}

Result<HttpRequest> DecodeForwardedRequest(std::string_view bytes) {
  FieldReader reader(bytes, "request");
  HttpRequest request;
  OM_RETURN_IF_ERROR(reader.Magic(kRequestMagic));
  for (std::string* field : {&request.method, &request.path, &request.query, &request.content_type,
                             &request.client_ip, &request.body}) {
    OM_RETURN_IF_ERROR(reader.String(*field));
  }
  OM_RETURN_IF_ERROR(reader.Headers(request.headers));
  OM_RETURN_IF_ERROR(reader.End());
  return request;
}

std::string EncodeForwardedResponse(const HttpResponse& response) {
  std::string out(kResponseMagic);
  PutU32(out, static_cast<uint32_t>(response.status));
  PutString(out, response.content_type);
  PutString(out, response.body);
  PutHeaders(out, response.headers);
  return out;
}

Result<HttpResponse> DecodeForwardedResponse(std::string_view bytes) {
  FieldReader reader(bytes, "response");
  HttpResponse response;
  uint32_t status = 0;
  OM_RETURN_IF_ERROR(reader.Magic(kResponseMagic));
  OM_RETURN_IF_ERROR(reader.U32(status));
  if (status < 100 || status > 599) {
    return Status::Corruption("forwarded response: status " + std::to_string(status));
  }
  response.status = static_cast<int>(status);
  OM_RETURN_IF_ERROR(reader.String(response.content_type));
  OM_RETURN_IF_ERROR(reader.String(response.body));
  OM_RETURN_IF_ERROR(reader.Headers(response.headers));
  OM_RETURN_IF_ERROR(reader.End());
  return response;
}

}  // namespace om::api
