"""An HTTP proxy on 127.0.0.1 that injects faults in front of an upstream (moto_server).

Usage: fault_proxy.py PORT UPSTREAM SCHEDULE

SCHEDULE is a comma-separated list applied to the first requests, one entry
each, then every request passes: `pass`, an HTTP status such as `500` or
`503` (answered by the proxy, upstream untouched), `drop` (close the
connection without answering) or `stall` (wait 5 s, then close). The request
line, headers (Host included, so SigV4 signatures stay valid) and body are
forwarded unchanged. `GET /__faults` answers the number of requests seen;
`GET /__mode/ACTION` applies ACTION to every later request until the next
`/__mode` (`/__mode/pass` ends it), for outages of any length.
"""
import http.client
import http.server
import socket
import sys
import threading
import time

port, upstream, schedule = int(sys.argv[1]), sys.argv[2], [s for s in sys.argv[3].split(",") if s]
up_host, up_port = upstream.replace("http://", "").split(":")
lock = threading.Lock()
seen = 0
mode = None


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self):
        global seen, mode
        if self.path.startswith("/__mode/"):
            with lock:
                mode = self.path[len("/__mode/"):]
                mode = None if mode == "pass" else mode
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/__faults":
            body = str(seen).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with lock:
            action = mode or (schedule[seen] if seen < len(schedule) else "pass")
            seen += 1
        if action == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if action == "stall":
            time.sleep(5)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if action != "pass":
            text = b"<Error><Code>InjectedFault</Code><Message>fault proxy</Message></Error>"
            self.send_response(int(action))
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)
            return
        conn = http.client.HTTPConnection(up_host, int(up_port), timeout=30)
        headers = {k: v for k, v in self.headers.items()}
        conn.request(self.command, self.path, body=body if body or self.command in ("PUT", "POST") else None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


http.server.ThreadingHTTPServer(("127.0.0.1", port), Proxy).serve_forever()
