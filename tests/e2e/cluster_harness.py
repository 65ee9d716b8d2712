"""Helpers of the cluster end-to-end tests: real nats-server processes forming a JetStream
cluster on 127.0.0.1, and the nodes' metrics. Standard library only; every wait is bounded."""

import os
import signal
import subprocess
import time

from harness import check, free_port, metric  # noqa: F401 (metric is imported from here by the cluster tests)

NATS_SERVER = "/usr/sbin/nats-server"


class NatsServer:
    def __init__(self, name, directory, client_port, route_ports, index):
        self.name = name
        self.port = client_port
        self.config = os.path.join(directory, name + ".conf")
        routes = ", ".join(f'"nats-route://127.0.0.1:{p}"'
                           for j, p in enumerate(route_ports) if j != index)
        with open(self.config, "w") as f:
            f.write(f'server_name: "{name}"\nlisten: "127.0.0.1:{client_port}"\n'
                    f'jetstream {{ store_dir: "{directory}/{name}", max_memory_store: 64MB, '
                    f'max_file_store: 1GB }}\n'
                    f'cluster {{ name: "om-e2e", listen: "127.0.0.1:{route_ports[index]}", '
                    f'routes: [{routes}] }}\n')
        self.log = open(os.path.join(directory, name + ".log"), "wb")
        self.proc = subprocess.Popen([NATS_SERVER, "-c", self.config], stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def kill9(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)


def wait_until(what, predicate, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {what}")


def start_nats_cluster(directory, count=3):
    """`count` nats-servers routed to each other; returns them and their client URLs."""
    os.makedirs(directory, exist_ok=True)
    ports = [free_port() for _ in range(2 * count)]
    client_ports, route_ports = ports[:count], ports[count:]
    servers = [NatsServer(f"s{i}", directory, client_ports[i], route_ports, i)
               for i in range(count)]
    return servers, ",".join(f"nats://127.0.0.1:{p}" for p in client_ports)


def print_node_logs(nodes, lines=40):
    """The last lines of every node's log (named by its --node-id), for a failed test."""
    for n in nodes:
        print(f"--- log of node {n.extra_args[-1]} (last {lines} lines) ---")
        print("\n".join(n.output().splitlines()[-lines:]))


def kill_all(nodes, servers):
    """SIGKILL to every node and nats-server still running, each waited for."""
    for n in nodes:
        if n.proc and n.proc.poll() is None:
            n.proc.send_signal(signal.SIGKILL)
            n.proc.wait(timeout=10)
    for s in servers:
        s.kill9()
