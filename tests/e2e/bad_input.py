#!/usr/bin/env python3
"""Bad input to receiver:otlp: each request gets the protocol's status and the
next request succeeds.

    bad_input.py DF_ENGINE

OTLP/HTTP over one keep-alive connection: truncated and garbage protobuf,
protobuf of the wrong shape, bad JSON, a wrong content type, bad gzip, an
oversized body (413, then the connection closes), unknown paths and methods,
pipelined requests, and a client that stops mid-body. OTLP/gRPC through
grpc-js sending raw bytes: truncated and garbage messages, an unknown method,
an oversized message. gRPC keepalive: a silent HTTP/2 client that ignores
PINGs is closed, one that acknowledges them is kept.
"""
import gzip
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import runtime_e2e as e2e  # noqa: E402

CONF = os.path.join(HERE, "..", "conformance")

# A valid ExportLogsServiceRequest with one log record (body "ok").
GOOD = bytes.fromhex("0a0a120812062a040a026f6b")


def main():
    engine = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        grpc, http = e2e.free_port(), e2e.free_port()
        nodes = f"""          otlp:
            type: receiver:otlp
            config:
              protocols:
                grpc: {{listening_addr: 127.0.0.1:{grpc}, max_recv_msg_size: 2KiB}}
                http:
                  listening_addr: 127.0.0.1:{http}
                  max_request_body_size: 2KiB
                  cors: {{allowed_origins: [https://app.example], allowed_headers: [x-tenant],
                          max_age: 10m}}
          out:
            type: exporter:noop
"""
        eng = e2e.Engine(engine, e2e.pipeline(nodes, "          - {from: otlp, to: out}\n"), tmp,
                         ["--num-cores", "1"])
        try:
            eng.wait_ready()
            http_cases(http)
            cors_cases(http)
            grpc_cases(grpc)
            flood_cases(grpc)
            m = eng.metrics()
            invalid = e2e.total(m, "df_receiver_otlp_answered_invalid_total")
            if invalid < 6:
                e2e.fail("df_receiver_otlp_answered_invalid_total is %d" % invalid)
        finally:
            eng.proc.terminate()
        if eng.exit_code() != 0:
            e2e.fail("exit code %d\n%s" % (eng.proc.returncode, eng.log()))
        keepalive_cases(engine, tmp)
        print("bad_input: every bad request answered, every next one served; keepalive works")


def post(conn, path, body, ctype="application/x-protobuf", headers=None):
    h = {"Content-Type": ctype}
    h.update(headers or {})
    conn.request("POST", path, body=body, headers=h)
    r = conn.getresponse()
    return r.status, r.getheader("Content-Type"), r.read()


def expect(what, got, want):
    if got != want:
        e2e.fail("%s: got %r, want %r" % (what, got, want))


def http_cases(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    cases = [
        ("truncated protobuf", GOOD[:-3], "application/x-protobuf", None, 400),
        ("garbage protobuf", b"\xff\xff\xff\xff", "application/x-protobuf", None, 400),
        ("wrong message shape", b"\x08\x01", "application/x-protobuf", None, 400),
        ("bad JSON", b"{\"resourceLogs\": [", "application/json", None, 400),
        ("wrong content type", GOOD, "text/plain", None, 415),
        ("bad gzip", b"not gzip at all", "application/x-protobuf",
         {"Content-Encoding": "gzip"}, 400),
        ("unknown encoding", GOOD, "application/x-protobuf", {"Content-Encoding": "br"}, 415),
    ]
    for what, body, ctype, headers, status in cases:
        got, ct, answer = post(conn, "/v1/logs", body, ctype, headers)
        expect(what, got, status)
        if status == 400 and ctype == "application/json":
            doc = json.loads(answer)
            expect(what + " (JSON Status code)", doc.get("code"), 3)
        elif status == 400:
            expect(what + " (content type)", ct, "application/x-protobuf")
        # The same connection serves a good request next.
        expect(what + ", then a good request", post(conn, "/v1/logs", GOOD)[0], 200)
    expect("gzip", post(conn, "/v1/logs", gzip.compress(GOOD), headers={
        "Content-Encoding": "gzip"})[0], 200)
    expect("JSON", post(conn, "/v1/logs", b'{"resourceLogs":[]}', "application/json")[0], 200)
    conn.request("GET", "/v1/logs")
    r = conn.getresponse()
    r.read()
    expect("GET /v1/logs", r.status, 405)
    conn.request("POST", "/v1/nothing", body=GOOD)
    r = conn.getresponse()
    r.read()
    expect("unknown path", r.status, 404)
    # Oversized: 413 and the connection is closed; a new one works.
    got = post(conn, "/v1/logs", b"\x0a" + b"x" * 4096)[0]
    expect("oversized body", got, 413)
    conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    expect("after 413, a new connection", post(conn, "/v1/logs", GOOD)[0], 200)
    # A gzip bomb: small on the wire, over the limit decompressed.
    expect("decompressed over the limit", post(conn, "/v1/logs", gzip.compress(b"\0" * 100000),
                                               headers={"Content-Encoding": "gzip"})[0], 413)
    conn.close()
    # Pipelining: two requests in one write, two answers in order.
    req = ("POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
           "Content-Length: %d\r\n\r\n" % len(GOOD)).encode() + GOOD
    bad = ("POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
           "Content-Length: 2\r\n\r\nhi").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(req + bad)
        data = b""
        while data.count(b"HTTP/1.1 ") < 2 or not data.endswith(b""):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if data.count(b"HTTP/1.1 ") >= 2 and b"415" in data:
                break
        statuses = [line.split()[1] for line in data.split(b"\r\n") if line.startswith(b"HTTP/1.1 ")]
        expect("pipelined answers", statuses, [b"200", b"415"])
    # A client that stops mid-body and goes away: the server lives on.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                  b"Content-Length: 100\r\n\r\n0123456789")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    expect("after a client stopped mid-body", post(conn, "/v1/logs", GOOD)[0], 200)
    conn.close()


def cors_cases(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("OPTIONS", "/v1/traces", headers={"Origin": "https://app.example",
                                                   "Access-Control-Request-Method": "POST"})
    r = conn.getresponse()
    r.read()
    expect("CORS preflight", (r.status, r.getheader("Access-Control-Allow-Origin"),
                              r.getheader("Access-Control-Allow-Methods"),
                              r.getheader("Access-Control-Max-Age")),
           (204, "https://app.example", "POST", "600"))
    if "x-tenant" not in (r.getheader("Access-Control-Allow-Headers") or ""):
        e2e.fail("preflight does not allow x-tenant: %r" % r.getheader("Access-Control-Allow-Headers"))
    conn.request("POST", "/v1/logs", body=GOOD, headers={"Origin": "https://app.example",
                                                         "Content-Type": "application/x-protobuf"})
    r = conn.getresponse()
    r.read()
    expect("CORS POST", (r.status, r.getheader("Access-Control-Allow-Origin")),
           (200, "https://app.example"))
    conn.request("POST", "/v1/logs", body=GOOD, headers={"Origin": "https://evil.example",
                                                         "Content-Type": "application/x-protobuf"})
    r = conn.getresponse()
    r.read()
    expect("CORS, another origin", (r.status, r.getheader("Access-Control-Allow-Origin")),
           (200, None))
    conn.close()


PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\0\0\0\x04\0\0\0\0\0"


def frames(s, seconds, ack_pings):
    """Reads HTTP/2 frames for up to `seconds`; returns (PINGs seen, closed)."""
    s.settimeout(0.2)
    buf, pings, end = b"", 0, time.time() + seconds
    while time.time() < end:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            return pings, True
        buf += chunk
        while len(buf) >= 9:
            n = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + n:
                break
            ftype, flags, payload = buf[3], buf[4], buf[9:9 + n]
            buf = buf[9 + n:]
            if ftype == 4 and not flags & 1:
                s.sendall(b"\0\0\0\x04\x01\0\0\0\0")  # SETTINGS ACK
            if ftype == 6 and not flags & 1:
                pings += 1
                if ack_pings:
                    s.sendall(b"\0\0\x08\x06\x01\0\0\0\0" + payload)
    return pings, False


def flood_cases(port):
    """An HTTP/2 client that floods SETTINGS (and never reads the ACKs) is cut
    off with GOAWAY; the next connection is served."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(PREFACE)
        flood = b"\0\0\0\x04\0\0\0\0\0" * 20000
        closed = False
        try:
            for _ in range(100):
                s.sendall(flood)
        except (ConnectionResetError, BrokenPipeError):
            closed = True  # reset by the server: cut off
        except socket.timeout:
            e2e.fail("the server neither read the SETTINGS flood nor closed the connection")
        if not closed:
            s.settimeout(5)
            data = b""
            try:
                while True:
                    chunk = s.recv(1 << 20)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                pass
            # GOAWAY (type 7) somewhere in what the server sent, then EOF.
            if b"\x07\0\0\0\0\0" not in data:
                e2e.fail("a SETTINGS flood was not answered with GOAWAY")
    expect("gRPC after a SETTINGS flood",
           grpc_call(port, "/opentelemetry.proto.collector.logs.v1.LogsService/Export", GOOD)["code"],
           0)


def keepalive_cases(engine, tmp):
    """gRPC keepalive: a silent client that does not answer PINGs is closed;
    one that answers them stays connected."""
    port = e2e.free_port()
    nodes = f"""          otlp:
            type: receiver:otlp
            config:
              protocols:
                grpc: {{listening_addr: 127.0.0.1:{port}, keepalive: {{time: 1s, timeout: 500ms}}}}
          out:
            type: exporter:noop
"""
    d = os.path.join(tmp, "ka")
    os.mkdir(d)
    eng = e2e.Engine(engine, e2e.pipeline(nodes, "          - {from: otlp, to: out}\n"), d,
                     ["--num-cores", "1"])
    try:
        eng.wait_ready()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as live:
            live.sendall(PREFACE)
            pings, closed = frames(live, 3, ack_pings=True)
            if pings < 1 or closed:
                e2e.fail("a client answering PINGs: %d PINGs, closed %s" % (pings, closed))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as mute:
            mute.sendall(PREFACE)
            started = time.time()
            pings, closed = frames(mute, 6, ack_pings=False)
            if pings < 1 or not closed:
                e2e.fail("a client ignoring PINGs: %d PINGs, closed %s" % (pings, closed))
            took = time.time() - started
            if not 1.0 <= took <= 4.0:
                e2e.fail("closed after %.1fs, want about 1.5s" % took)
    finally:
        eng.proc.terminate()
    if eng.exit_code() != 0:
        e2e.fail("keepalive engine: exit %d\n%s" % (eng.proc.returncode, eng.log()))


def grpc_call(port, path, message):
    r = subprocess.run(["node", os.path.join(CONF, "grpc_raw.js"), "127.0.0.1:%d" % port, path,
                        message.hex()], capture_output=True, text=True, timeout=60)
    if r.returncode:
        e2e.fail("grpc_raw.js failed: %s%s" % (r.stdout, r.stderr))
    return json.loads(r.stdout)


def grpc_cases(port):
    logs = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
    for what, path, msg, code in (
            ("good", logs, GOOD, 0),
            ("truncated", logs, GOOD[:-3], 3),
            ("garbage", logs, b"\xff\xff\xff\xff", 3),
            ("wrong shape", logs, b"\x08\x01", 3),
            ("good again", logs, GOOD, 0),
            ("unknown method", "/opentelemetry.proto.collector.logs.v1.LogsService/Nope", GOOD, 12),
            ("oversized", logs, b"\x0a" + b"x" * 4096, 8),
            ("good after all that", logs, GOOD, 0)):
        got = grpc_call(port, path, msg)
        expect("gRPC " + what, got["code"], code)


if __name__ == "__main__":
    main()
