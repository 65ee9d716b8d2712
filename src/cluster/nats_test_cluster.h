#pragma once
// NatsTestCluster: real nats-server processes (Debian's, 2.9) with JetStream on 127.0.0.1, for
// the cluster module's tests. Each server gets free ports, its own store directory and log file
// under `dir`; with more than one they form one cluster. Stopped by PID (SIGKILL) in Kill and in
// the destructor. Test-only.

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/status.h"

namespace om::cluster {

class NatsTestCluster {
 public:
  // Starts `size` servers and waits (at most 15 s) until each accepts connections.
  // kUnavailable when nats-server is missing or a server does not come up (naming its log).
  static Result<NatsTestCluster> Start(int size, const std::string& dir);
  NatsTestCluster(NatsTestCluster&& other) noexcept;
  NatsTestCluster& operator=(NatsTestCluster&&) = delete;
  NatsTestCluster(const NatsTestCluster&) = delete;
  NatsTestCluster& operator=(const NatsTestCluster&) = delete;
  ~NatsTestCluster();

  // "nats://127.0.0.1:<port>" of every server, killed ones included.
  std::vector<std::string> urls() const;
  // The server's name ("s0", "s1", ...) as JetStream reports a stream's leader.
  static std::string NameOf(int index) { return "s" + std::to_string(index); }
  // SIGKILL and reap server `index`. Idempotent.
  void Kill(int index);
  // The index of the server named `name`, or -1.
  static int IndexOf(const std::string& name);

 private:
  struct Server {
    pid_t pid = -1;
    int client_port = 0;
  };
  NatsTestCluster() = default;
  std::vector<Server> servers_;
};

}  // namespace om::cluster
