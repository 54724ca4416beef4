"""Shared by the tools/check-pyroscope-*.py scripts: the peer folder, and a Kiln server they start.

`kiln_server(binary)` starts the binary on 127.0.0.1 with a fresh data directory and yields its
port; the server is stopped and its data removed afterwards; `post` sends it a request. Never talks
to anything else.
"""
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEER = os.path.join(ROOT, "..", "shared", "peer", "grafana-pyroscope")


def default_binary():
    return os.path.join(ROOT, ".build", "debug", "kiln")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def kiln_server(binary, *flags):
    data = tempfile.mkdtemp(prefix="kiln-peer-")
    port = free_port()
    log = open(os.path.join(data, "log"), "w")
    server = subprocess.Popen([binary, "--server.http-listen-address", "127.0.0.1", "--server.http-listen-port", str(port),
                               "--storage.path", os.path.join(data, "data"), *flags], stdout=log, stderr=log)
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


def post(port, path, body, headers):
    """POSTs `body` to the Kiln on `port`; (status, answer bytes), error statuses included."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
