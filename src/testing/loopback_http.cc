#include "testing/loopback_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace om::testing {

LoopbackHttpServer::LoopbackHttpServer(std::function<std::string(const std::string&)> answer)
    : answer_(std::move(answer)) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  ::listen(fd_, 16);
  thread_ = std::thread([this] { Serve(); });
}

LoopbackHttpServer::~LoopbackHttpServer() {
  stop_ = true;
  ::shutdown(fd_, SHUT_RDWR);
  ::close(fd_);
  thread_.join();
  for (int c : held_) ::close(c);
}

std::string LoopbackHttpServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<std::string> LoopbackHttpServer::requests() {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

std::string LoopbackHttpServer::Reply(int status, const std::string& body,
                                      const std::string& headers) {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + headers +
         "Connection: close\r\n\r\n" + body;
}

void LoopbackHttpServer::Serve() {
  while (!stop_) {
    int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    std::string request;
    char buf[8192];
    timeval tv{5, 0};
    ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    // The head, then Content-Length bytes of body. Bounded: at most 100 reads.
    for (int i = 0; i < 100; ++i) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      request.append(buf, static_cast<size_t>(n));
      size_t head = request.find("\r\n\r\n");
      if (head == std::string::npos) continue;
      size_t cl = request.find("Content-Length: ");
      size_t length = cl == std::string::npos ? 0 : std::stoul(request.substr(cl + 16));
      if (request.size() >= head + 4 + length) break;
    }
    std::string reply;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
      reply = answer_(request);
    }
    if (reply.empty()) {
      held_.push_back(c);
      continue;
    }
    ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
    ::close(c);
  }
}

}  // namespace om::testing
