#pragma once
// LoopbackHttpServer: a tiny HTTP server on 127.0.0.1 for tests of outbound clients (webhooks,
// official status polling). Each connection carries one request; `answer` turns the request's
// text (head and body) into the raw reply to send, or "" to hold the connection unanswered (a
// peer that stalls, so that the client's deadline must fire). Keeps every request it received.
// Serves on its own thread until destroyed.

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace om::testing {

class LoopbackHttpServer {
 public:
  explicit LoopbackHttpServer(std::function<std::string(const std::string& request)> answer);
  ~LoopbackHttpServer();
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  // "http://127.0.0.1:<port><path>"
  std::string url(const std::string& path) const;
  std::vector<std::string> requests();

  // A reply with `status`, `body` and extra header lines ("ETag: \"v1\"\r\n").
  static std::string Reply(int status, const std::string& body, const std::string& headers = "");

 private:
  void Serve();

  const std::function<std::string(const std::string&)> answer_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> requests_;
  std::vector<int> held_;  // connections left unanswered, closed at the end
};

}  // namespace om::testing
