"""A second dockerd for the daemon tests, with its own daemon.json, socket, data root, exec root
and pidfile under a temporary directory.

It runs in new network and mount namespaces (``unshare``): its iptables rules, its loopback
TCP listeners and its default bridge (``--bridge=none`` unless a test asks for one) live in a
namespace of their own, and what a test must change under /etc or /run (a remapping user, an
authorization plugin's socket) is an overlay inside the mount namespace, so the main engine
and the host are never touched. Stopped (and its directory removed) after use.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REMAP_USER = "ctrsecremap"
REMAP_ID = 231072
AUTHZ_PLUGIN = "ctrsec-authz"
PLUGIN_DIR = "/run/docker/plugins"


def can_run_dockerd() -> str:
    """Why a second dockerd cannot run here ("" when it can)."""
    if os.geteuid() != 0:
        return "a second dockerd needs root"
    for tool in ("dockerd", "unshare", "ip", "mount"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return ""


@dataclass
class Dockerd:
    """A running test daemon."""

    root: Path
    process: subprocess.Popen[bytes]
    config_path: Path

    @property
    def socket(self) -> Path:
        return self.root / "docker.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @property
    def log(self) -> str:
        return (self.root / "dockerd.log").read_text(errors="replace")

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Options:
    """How to start a test daemon beyond its daemon.json."""

    flags: Sequence[str] = ()
    remap_user: bool = False  # add REMAP_USER with subordinate ids (in the overlay /etc)
    plugin_dir: Path | None = None  # shown to dockerd as /run/docker/plugins
    bridge: bool = False  # let it create a default bridge (inside its own namespace)
    extra_env: Mapping[str, str] = field(default_factory=dict)


def start_dockerd(config: Mapping[str, Any] | None, opts: Options | None = None,
                  timeout: float = 60) -> Dockerd:
    """Start a daemon; ``config`` is written as its daemon.json (``None``: no file at all)."""
    opts = opts or Options()
    # Short paths: containerd's sockets live under the exec root (unix paths max 107 bytes).
    root = Path(tempfile.mkdtemp(prefix="ctrsec-dd-", dir="/tmp"))
    root.chmod(0o755)  # a remapped root must traverse to its data root
    config_path = root / "daemon.json"
    if config is not None:
        config_path.write_text(json.dumps(config, indent=2) + "\n")
    script = "; ".join([*_prepare(root, opts), "exec " + " ".join(_argv(root, config, opts))])
    log = open(root / "dockerd.log", "wb")
    proc = subprocess.Popen(
        ["unshare", "--net", "--mount", "--propagation", "private", "sh", "-ec", script],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **opts.extra_env})
    log.close()
    daemon = Dockerd(root, proc, config_path)
    _wait(daemon, timeout)
    return daemon


def _argv(root: Path, config: Mapping[str, Any] | None, opts: Options) -> list[str]:
    argv = ["dockerd", f"--data-root={root / 'data'}", f"--exec-root={root / 'exec'}",
            f"--pidfile={root / 'dockerd.pid'}"]
    if config is not None:  # without one, dockerd looks for /etc/docker/daemon.json
        argv.append(f"--config-file={root / 'daemon.json'}")
    if not (config and "hosts" in config):  # a flag and a config key may not both say it
        argv.append(f"--host=unix://{root / 'docker.sock'}")
    if not opts.bridge:
        argv.append("--bridge=none")
    return [*argv, *opts.flags]


def _prepare(root: Path, opts: Options) -> list[str]:
    """Shell steps run inside the new namespaces before dockerd starts."""
    steps = ["ip link set lo up"]
    if opts.remap_user:
        for sub in ("etc-up", "etc-work"):
            (root / sub).mkdir()
        steps += [
            f"mount -t overlay overlay -o lowerdir=/etc,upperdir={root}/etc-up,"
            f"workdir={root}/etc-work /etc",
            f"echo '{REMAP_USER}:x:{REMAP_ID}:{REMAP_ID}::/nonexistent:/bin/false' >> /etc/passwd",
            f"echo '{REMAP_USER}:x:{REMAP_ID}:' >> /etc/group",
            f"echo '{REMAP_USER}:{REMAP_ID + 1}:65536' >> /etc/subuid",
            f"echo '{REMAP_USER}:{REMAP_ID + 1}:65536' >> /etc/subgid",
        ]
    if opts.plugin_dir is not None:
        steps += [f"mkdir -p {PLUGIN_DIR}", f"mount --bind {opts.plugin_dir} {PLUGIN_DIR}"]
    return steps


def _wait(daemon: Dockerd, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if daemon.process.poll() is not None:
            break
        if daemon.socket.exists() and _pings(daemon.socket):
            return
        time.sleep(0.2)
    tail = "\n".join(daemon.log.splitlines()[-15:])
    daemon.stop()
    raise RuntimeError(f"test dockerd did not come up within {timeout:.0f} s:\n{tail}")


def _pings(path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(2)
            s.connect(str(path))
            s.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.0 200")
    except OSError:
        return False


@contextmanager
def authz_plugin(directory: Path) -> Iterator[Path]:
    """An authorization plugin that allows every request, listening in ``directory`` (to be
    shown to dockerd as its plugin directory). Yields the socket path."""
    path = directory / f"{AUTHZ_PLUGIN}.sock"
    server = _UnixHTTPServer(str(path), _AllowAll)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield path
    finally:
        server.shutdown()
        server.server_close()
        path.unlink(missing_ok=True)


class _UnixHTTPServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


class _AllowAll(http.server.BaseHTTPRequestHandler):
    """The Docker plugin protocol's authz calls, each answered "allow"."""

    ANSWERS = {"/Plugin.Activate": {"Implements": ["authz"]},
               "/AuthZPlugin.AuthZReq": {"Allow": True},
               "/AuthZPlugin.AuthZRes": {"Allow": True}}

    def do_POST(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps(self.ANSWERS.get(self.path, {"Err": "unknown call"})).encode()
        self.send_response(200 if self.path in self.ANSWERS else 404)
        self.send_header("Content-Type", "application/vnd.docker.plugins.v1+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def address_string(self) -> str:  # a unix peer has no address
        return "unix"

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def tcp_forward(unix_path: Path) -> Iterator[str]:
    """A loopback TCP port relaying to a unix socket: the daemon as a remote client sees it.
    Yields ``tcp://127.0.0.1:PORT``."""
    server = _Relay(("127.0.0.1", 0), _relay_handler(str(unix_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _Relay(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def _relay_handler(unix_path: str) -> type[socketserver.BaseRequestHandler]:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            with socket.socket(socket.AF_UNIX) as upstream:
                upstream.connect(unix_path)
                back = threading.Thread(target=_pump, args=(upstream, self.request),
                                        daemon=True)
                back.start()
                _pump(self.request, upstream)
                back.join(10)

    return Handler


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def make_tls(directory: Path) -> dict[str, str]:
    """A throwaway CA and a server certificate for 127.0.0.1 (openssl), as daemon.json keys."""
    ca_key, ca, key, csr, cert = (str(directory / n) for n in
                                  ("ca-key.pem", "ca.pem", "key.pem", "server.csr", "cert.pem"))
    ext = directory / "ext.cnf"
    ext.write_text("subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n")
    steps = [
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key,
         "-out", ca, "-days", "2", "-subj", "/CN=ctrsec test CA"],
        ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
         "-subj", "/CN=127.0.0.1"],
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
         "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", str(ext)],
    ]
    for step in steps:
        subprocess.run(step, check=True, capture_output=True)
    os.chmod(key, 0o400)
    return {"tlscacert": ca, "tlscert": cert, "tlskey": key}


def make_client_cert(tls_dir: Path, directory: Path) -> Path:
    """A client certificate signed by :func:`make_tls`'s CA in ``tls_dir``, laid out as
    ``DOCKER_CERT_PATH`` wants it (ca.pem, cert.pem, key.pem in ``directory``)."""
    key, csr, cert = (str(directory / n) for n in ("key.pem", "client.csr", "cert.pem"))
    ext = directory / "ext.cnf"
    ext.write_text("extendedKeyUsage = clientAuth\n")
    steps = [
        ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
         "-subj", "/CN=ctrsec test client"],
        ["openssl", "x509", "-req", "-in", csr, "-CA", str(tls_dir / "ca.pem"), "-CAkey",
         str(tls_dir / "ca-key.pem"), "-CAcreateserial", "-out", cert, "-days", "2",
         "-extfile", str(ext)],
    ]
    for step in steps:
        subprocess.run(step, check=True, capture_output=True)
    shutil.copy(tls_dir / "ca.pem", directory / "ca.pem")
    return directory


def unix_to_tcp(path: str, port: int) -> None:
    """Serve forever: each connection to the unix socket ``path`` relayed to loopback
    ``port`` (run inside a daemon's network namespace by :func:`namespace_port`)."""
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(path)
        server.listen(8)
        while True:
            conn, _ = server.accept()
            upstream = socket.create_connection(("127.0.0.1", port))
            for src, dst in ((conn, upstream), (upstream, conn)):
                threading.Thread(target=_pump, args=(src, dst), daemon=True).start()


@contextmanager
def namespace_port(daemon: Dockerd, port: int) -> Iterator[str]:
    """The daemon's own loopback TCP port (in its network namespace) as a host loopback port,
    bytes relayed as they are (TLS included). Yields ``tcp://127.0.0.1:PORT``."""
    path = daemon.root / f"relay-{port}.sock"
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import dockerd; "
            "dockerd.unix_to_tcp(sys.argv[1], int(sys.argv[2]))")
    relay = subprocess.Popen(["nsenter", f"--net=/proc/{daemon.pid}/ns/net", sys.executable,
                              "-c", code, str(path), str(port)])
    try:
        deadline = time.monotonic() + 10
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        with tcp_forward(path) as url:
            yield url
    finally:
        relay.kill()
        relay.wait(10)
