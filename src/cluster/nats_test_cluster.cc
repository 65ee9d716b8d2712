#include "cluster/nats_test_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace om::cluster {
namespace {

constexpr char kNatsServer[] = "/usr/sbin/nats-server";  // where Debian installs it

// `count` distinct ports the kernel had free a moment ago: each bound to port 0 and read, all
// held until every one is chosen (so no two are the same), then closed.
std::vector<int> FreePorts(int count) {
  std::vector<int> fds, ports;
  for (int i = 0; i < count; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    fds.push_back(fd);
    ports.push_back(port);
  }
  for (int fd : fds) ::close(fd);
  return ports;
}

bool Accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

Result<NatsTestCluster> NatsTestCluster::Start(int size, const std::string& dir) {
  if (::access(kNatsServer, X_OK) != 0) {
    return Status::Unavailable(std::string(kNatsServer) +
                               " is missing: tools/install_deps.sh installs nats-server");
  }
  std::filesystem::create_directories(dir);
  NatsTestCluster cluster;
  const std::vector<int> ports = FreePorts(2 * size);
  std::vector<int> route_ports;
  for (size_t i = 0; i < ports.size(); i += 2) {
    cluster.servers_.push_back({-1, ports[i]});
    route_ports.push_back(ports[i + 1]);
  }
  for (int i = 0; i < size; ++i) {
    const std::string name = NameOf(i);
    const std::string base = std::filesystem::path(dir) / name;
    const std::string config = base + ".conf";
    std::ofstream out(config);
    out << "server_name: \"" << name << "\"\n"
        << "listen: \"127.0.0.1:" << cluster.servers_[i].client_port << "\"\n"
        << "jetstream { store_dir: \"" << dir << "/" << name << "\", max_memory_store: 64MB, "
        << "max_file_store: 1GB }\n";
    if (size > 1) {
      out << "cluster { name: \"om-test\", listen: \"127.0.0.1:" << route_ports[i]
          << "\", routes: [";
      const char* separator = "";
      for (int j = 0; j < size; ++j) {
        if (j == i) continue;
        out << separator << "\"nats-route://127.0.0.1:" << route_ports[j] << "\"";
        separator = ", ";
      }
      out << "] }\n";
    }
    out.close();
    const std::string log = base + ".log";
    pid_t pid = ::fork();
    if (pid == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execl(kNatsServer, kNatsServer, "-c", config.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    if (pid < 0) return Status::Unavailable("fork for nats-server failed");
    cluster.servers_[i].pid = pid;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  for (int i = 0; i < size; ++i) {
    while (!Accepts(cluster.servers_[i].client_port)) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return Status::Unavailable("nats-server " + NameOf(i) + " did not come up; see " + dir +
                                   "/" + NameOf(i) + ".log");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return cluster;
}

NatsTestCluster::NatsTestCluster(NatsTestCluster&& other) noexcept
    : servers_(std::move(other.servers_)) {
  other.servers_.clear();
}

NatsTestCluster::~NatsTestCluster() {
  for (size_t i = 0; i < servers_.size(); ++i) Kill(static_cast<int>(i));
}

std::vector<std::string> NatsTestCluster::urls() const {
  std::vector<std::string> urls;
  urls.reserve(servers_.size());
  for (const Server& s : servers_) {
    urls.push_back("nats://127.0.0.1:" + std::to_string(s.client_port));
  }
  return urls;
}

void NatsTestCluster::Kill(int index) {
  Server& s = servers_[static_cast<size_t>(index)];
  if (s.pid <= 0) return;
  ::kill(s.pid, SIGKILL);
  ::waitpid(s.pid, nullptr, 0);
  s.pid = -1;
}

int NatsTestCluster::IndexOf(const std::string& name) {
  if (name.size() < 2 || name[0] != 's') return -1;
  return std::stoi(name.substr(1));
}

}  // namespace om::cluster
