#!/usr/bin/env python3
"""OTLP/gRPC ingest benchmark: how many logs per second one core of
df_engine's receiver:otlp takes, next to the machine's HTTP/2 ceiling for
the same payload.

    bench/otlp_bench.py [--engine build/df_engine] [--requests 20000] [--runs 3]
                        [--processors] [--auth]

The payload is one ExportLogsServiceRequest of 512 log records of about 300
bytes each, made by df_engine itself (traffic_generator -> exporter:file,
protobuf). h2load (nghttp2) sends it as a gRPC call over 4 connections with
8 streams each, pinned to the last core; the server is pinned to core 0:

  ceiling    bench/h2_discard: nghttp2 and libuv alone, reading each request
             whole and discarding it (none of df_engine's code; the same
             flow-control windows as df_engine's HTTP/2)
  receiver   df_engine: receiver:otlp (gRPC, every request validated) -> noop
  forward    df_engine pass-through: receiver:otlp (wait_for_result) ->
             exporter:otlp_grpc -> a second df_engine (receiver -> noop)
             pinned with h2load on the last core; h2load's rate is then the
             end-to-end rate, each answer waiting for the backend's Ack

With --processors, the receiver and forward rows are followed by the same
pipelines with a processor inserted before the exporter (receiver+X: before
noop; forward+X: before otlp_grpc, "pass-through" in the targets' sense),
each compared with its base row of the same run:

  attribute  processor:attribute renaming one attribute of every record
  filter     processor:filter dropping about half of the records (severities
             INFO and TRACE: 4 of the generator's 8 severity slots)

With --auth, rows run the receiver row's pipeline with receiver:otlp bound
to an auth_check extension, every request's credential checked before its
body is read; each row's requests carry that row's Authorization header
(the receiver row's the bearer one), so the rows differ by the check only:

  bearer     extension:bearer_token_auth, a static token
  basic      extension:basic_auth, a SHA-512-crypt htpasswd user (5000
             rounds, ~5 ms; after the first request per core the cache
             answers, as it would for bcrypt)
  oidc       extension:oidc_auth, an RS256 JWT from a local issuer this
             script serves (discovery and JWKS; verified tokens cached)

Every row also reports the server's CPU time per request (user + system of
the df_engine process, from /proc, over the h2load run). Rows bound by the
core (receiver, receiver+X) compare by rate and by CPU alike; the CPU figure
is the steadier one on a shared machine.

Latency: at 100 K logs/s (h2load --rps, one connection, one request at a
time), the p50/p99 of request latency straight to a backend df_engine and
through the forwarding df_engine; the difference is what forwarding adds.
The forwarder's RSS is read from its /metrics at the end of that run.

Needs h2load (nghttp2-client) and the h2_discard binary beside df_engine.
Runs are interleaved (each round measures every row once, each round
starting one row later); each figure is the median of --runs rounds, and
ratios compare medians of one invocation.
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

GEN = """version: otel_dataflow/v1
groups:
  g:
    pipelines:
      p:
        policies: {{resources: {{core_allocation: {{strategy: core_count, count: 1}}}}}}
        nodes:
          gen:
            type: receiver:traffic_generator
            config:
              traffic_config: {{max_signal_count: 512, max_batch_size: 512, log_weight: 1,
                                metric_weight: 0, trace_weight: 0, log_body_size_bytes: 120,
                                num_attributes: 4}}
          file: {{type: exporter:file, config: {{path: {path}, format: proto}}}}
        connections: [{{from: gen, to: file}}]
"""

FORWARD = """version: otel_dataflow/v1
groups:
  g:
    pipelines:
      p:
        policies: {{resources: {{core_allocation: {{strategy: core_set, set: [{{start: 0, end: 0}}]}}}}}}
        nodes:
          otlp:
            type: receiver:otlp
            config:
              protocols:
                grpc: {{listening_addr: 127.0.0.1:{port}, max_concurrent_streams: 64,
                        wait_for_result: true}}
          out:
            type: exporter:otlp_grpc
            config: {{grpc_endpoint: "http://127.0.0.1:{backend}", max_in_flight: 32}}
        connections: [{{from: otlp, to: out}}]
"""

PROCESSORS = {
    "attribute": """          proc:
            type: processor:attribute
            config:
              actions: [{action: rename, source_key: http.request.method,
                         destination_key: http.method}]
""",
    "filter": """          proc:
            type: processor:filter
            config:
              logs:
                exclude: {match_type: strict, severity_texts: [INFO, TRACE]}
""",
}

SUT = """version: otel_dataflow/v1
groups:
  g:
    pipelines:
      p:
        policies: {{resources: {{core_allocation: {{strategy: core_set, set: [{{start: 0, end: 0}}]}}}}}}
        nodes:
          otlp:
            type: receiver:otlp
            config:
              protocols:
                grpc: {{listening_addr: 127.0.0.1:{port}, max_concurrent_streams: 64}}
          out: {{type: exporter:noop}}
        connections: [{{from: otlp, to: out}}]
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    sys.exit("nothing listens on %d" % port)


def payload(engine, tmp):
    path = os.path.join(tmp, "payload.bin")
    cfg = os.path.join(tmp, "gen.yaml")
    with open(cfg, "w") as f:
        f.write(GEN.format(path=path))
    proc = subprocess.Popen([engine, "-c", cfg, "--http-admin-bind", "127.0.0.1:0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.time() + 20
    while time.time() < end and (not os.path.exists(path) or os.path.getsize(path) < 5):
        time.sleep(0.05)
    proc.terminate()
    proc.wait(timeout=30)
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:4], "big")
    body = data[4:4 + n]
    grpc = os.path.join(tmp, "grpc.bin")
    with open(grpc, "wb") as f:
        f.write(b"\0" + len(body).to_bytes(4, "big") + body)
    return grpc, len(body)


def last_core():
    return sorted(os.sched_getaffinity(0))[-1]


def h2load(port, data, requests, path, authorization):
    last = str(last_core())
    r = subprocess.run(["taskset", "-c", last, "h2load", "-n", str(requests), "-c", "4", "-m", "8",
                        "-d", data, "-H", "content-type: application/grpc", "-H", "te: trailers",
                        "-H", "authorization: " + authorization,
                        "http://127.0.0.1:%d%s" % (port, path)], capture_output=True, text=True)
    m = re.search(r"finished in ([\d.]+)m?s, ([\d.]+) req/s", r.stdout)
    done = re.search(r"(\d+) succeeded, (\d+) failed", r.stdout)
    if not m:
        sys.exit("h2load failed:\n" + r.stdout + r.stderr)
    return float(m.group(2)), int(done.group(1)), int(done.group(2))


def run_server(cmd):
    return subprocess.Popen(["taskset", "-c", "0"] + cmd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def paced(port, data, seconds, logs_per_s, log):
    """h2load at a fixed request rate; returns latencies in ms."""
    rps = max(1, round(logs_per_s / 512))
    subprocess.run(["taskset", "-c", str(last_core()), "h2load", "-n", str(rps * seconds), "-c",
                    "1", "-m", "1", "--rps", str(rps), "--log-file", log, "-d", data, "-H",
                    "content-type: application/grpc", "-H", "te: trailers",
                    "http://127.0.0.1:%d/opentelemetry.proto.collector.logs.v1.LogsService/Export"
                    % port], capture_output=True, text=True, check=True)
    with open(log) as f:
        return [int(line.split()[2]) / 1000 for line in f if line.strip()]


def latency(a, tmp, data):
    bport, sport, admin = free_port(), free_port(), free_port()
    bcfg, scfg = os.path.join(tmp, "lb.yaml"), os.path.join(tmp, "ls.yaml")
    with open(bcfg, "w") as f:
        f.write(SUT.format(port=bport).replace("start: 0, end: 0", "start: %d, end: %d"
                                               % (last_core(), last_core())))
    with open(scfg, "w") as f:
        f.write(FORWARD.format(port=sport, backend=bport))
    backend = subprocess.Popen([a.engine, "-c", bcfg, "--http-admin-bind", "127.0.0.1:0"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sut = run_server([a.engine, "-c", scfg, "--http-admin-bind", "127.0.0.1:%d" % admin])
    try:
        wait_port(bport)
        wait_port(sport)
        direct = paced(bport, data, 10, 100000, os.path.join(tmp, "direct.log"))
        forward = paced(sport, data, 10, 100000, os.path.join(tmp, "forward.log"))
        import urllib.request
        body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % admin).read().decode()
        rss = float(re.search(r"^df_process_resident_memory_bytes (\S+)$", body, re.M).group(1))
    finally:
        sut.terminate()
        backend.terminate()
        sut.wait(timeout=60)
        backend.wait(timeout=60)
    for name, v in (("direct", direct), ("forward", forward)):
        print("latency at 100K logs/s, %-7s p50 %6.2f ms  p99 %6.2f ms  (%d requests)"
              % (name, percentile(v, 0.5), percentile(v, 0.99), len(v)))
    print("added by forwarding: p50 %.2f ms, p99 %.2f ms; forwarder RSS %.1f MiB"
          % (percentile(forward, 0.5) - percentile(direct, 0.5),
             percentile(forward, 0.99) - percentile(direct, 0.99), rss / 1048576))


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def cpu_seconds(pid):
    """User + system CPU seconds of process `pid` (its threads included)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# The auth rows: each row's extension config and the Authorization header
# its requests carry (HPACK sends it once per connection). Made by
# auth_rows() in the run's folder; rows without an extension send the
# bearer header.
TOKEN = "bench-token-0123456789abcdef0123456789abcdef"
AUTH = {"bearer": ("{type: extension:bearer_token_auth, config: {token: %s}}" % TOKEN,
                   "Bearer " + TOKEN)}


def auth_rows(tmp):
    """Adds the basic and oidc rows to AUTH: a SHA-512-crypt user, and a local OIDC
    issuer (an http.server thread for the rest of the run) with a token it
    signed."""
    import base64
    import http.server
    import json
    import threading
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                    "e2e"))
    import jwt_tool
    hashed = subprocess.run(["openssl", "passwd", "-6", "bench-password"], capture_output=True,
                            text=True, check=True).stdout.strip()
    AUTH["basic"] = ("{type: extension:basic_auth, config: {htpasswd: {inline: 'bench:%s'}}}"
                     % hashed, "Basic " + base64.b64encode(b"bench:bench-password").decode())
    key = jwt_tool.Key(tmp, "bench-rsa")
    doc = {}

    class Issuer(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = doc.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Issuer)
    issuer = "http://127.0.0.1:%d" % srv.server_port
    doc["/.well-known/openid-configuration"] = json.dumps({"issuer": issuer,
                                                          "jwks_uri": issuer + "/jwks"})
    doc["/jwks"] = jwt_tool.jwks(key)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    now = int(time.time())
    jwt = jwt_tool.token(key, {"iss": issuer, "aud": "bench", "sub": "bench", "iat": now,
                               "exp": now + 6 * 3600})
    AUTH["oidc"] = ("{type: extension:oidc_auth, config: {issuer_url: '%s', audience: bench}}"
                    % issuer, "Bearer " + jwt)


def measure(a, tmp, data, name):
    """One run of one row: (requests/s, server CPU microseconds per request)."""
    port = free_port()
    path = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
    backend = None
    if name == "ceiling":
        srv = run_server([os.path.join(os.path.dirname(a.engine), "h2_discard"), str(port)])
    else:
        cfg = os.path.join(tmp, "sut.yaml")
        base, _, proc = name.partition("+")
        if base == "forward":
            bport = free_port()
            bcfg = os.path.join(tmp, "backend.yaml")
            with open(bcfg, "w") as f:
                f.write(SUT.format(port=bport).replace(
                    "start: 0, end: 0", "start: %d, end: %d" % (last_core(), last_core())))
            backend = subprocess.Popen([a.engine, "-c", bcfg, "--http-admin-bind", "127.0.0.1:0"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_port(bport)
            text = FORWARD.format(port=port, backend=bport)
        elif name in AUTH:
            text = SUT.format(port=port).replace(
                "        nodes:\n", "        extensions:\n          auth: %s\n        nodes:\n"
                % AUTH[name][0], 1).replace(
                "            type: receiver:otlp\n",
                "            type: receiver:otlp\n            capabilities: {auth_check: auth}\n", 1)
        else:
            text = SUT.format(port=port)
        if proc:
            text = text.replace("\n          out:", "\n" + PROCESSORS[proc].rstrip("\n") +
                                "\n          out:", 1).replace(
                "connections: [{from: otlp, to: out}]",
                "connections: [{from: otlp, to: proc}, {from: proc, to: out}]")
        with open(cfg, "w") as f:
            f.write(text)
        srv = run_server([a.engine, "-c", cfg, "--http-admin-bind", "127.0.0.1:0"])
    wait_port(port)
    before = cpu_seconds(srv.pid)
    rps, ok, failed = h2load(port, data, a.requests, path, AUTH.get(name, AUTH["bearer"])[1])
    cpu = cpu_seconds(srv.pid) - before
    srv.terminate()
    srv.wait(timeout=60)
    if backend:
        backend.terminate()
        backend.wait(timeout=60)
    if name != "ceiling" and failed:
        sys.exit("%s: %d requests refused" % (name, failed))
    return rps, cpu / max(ok, 1) * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", default="build/df_engine")
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--processors", action="store_true")
    ap.add_argument("--auth", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data, size = payload(a.engine, tmp)
        print("payload: 512 logs, %d bytes (%.0f bytes per log)" % (size, size / 512))
        names = ["ceiling", "receiver", "forward"]
        if a.auth:
            auth_rows(tmp)
            names += ["bearer", "basic", "oidc"]
        if a.processors:
            names += ["receiver+" + p for p in PROCESSORS] + ["forward+" + p for p in PROCESSORS]
        rates = {name: [] for name in names}
        cpus = {name: [] for name in names}
        # Runs are interleaved (every row once per round) so that a noisy
        # neighbour on this shared machine weighs on all rows alike.
        # Each round starts one row later, so that no row is always measured
        # right after the same one (a slow drift would otherwise favour some).
        for r in range(a.runs):
            for name in names[r % len(names):] + names[:r % len(names)]:
                rps, cpu = measure(a, tmp, data, name)
                rates[name].append(rps)
                cpus[name].append(cpu)
        results = {name: median(rates[name]) for name in names}
        cpu_us = {name: median(cpus[name]) for name in names}
        for name in names:
            print("%-18s %8.0f requests/s  %6.2f M logs/s  %7.1f MiB/s  %6.1f us CPU/request" %
                  (name, results[name], results[name] * 512 / 1e6,
                   results[name] * size / 1048576, cpu_us[name]))
        print("receiver / ceiling: %.2f" % (results["receiver"] / results["ceiling"]))
        latency(a, tmp, data)
        print("forward / ceiling: %.2f" % (results["forward"] / results["ceiling"]))
        for name in ("bearer", "basic", "oidc"):
            if name in results:
                print("%s / receiver: %.2f by rate, %.2f by CPU per request" %
                      (name, results[name] / results["receiver"], cpu_us["receiver"] / cpu_us[name]))
        for name in names:
            base, _, proc = name.partition("+")
            if proc:
                print("%s / %s: %.2f by rate, %.2f by CPU per request" %
                      (name, base, results[name] / results[base], cpu_us[base] / cpu_us[name]))


if __name__ == "__main__":
    main()
