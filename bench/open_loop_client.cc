// om_open_loop: a native open-loop HTTP load generator for tools/load/overload.sh, a drop-in
// replacement of tools/load/open_loop.py (same command line, same JSON keys, plus three more).
//
// Why open loop: a closed-loop client such as wrk waits for each answer before its next request, so
// it never offers more than the server answers. A crowd of independent clients does not wait: here
// request i is due at start + i/R and is sent then, whether or not earlier ones were answered. One
// Python asyncio process could offer only 1.7x what the server takes; one thread of non-blocking
// sockets on epoll keeps to 50000 small requests/s on 2 cores (to nginx, answering at once).
//
//   om_open_loop PORT --rate R [--seconds S (60)] --body FILE --out FILE.json
//                [--max-in-flight N (4000)] [--timeout SECONDS (60)]
//
// POSTs FILE (NDJSON) to http://127.0.0.1:PORT/api/v1/reports floor(R*S) times, each on an idle
// keep-alive connection or else a new one. A request due while N are in flight is counted as
// not_sent and skipped, never queued: the client stays bounded (at most N connections). A request
// not answered within --timeout seconds of its due time fails as "timeout".
//
// Latency is measured from each request's due time, not from when it was written: when the client
// falls behind its schedule the delay shows in the latency instead of hiding the server's
// (coordinated omission). max_send_lag_ms and send_lag_p50_ms show how far the client itself fell
// behind (due time to first byte written).
//
// Output, to --out and stdout: answers and latency percentiles by status, reports acknowledged (the
// 200 answers' "accepted"), 429/503 answers without Retry-After, failures by short name, sent,
// not_sent, offered_requests_per_s, schedule_seconds, max_send_lag_ms, send_lag_p50_ms,
// connections_opened. Exit status 2 for a bad command line or too low a file limit.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

constexpr char kUsage[] =
    "usage: om_open_loop PORT --rate R [--seconds S (60)] --body FILE --out FILE.json\n"
    "                    [--max-in-flight N (4000)] [--timeout SECONDS (60)]\n";
// Our server answers in a few hundred bytes; anything this large is not an answer to wait for.
constexpr size_t kMaxResponseBytes = 16 << 20;
// Width of a period of the timeline in the output.
constexpr std::chrono::seconds kTimelinePeriod{5};

struct Options {
  int port = 0;
  double rate = 0;              // requests a second, > 0
  double seconds = 60;          // length of the schedule, > 0
  std::string body_path;        // request body, sent as is
  std::string out_path;         // JSON report
  int max_in_flight = 4000;     // requests (and so connections) at once
  double timeout_seconds = 60;  // from each request's due time
};

template <typename T>
std::optional<T> ParseNumber(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<Options> ParseArgs(int argc, char** argv) {
  auto reject = [](std::string_view argument, const std::string& problem) {
    std::fprintf(stderr, "%.*s: %s\n%s", static_cast<int>(argument.size()), argument.data(),
                 problem.c_str(), kUsage);
    return std::nullopt;
  };
  Options options;
  bool have_port = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (!arg.starts_with("--")) {
      std::optional<int> port = ParseNumber<int>(arg);
      if (have_port || !port || *port < 1 || *port > 65535) {
        return reject("PORT", "expected one port in 1..65535, got '" + std::string(arg) + "'");
      }
      options.port = *port;
      have_port = true;
      continue;
    }
    // Both "--rate 5" and "--rate=5", as argparse accepts.
    size_t equals = arg.find('=');
    std::string_view name = arg.substr(0, equals);
    if (equals == std::string_view::npos && i + 1 == argc) return reject(name, "missing value");
    std::string value(equals != std::string_view::npos ? arg.substr(equals + 1) : argv[++i]);
    double* number = name == "--rate"      ? &options.rate
                     : name == "--seconds" ? &options.seconds
                     : name == "--timeout" ? &options.timeout_seconds
                                           : nullptr;
    std::optional<double> parsed = ParseNumber<double>(value);
    std::optional<int> count = ParseNumber<int>(value);
    if (name == "--body") {
      options.body_path = value;
    } else if (name == "--out") {
      options.out_path = value;
    } else if (name == "--max-in-flight" && count && *count > 0) {
      options.max_in_flight = *count;
    } else if (number != nullptr && parsed && std::isfinite(*parsed) && *parsed > 0) {
      *number = *parsed;
    } else if (number != nullptr || name == "--max-in-flight") {
      return reject(name, "expected a positive number, got '" + value + "'");
    } else {
      return reject(name, "unknown argument");
    }
  }
  if (!have_port) return reject("PORT", "required");
  if (options.rate == 0) return reject("--rate", "required");
  if (options.body_path.empty()) return reject("--body", "required");
  if (options.out_path.empty()) return reject("--out", "required");
  return options;
}

std::string ErrnoName(int error) {
  const char* name = strerrorname_np(error);
  return name != nullptr ? name : "errno " + std::to_string(error);
}

double Milliseconds(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// Value at index min(n-1, floor(p/100*n)) of the sorted values, as open_loop.py computes it.
double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto index = static_cast<size_t>(p / 100.0 * static_cast<double>(values.size()));
  return values[std::min(values.size() - 1, index)];
}

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

// {"key": value, ...} with keys as they print (status codes, failure names: nothing to escape).
template <typename Map, typename FormatValue>
std::string JsonObject(const Map& map, FormatValue format_value) {
  std::string json = "{";
  for (const auto& [key, value] : map) {
    if (json.size() > 1) json += ", ";
    std::ostringstream key_text;
    key_text << key;
    json += "\"" + key_text.str() + "\": " + format_value(value);
  }
  return json + "}";
}

// What the status line and headers of an answer say; body bytes follow head_size.
struct ResponseHead {
  int status = 0;
  size_t head_size = 0;
  size_t body_size = 0;
  bool chunked = false;
  bool close = false;  // the server will not take another request on this connection
  bool has_retry_after = false;
};

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// nullopt while the head is incomplete; status 0 when it is not HTTP.
std::optional<ResponseHead> ParseHead(std::string_view in) {
  size_t end = in.find("\r\n\r\n");
  if (end == std::string_view::npos) return std::nullopt;
  ResponseHead head;
  head.head_size = end + 4;
  std::string_view lines = in.substr(0, end);
  size_t eol = lines.find("\r\n");
  std::string_view status_line = lines.substr(0, eol);
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12) return head;
  head.status = ParseNumber<int>(status_line.substr(9, 3)).value_or(0);
  head.close = status_line.starts_with("HTTP/1.0");  // 1.0 keeps alive only when asked to
  while (eol != std::string_view::npos) {
    lines.remove_prefix(eol + 2);
    eol = lines.find("\r\n");
    std::string_view line = lines.substr(0, eol);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name = Lower(Trim(line.substr(0, colon)));
    std::string value = Lower(Trim(line.substr(colon + 1)));
    if (name == "content-length") head.body_size = ParseNumber<size_t>(value).value_or(0);
    if (name == "transfer-encoding") head.chunked = value.find("chunked") != std::string::npos;
    if (name == "connection") head.close = value == "close";
    if (name == "retry-after") head.has_retry_after = true;
  }
  // These carry no body whatever the headers say.
  if (head.status == 204 || head.status == 304) head.body_size = 0;
  return head;
}

// The top-level "accepted" of the server's compact JSON answer; 0 when absent.
int64_t AcceptedCount(std::string_view body) {
  constexpr std::string_view kKey = "\"accepted\":";
  size_t at = body.find(kKey);
  if (at == std::string_view::npos) return 0;
  std::string_view rest = Trim(body.substr(at + kKey.size()));
  size_t digits = 0;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
  return ParseNumber<int64_t>(rest.substr(0, digits)).value_or(0);
}

enum class ConnectionState { kConnecting, kBusy, kIdle };

struct Connection {
  int fd = -1;
  ConnectionState state = ConnectionState::kConnecting;
  uint32_t interest = 0;  // epoll events registered
  int64_t request = -1;   // index of the request in flight, when not idle
  TimePoint due;          // of that request
  size_t write_offset = 0;
  std::string received;
  std::optional<ResponseHead> head;
};

class OpenLoopClient {
 public:
  OpenLoopClient(const Options& options, std::string request)
      : options_(options), request_(std::move(request)) {}
  ~OpenLoopClient() {
    for (auto& [fd, connection] : connections_) close(fd);
    if (epoll_fd_ >= 0) close(epoll_fd_);
  }
  OpenLoopClient(const OpenLoopClient&) = delete;
  OpenLoopClient& operator=(const OpenLoopClient&) = delete;

  // Runs the schedule, then waits for the requests still in flight (at most --timeout seconds).
  // Returns false, having said why on stderr, when epoll fails.
  bool Run() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) {
      std::perror("epoll_create1");
      return false;
    }
    const auto total = static_cast<int64_t>(std::floor(options_.rate * options_.seconds + 1e-9));
    const auto timeout = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(options_.timeout_seconds));
    start_ = Clock::now();
    auto due_time = [&](int64_t i) {
      return start_ + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(static_cast<double>(i) / options_.rate));
    };
    int64_t next = 0;
    std::optional<TimePoint> drain_deadline;
    epoll_event events[256];
    for (;;) {
      TimePoint now = Clock::now();
      // Every request whose time has come is sent now: the schedule does not wait for answers.
      for (; next < total && due_time(next) <= now; ++next) Issue(next, due_time(next), timeout);
      if (next == total && !drain_deadline) {
        // The schedule spans total/R seconds (each request owns 1/R of it), unless we lagged.
        schedule_end_ = std::max(Clock::now(), due_time(total));
        drain_deadline = schedule_end_ + timeout;
      }
      now = Clock::now();
      ExpireDeadlines(now);
      if (drain_deadline && (in_flight_ == 0 || now >= *drain_deadline)) break;
      TimePoint wake = drain_deadline ? *drain_deadline : due_time(next);
      if (!deadlines_.empty()) wake = std::min(wake, deadlines_.front().at);
      int ready = Wait(events, static_cast<int>(std::size(events)), wake - now);
      if (ready < 0 && errno != EINTR) {
        std::perror("epoll_wait");
        return false;
      }
      for (int i = 0; i < ready; ++i) {
        auto it = connections_.find(events[i].data.fd);
        if (it != connections_.end()) OnEvents(it->second, events[i].events);
      }
    }
    for (auto& [fd, connection] : connections_) {
      if (connection.state != ConnectionState::kIdle) ++failed_["timeout"];
    }
    return true;
  }

  // [{"from_s": 0, "answers": {...}, "latency_p50_ms": {...}, "latency_p99_ms": {...}}, ...]
  std::string TimelineJson() const {
    std::string json = "[";
    for (const auto& [period, by_status] : timeline_ms_) {
      auto count = [](const std::vector<double>& values) { return std::to_string(values.size()); };
      auto p50 = [](const std::vector<double>& values) { return Fixed(Percentile(values, 50), 1); };
      auto p99 = [](const std::vector<double>& values) { return Fixed(Percentile(values, 99), 1); };
      json += std::string(json.size() > 1 ? ",\n  " : "\n  ") +
              "{\"from_s\": " + std::to_string(period * kTimelinePeriod.count()) +
              ", \"answers\": " + JsonObject(by_status, count) +
              ", \"latency_p50_ms\": " + JsonObject(by_status, p50) +
              ", \"latency_p99_ms\": " + JsonObject(by_status, p99) + "}";
    }
    return json + "]";
  }

  std::string ReportJson() const {
    auto percentiles = [&](double p) {
      return JsonObject(latencies_ms_,
                        [p](const auto& values) { return Fixed(Percentile(values, p), 1); });
    };
    auto count = [](int64_t n) { return std::to_string(n); };
    double schedule_seconds = std::chrono::duration<double>(schedule_end_ - start_).count();
    double offered = schedule_seconds > 0 ? static_cast<double>(sent_) / schedule_seconds : 0;
    double max_lag =
        send_lags_ms_.empty() ? 0 : *std::max_element(send_lags_ms_.begin(), send_lags_ms_.end());
    // The keys and order of open_loop.py, then how well this client kept to its schedule.
    const std::pair<std::string_view, std::string> fields[] = {
        {"answers", JsonObject(answers_, count)},
        {"acknowledged", count(acknowledged_)},
        {"without_retry_after", count(without_retry_after_)},
        {"failed", JsonObject(failed_, count)},
        {"sent", count(sent_)},
        {"not_sent", count(not_sent_)},
        {"latency_p50_ms", percentiles(50)},
        {"latency_p99_ms", percentiles(99)},
        {"offered_requests_per_s", Fixed(offered, 1)},
        {"schedule_seconds", Fixed(schedule_seconds, 2)},
        {"max_send_lag_ms", Fixed(max_lag, 1)},
        {"send_lag_p50_ms", Fixed(Percentile(send_lags_ms_, 50), 1)},
        {"connections_opened", count(connections_opened_)},
        {"timeline", TimelineJson()},
    };
    std::string json = "{";
    for (const auto& [key, value] : fields) {
      json += (json.size() > 1 ? ",\n \"" : "\n \"") + std::string(key) + "\": " + value;
    }
    return json + "\n}\n";
  }

 private:
  struct Deadline {
    TimePoint at;
    int fd;
    int64_t request;
  };

  void Issue(int64_t request, TimePoint due, Clock::duration timeout) {
    if (in_flight_ >= options_.max_in_flight) {
      ++not_sent_;
      return;
    }
    ++sent_;
    Connection* connection = nullptr;
    if (!idle_.empty()) {
      connection = &connections_.at(idle_.back());
      idle_.pop_back();
      connection->state = ConnectionState::kBusy;
    } else {
      connection = Connect();
      if (connection == nullptr) return;
    }
    connection->request = request;
    connection->due = due;
    connection->write_offset = 0;
    connection->received.clear();
    connection->head.reset();
    ++in_flight_;
    deadlines_.push_back({due + timeout, connection->fd, request});
    if (connection->state == ConnectionState::kBusy) Write(*connection);
  }

  // A new non-blocking connection to 127.0.0.1:PORT, connected or connecting; nullptr (the
  // failure counted) when the socket could not even be started.
  Connection* Connect() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      ++failed_[ErrnoName(errno)];
      return nullptr;
    }
    ++connections_opened_;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(options_.port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
    epoll_event event{.events = EPOLLIN | EPOLLOUT, .data = {.fd = fd}};
    if ((rc < 0 && errno != EINPROGRESS) || epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) < 0) {
      ++failed_[ErrnoName(errno)];
      close(fd);
      return nullptr;
    }
    Connection& connection = connections_[fd];  // a fresh one: closed fds are erased
    connection.fd = fd;
    connection.interest = event.events;
    connection.state = rc == 0 ? ConnectionState::kBusy : ConnectionState::kConnecting;
    return &connection;
  }

  void OnEvents(Connection& connection, uint32_t events) {
    if (connection.state == ConnectionState::kIdle) {
      Close(connection);  // the server closed a kept-alive connection (or spoke unasked)
      return;
    }
    if (connection.state == ConnectionState::kConnecting) {
      int error = 0;
      socklen_t size = sizeof(error);
      getsockopt(connection.fd, SOL_SOCKET, SO_ERROR, &error, &size);
      if (error != 0) {
        Fail(connection, ErrnoName(error));
        return;
      }
      if ((events & EPOLLOUT) == 0) return;
      connection.state = ConnectionState::kBusy;
      Write(connection);
      return;
    }
    if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0 && !Read(connection, "")) return;
    if ((events & EPOLLOUT) != 0 && connection.write_offset < request_.size()) Write(connection);
  }

  // Writes what the socket takes. Returns false when the connection was closed.
  bool Write(Connection& connection) {
    while (connection.write_offset < request_.size()) {
      ssize_t n = send(connection.fd, request_.data() + connection.write_offset,
                       request_.size() - connection.write_offset, MSG_NOSIGNAL);
      if (n > 0) {
        if (connection.write_offset == 0) {
          send_lags_ms_.push_back(Milliseconds(Clock::now() - connection.due));
        }
        connection.write_offset += static_cast<size_t>(n);
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        SetInterest(connection, EPOLLIN | EPOLLOUT);
        return true;
      } else if (errno != EINTR) {
        // EPIPE, ECONNRESET: the server may have answered before it closed; an answer counts.
        return Read(connection, ErrnoName(errno));
      }
    }
    SetInterest(connection, EPOLLIN);
    return true;
  }

  // Reads what has arrived and finishes the request once its answer is complete; otherwise fails
  // it with `failure` when that is not empty, or with the read's own failure. Returns false when
  // the connection was closed.
  bool Read(Connection& connection, std::string failure) {
    char buffer[64 * 1024];
    bool peer_closed = false;
    for (;;) {
      ssize_t n = recv(connection.fd, buffer, sizeof(buffer), 0);
      if (n > 0) {
        connection.received.append(buffer, static_cast<size_t>(n));
        if (connection.received.size() > kMaxResponseBytes) return Fail(connection, "too_large");
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      peer_closed = n == 0;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        peer_closed = true;
        if (failure.empty()) failure = ErrnoName(errno);
      }
      break;
    }
    if (peer_closed && failure.empty()) failure = "EOF";
    if (!connection.head) connection.head = ParseHead(connection.received);
    const std::optional<ResponseHead>& head = connection.head;
    if (head && head->status == 0) return Fail(connection, "bad_response");
    if (head && head->chunked) return Fail(connection, "chunked");
    if (head && connection.received.size() >= head->head_size + head->body_size) {
      return Finish(connection, peer_closed);
    }
    return failure.empty() || Fail(connection, failure);
  }

  // Records the complete answer on `connection`. Returns true when the connection went back to the
  // idle pool, false when it was closed.
  bool Finish(Connection& connection, bool peer_closed) {
    const ResponseHead& head = *connection.head;
    answers_[head.status] += 1;
    const double latency_ms = Milliseconds(Clock::now() - connection.due);
    latencies_ms_[head.status].push_back(latency_ms);
    const auto period = static_cast<int>((connection.due - start_) / kTimelinePeriod);
    timeline_ms_[period][head.status].push_back(latency_ms);
    if (head.status == 200) {
      acknowledged_ += AcceptedCount(
          std::string_view(connection.received).substr(head.head_size, head.body_size));
    } else if ((head.status == 429 || head.status == 503) && !head.has_retry_after) {
      ++without_retry_after_;
    }
    --in_flight_;
    // An early answer (before our body was all written) leaves the stream mid-request; extra
    // bytes mean the stream is out of step. Neither connection can carry another request.
    bool reusable = !peer_closed && !head.close && connection.write_offset == request_.size() &&
                    connection.received.size() == head.head_size + head.body_size;
    if (!reusable) {
      Close(connection);
      return false;
    }
    connection.state = ConnectionState::kIdle;
    connection.received.clear();
    connection.head.reset();
    idle_.push_back(connection.fd);
    return true;
  }

  // Counts the request in flight on `connection` as failed and closes it. Returns false (closed).
  bool Fail(Connection& connection, const std::string& reason) {
    ++failed_[reason];
    --in_flight_;
    Close(connection);
    return false;
  }

  void Close(Connection& connection) {
    if (connection.state == ConnectionState::kIdle) std::erase(idle_, connection.fd);
    int fd = connection.fd;
    close(fd);  // also removes it from the epoll set
    connections_.erase(fd);
  }

  void SetInterest(Connection& connection, uint32_t events) {
    if (connection.interest == events) return;
    epoll_event event{.events = events, .data = {.fd = connection.fd}};
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, connection.fd, &event);
    connection.interest = events;
  }

  // epoll_wait for at most `wait`, to the microsecond where the kernel has epoll_pwait2 (5.11):
  // epoll_wait's milliseconds alone would send requests up to 1 ms late.
  int Wait(epoll_event* events, int capacity, Clock::duration wait) {
    auto wait_ns = std::clamp<int64_t>(std::chrono::nanoseconds(wait).count(), 0, 1'000'000'000);
    if (have_pwait2_) {
      timespec timeout{};
      timeout.tv_sec = wait_ns / 1'000'000'000;
      timeout.tv_nsec = wait_ns % 1'000'000'000;
      int ready = epoll_pwait2(epoll_fd_, events, capacity, &timeout, nullptr);
      if (ready >= 0 || errno != ENOSYS) return ready;
      have_pwait2_ = false;
    }
    // Rounded up: waking early would spin.
    return epoll_wait(epoll_fd_, events, capacity,
                      static_cast<int>((wait_ns + 999'999) / 1'000'000));
  }

  // Fails the requests past their deadline; drops entries of requests already finished, so the
  // queue holds little more than what is in flight.
  void ExpireDeadlines(TimePoint now) {
    while (!deadlines_.empty()) {
      const Deadline deadline = deadlines_.front();
      auto it = connections_.find(deadline.fd);
      bool in_flight = it != connections_.end() && it->second.request == deadline.request &&
                       it->second.state != ConnectionState::kIdle;
      if (in_flight && deadline.at > now) return;
      deadlines_.pop_front();
      if (in_flight) Fail(it->second, "timeout");
    }
  }

  const Options options_;
  const std::string request_;  // head and body, the same bytes for every request
  int epoll_fd_ = -1;
  bool have_pwait2_ = true;
  TimePoint start_;
  TimePoint schedule_end_;
  std::unordered_map<int, Connection> connections_;  // by fd; nodes stay put, so & is stable
  std::vector<int> idle_;                            // fds of kept-alive connections
  std::deque<Deadline> deadlines_;                   // in due order, hence in deadline order
  int in_flight_ = 0;

  std::map<int, int64_t> answers_;
  std::map<int, std::vector<double>> latencies_ms_;  // from due time, by status
  // The same, by period of kTimelinePeriod of due times, then by status: shows whether the
  // answers settle or drift during a run.
  std::map<int, std::map<int, std::vector<double>>> timeline_ms_;
  std::map<std::string, int64_t> failed_;
  std::vector<double> send_lags_ms_;  // due time to first byte written
  int64_t acknowledged_ = 0;
  int64_t without_retry_after_ = 0;
  int64_t sent_ = 0;
  int64_t not_sent_ = 0;
  int64_t connections_opened_ = 0;
};

// Raises the soft descriptor limit to the hard one. False (said on stderr) when even that cannot
// hold max_in_flight connections plus a few descriptors of our own.
bool RaiseFileLimit(int max_in_flight) {
  rlimit limit{};
  bool raised = getrlimit(RLIMIT_NOFILE, &limit) == 0;
  limit.rlim_cur = limit.rlim_max;
  if (!raised || setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    std::perror("RLIMIT_NOFILE");
    return false;
  }
  if (limit.rlim_cur != RLIM_INFINITY && static_cast<rlim_t>(max_in_flight) + 16 > limit.rlim_cur) {
    std::fprintf(stderr, "--max-in-flight %d: needs %d descriptors, the limit is %llu\n",
                 max_in_flight, max_in_flight + 16,
                 static_cast<unsigned long long>(limit.rlim_cur));
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::string_view(argv[1]) == "-h" || std::string_view(argv[1]) == "--help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::optional<Options> options = ParseArgs(argc, argv);
  if (!options || !RaiseFileLimit(options->max_in_flight)) return 2;
  std::ifstream body_file(options->body_path, std::ios::binary);
  std::string body((std::istreambuf_iterator<char>(body_file)), std::istreambuf_iterator<char>());
  if (!body_file.is_open() || body_file.bad()) {
    std::fprintf(stderr, "--body %s: cannot read it\n", options->body_path.c_str());
    return 2;
  }
  std::string request =
      "POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  signal(SIGPIPE, SIG_IGN);  // MSG_NOSIGNAL covers send(); this covers anything else
  OpenLoopClient client(*options, std::move(request));
  if (!client.Run()) return 1;
  std::string json = client.ReportJson();
  std::FILE* out = std::fopen(options->out_path.c_str(), "w");
  if (out == nullptr || std::fputs(json.c_str(), out) < 0 || std::fclose(out) != 0) {
    std::fprintf(stderr, "--out %s: cannot write it\n", options->out_path.c_str());
    return 1;
  }
  std::fputs(json.c_str(), stdout);
  return 0;
}
