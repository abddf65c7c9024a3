#!/usr/bin/env python3
"""receiver:otlp bound to an auth_check extension (the test provider
urn:test:extension:header_auth: bearer tokens), over real connections:

    auth_e2e.py DF_ENGINE_TEST

OTLP/gRPC (grpc-js, and node's HTTP/2 client for several calls on one
connection), OTLP/HTTP over HTTP/1.1 keep-alive and over HTTP/2: the right
token is served and its identity reaches the pipeline; no token, a wrong one,
a forbidden one and the provider's error token get 401 + WWW-Authenticate /
UNAUTHENTICATED, 403 / PERMISSION_DENIED and 503 / UNAVAILABLE; the
connection serves an authorized request after each refusal; a 1 MiB upload
with a wrong token is refused before the client has sent it (the answer
arrives while most of the body is still unsent, and the connection then
serves the next request); refusals are counted and logged at most once a
second; identities survive processor:batch (which batches each sender
apart); no token ever appears in the log. Then mTLS: the client
certificate's subject and SANs reach the provider.
"""
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
import tls_e2e  # noqa: E402

CONF = os.path.join(HERE, "..", "conformance")
GOOD = bytes.fromhex("0a0a120812062a040a026f6b")  # one log record
LOGS = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"

# Distinctive, so that a leak into the log is found.
ALICE, BOB = "tok-alice-5f1e8c", "tok-bob-77a0d2"
MALLORY, BROKEN, WRONG = "tok-mallory-c3b9", "tok-broken-91fe", "tok-wrong-0d4a"
TOKENS = (ALICE, BOB, MALLORY, BROKEN, WRONG)

# google.rpc.Status{code, message} as protobuf.
def status_pb(code, msg):
    return bytes([0x08, code, 0x12, len(msg)]) + msg.encode()


def config(grpc, http, extra_ext="", tls=""):
    return f"""version: otel_dataflow/v1
groups:
  g:
    pipelines:
      p:
        extensions:
          tokens:
            type: 'urn:test:extension:header_auth'
            config:
              tokens: {{{ALICE}: alice, {BOB}: bob}}
              forbidden: [{MALLORY}]
              error_token: {BROKEN}
{extra_ext}        nodes:
          otlp:
            type: receiver:otlp
            capabilities: {{auth_check: tokens}}
            config:
              protocols:
                grpc: {{listening_addr: 127.0.0.1:{grpc}{tls}}}
                http: {{listening_addr: 127.0.0.1:{http}, max_request_body_size: 2MiB,
                        cors: {{allowed_origins: [https://app.example]}}{tls}}}
          batch: {{type: processor:batch, config: {{send_batch_size: 1000, timeout: 10ms}}}}
          who: {{type: 'urn:test:processor:pass'}}
          out: {{type: exporter:noop}}
        connections:
          - {{from: otlp, to: batch}}
          - {{from: batch, to: who}}
          - {{from: who, to: out}}
"""


def expect(what, got, want):
    if got != want:
        e2e.fail("%s: got %r, want %r" % (what, got, want))


def bearer(tok):
    return {"authorization": "Bearer " + tok}


def grpc_js(port, metadata, env=None):
    """One call through grpc-js; returns its status code."""
    r = subprocess.run(["node", os.path.join(CONF, "grpc_raw.js"), "127.0.0.1:%d" % port, LOGS,
                        GOOD.hex()], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, GRPC_METADATA=json.dumps(metadata), **(env or {})))
    if r.returncode:
        e2e.fail("grpc_raw.js: %s%s" % (r.stdout, r.stderr))
    return json.loads(r.stdout)["code"]


def h2(port, requests):
    """Requests in order on one HTTP/2 connection (h2_requests.js)."""
    r = subprocess.run(["node", os.path.join(HERE, "h2_requests.js"), "127.0.0.1:%d" % port,
                        json.dumps(requests)], capture_output=True, text=True, timeout=60)
    if r.returncode:
        e2e.fail("h2_requests.js: %s%s" % (r.stdout, r.stderr))
    return json.loads(r.stdout)


def grpc_status(res):
    """The grpc-status of a node http2 result (trailers, or Trailers-Only)."""
    s = res["trailers"].get("grpc-status", res["headers"].get("grpc-status"))
    return None if s is None else int(s)


def grpc_cases(port):
    """Returns how many log records were accepted."""
    # A real gRPC client reads every refusal as its status.
    for what, md, code in (("right token", bearer(ALICE), 0),
                           ("no token", {}, 16),
                           ("wrong token", bearer(WRONG), 16),
                           ("forbidden token", bearer(MALLORY), 7),
                           ("error token", bearer(BROKEN), 14),
                           ("another scheme", {"authorization": "Basic YTpi"}, 16)):
        expect("grpc-js, " + what, grpc_js(port, md), code)
    # Several calls on one connection: each refusal, then an authorized call.
    g = {"content-type": "application/grpc", "te": "trailers"}
    reqs = []
    for md in ({}, bearer(WRONG), bearer(MALLORY), bearer(BROKEN)):
        reqs.append({"path": LOGS, "headers": dict(g, **md), "body_hex": GOOD.hex(), "grpc": True})
        reqs.append({"path": LOGS, "headers": dict(g, **bearer(BOB)), "body_hex": GOOD.hex(),
                     "grpc": True})
    # 1 MiB with a wrong token: 64 KiB sent, the answer must come without
    # the rest; then the connection goes on.
    reqs.append({"path": LOGS, "headers": dict(g, **bearer(WRONG)), "size": 1 << 20, "grpc": True,
                 "partial": 65536})
    reqs.append({"path": LOGS, "headers": dict(g, **bearer(ALICE)), "body_hex": GOOD.hex(),
                 "grpc": True})
    res = h2(port, reqs)
    want = [16, 0, 16, 0, 7, 0, 14, 0, 16, 0]
    expect("gRPC statuses on one connection", [grpc_status(r) for r in res], want)
    for i, r in enumerate(res):
        expect("gRPC call %d HTTP status" % i, r["status"], 200)
        if want[i]:
            if r["trailers"]:
                e2e.fail("refusal %d is not Trailers-Only: %r" % (i, r))
            msg = r["headers"].get("grpc-message")
            expect("gRPC refusal %d message" % i, msg, {16: "unauthenticated",
                                                        7: "permission denied",
                                                        14: "authentication unavailable"}[want[i]])
    if not res[8]["early"]:
        e2e.fail("the 1 MiB refused call was answered only after it was sent whole")
    return 1 + 5  # grpc-js right token, and five authorized calls on the connection


def http1_post(conn, body, headers, ctype="application/x-protobuf"):
    h = {"Content-Type": ctype}
    h.update(headers)
    conn.request("POST", "/v1/logs", body=body, headers=h)
    r = conn.getresponse()
    return r.status, r.getheader("WWW-Authenticate"), r.getheader("Content-Type"), r.read()


def http1_cases(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    accepted = 0
    cases = [
        ("no token", {}, 401, "Bearer", status_pb(16, "unauthenticated")),
        ("wrong token", bearer(WRONG), 401, "Bearer", status_pb(16, "unauthenticated")),
        ("forbidden token", bearer(MALLORY), 403, None, status_pb(7, "permission denied")),
        ("error token", bearer(BROKEN), 503, None, status_pb(14, "authentication unavailable")),
    ]
    for what, headers, status, challenge, body in cases:
        got = http1_post(conn, GOOD, headers)
        expect("HTTP/1.1 " + what, got, (status, challenge, "application/x-protobuf", body))
        # The same connection serves an authorized request next.
        expect("HTTP/1.1 after " + what, http1_post(conn, GOOD, bearer(BOB))[0], 200)
        accepted += 1
    # JSON in, JSON out; header name and scheme in any case.
    got = http1_post(conn, b'{"resourceLogs":[]}', bearer(WRONG), "application/json")
    expect("HTTP/1.1 JSON refusal", (got[0], got[2], json.loads(got[3])),
           (401, "application/json", {"code": 16, "message": "unauthenticated"}))
    expect("HTTP/1.1 AUTHORIZATION: bearer",
           http1_post(conn, GOOD, {"AUTHORIZATION": "bearer " + ALICE})[0], 200)
    accepted += 1
    # CORS: a preflight carries no credentials and is answered; a refusal
    # still tells the browser it may read the answer.
    conn.request("OPTIONS", "/v1/logs", headers={"Origin": "https://app.example",
                                                 "Access-Control-Request-Method": "POST"})
    r = conn.getresponse()
    r.read()
    expect("CORS preflight without a token", r.status, 204)
    conn.request("POST", "/v1/logs", body=GOOD, headers={"Origin": "https://app.example",
                                                         "Content-Type": "application/x-protobuf"})
    r = conn.getresponse()
    r.read()
    expect("CORS refusal", (r.status, r.getheader("Access-Control-Allow-Origin")),
           (401, "https://app.example"))
    conn.close()
    # 1 MiB with a wrong token: the answer arrives after 64 KiB; the rest is
    # read and dropped, and the connection serves the next request.
    size = 1 << 20
    head = ("POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
            "Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n" % (WRONG, size)).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(head + b"\0" * 65536)
        try:
            answer = s.recv(65536)
        except socket.timeout:
            e2e.fail("no answer to a 1 MiB upload with a wrong token after 64 KiB of it")
        if not answer.startswith(b"HTTP/1.1 401 "):
            e2e.fail("1 MiB with a wrong token, after 64 KiB: %r" % answer[:80])
        s.sendall(b"\0" * (size - 65536))
        good = ("POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                "Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n" % (ALICE, len(GOOD)))
        s.sendall(good.encode() + GOOD)
        data = b""
        while b"HTTP/1.1 200 " not in data:
            chunk = s.recv(65536)
            if not chunk:
                e2e.fail("the connection closed after a refused 1 MiB upload: %r" % data[:200])
            data += chunk
        accepted += 1
    return accepted


def http2_cases(port):
    """OTLP/HTTP over prior-knowledge HTTP/2 on the HTTP port."""
    p = {"content-type": "application/x-protobuf"}
    res = h2(port, [
        {"path": "/v1/logs", "headers": p, "body_hex": GOOD.hex()},
        {"path": "/v1/logs", "headers": dict(p, **bearer(MALLORY)), "body_hex": GOOD.hex()},
        {"path": "/v1/logs", "headers": dict(p, **bearer(ALICE)), "body_hex": GOOD.hex()},
        {"path": "/v1/logs", "headers": dict(p, **bearer(WRONG)), "size": 1 << 20,
         "partial": 65536},
        {"path": "/v1/logs", "headers": dict(p, **bearer(ALICE)), "body_hex": GOOD.hex()},
    ])
    expect("HTTP/2 statuses", [r["status"] for r in res], [401, 403, 200, 401, 200])
    expect("HTTP/2 401 challenge", res[0]["headers"].get("www-authenticate"), "Bearer")
    expect("HTTP/2 401 body", bytes.fromhex(res[0]["body_hex"]), status_pb(16, "unauthenticated"))
    expect("HTTP/2 403 body", bytes.fromhex(res[1]["body_hex"]), status_pb(7, "permission denied"))
    if not res[3]["early"]:
        e2e.fail("the 1 MiB refused HTTP/2 upload was answered only after it was sent whole")
    return 2


def main():
    engine = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        grpc, http = e2e.free_port(), e2e.free_port()
        eng = e2e.Engine(engine, config(grpc, http), tmp, ["--num-cores", "1"])
        try:
            eng.wait_ready()
            started = time.time()
            accepted = grpc_cases(grpc) + http1_cases(http) + http2_cases(http)

            def delivered():
                m = eng.metrics()
                return e2e.total(m, "df_node_items_received_total", node="out") == accepted and m
            m = eng.wait("every accepted record at the exporter", delivered)
            allowed = e2e.total(m, "df_receiver_otlp_auth_allowed_total")
            denied = e2e.total(m, "df_receiver_otlp_auth_denied_total")
            errors = e2e.total(m, "df_receiver_otlp_auth_errors_total")
            expect("allowed", allowed, accepted)
            # grpc-js 4, node gRPC 4 (1 MiB included), HTTP/1.1 6 (JSON,
            # CORS and 1 MiB included), HTTP/2 3 (1 MiB included)
            expect("denied", denied, 4 + 4 + 6 + 3)
            expect("errors", errors, 1 + 1 + 1)
            if e2e.total(m, "df_receiver_otlp_answered_ok_total") != accepted:
                e2e.fail("answered_ok is not %d: refused requests reached admission" % accepted)
            # Rate-limited: a refusal more than a second later is logged
            # with the count of those left out.
            time.sleep(1.2)
            expect("a late refusal", grpc_js(grpc, bearer(WRONG)), 16)
            eng.wait_log(r"refused gRPC call \S+ from 127\.0\.0\.1:\d+: invalid_credential: "
                         r"an unknown token \(and \d+ more refusals not logged\)")
            seconds = time.time() - started
            logged = eng.log().count("msg=\"refused ")
            if logged > int(seconds) + 1:
                e2e.fail("%d refusal lines for %d refusals in %.1f s: not rate-limited\n%s"
                         % (logged, denied + errors + 1, seconds, eng.log()))
            eng.wait_log(r"identity subject=alice provider=tokens")
            eng.wait_log(r"identity subject=bob provider=tokens")
        finally:
            eng.proc.terminate()
        if eng.exit_code() != 0:
            e2e.fail("exit code %d\n%s" % (eng.proc.returncode, eng.log()))
        log = eng.log()
        for tok in TOKENS:
            if tok in log:
                e2e.fail("token %s appears in the log:\n%s" % (tok, log))
        mtls_case(engine, tmp)
        print("auth: tokens checked before bodies on gRPC, HTTP/1.1 and HTTP/2; refusals mapped, "
              "counted, rate-limited in the log; identities reach the pipeline; mTLS peer seen")


def mtls_case(engine, tmp):
    """The verified client certificate's subject and SANs reach the provider."""
    d = os.path.join(tmp, "tls")
    os.mkdir(d)
    tls_e2e.make_pki(d)
    grpc, http = e2e.free_port(), e2e.free_port()
    tls = (f", tls: {{cert_file: {d}/server.pem, key_file: {d}/server.key, "
           f"client_ca_file: {d}/ca.pem}}")
    eng = e2e.Engine(engine, config(grpc, http, "              log_peer: true\n", tls), d,
                     ["--num-cores", "1"])
    try:
        eng.wait_ready()
        env = {"GRPC_CA": f"{d}/ca.pem", "GRPC_CERT": f"{d}/client.pem",
               "GRPC_KEY": f"{d}/client.key"}
        expect("mTLS gRPC, right token", grpc_js(grpc, bearer(ALICE), env), 0)
        expect("mTLS gRPC, no token", grpc_js(grpc, {}, env), 16)
        eng.wait_log(r"peer tls_subject=CN=client tls_sans=DNS:localhost,IP:127\.0\.0\.1")
    finally:
        eng.proc.terminate()
    if eng.exit_code() != 0:
        e2e.fail("mTLS: exit code %d\n%s" % (eng.proc.returncode, eng.log()))
    if ALICE in eng.log():
        e2e.fail("the token appears in the mTLS engine's log")


if __name__ == "__main__":
    main()
