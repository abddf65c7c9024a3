#!/usr/bin/env python3
"""OTLP/gRPC ingest benchmark: how many logs per second one core of
df_engine's receiver:otlp takes, next to the machine's HTTP/2 ceiling for
the same payload.

    bench/otlp_bench.py [--engine build/df_engine] [--requests 20000] [--runs 3]
                        [--processors] [--auth] [--enrich]

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

With --enrich (instead of the rows above), the forward row (pass-through)
and the same pipeline with processor:enrich before the exporter, on 1 and on
2 cores (taskset; h2load and the backend share the last core), over a
100K-row hosts dataset (key `host`; region, rack, team, env, owner) written
to the run's folder as CSV and as SQLite. The request is the generator's,
rewritten (enrich_payload) into 8 resources of 64 logs, each resource's
host.name and each record's own host.name attribute a different host of the
dataset; every row sends it:

  enrich_fs    extension:file_storage (shared: one snapshot for every core),
               apply_to: resource (8 lookups per request)
  enrich_fsl   extension:file_storage_local (a snapshot per core), resource
  enrich_db    extension:db_storage (shared), resource
  enrich_rec   extension:file_storage, apply_to: record with the record's
               host.name as the key (512 lookups per request)

Before timing, one request goes through receiver -> enrich -> exporter:file
per row and every resource (or record) of the output must carry its host's
columns; after each timed run the processor's /metrics must count every
answered request's resources (records) as enriched and none missing. Memory:
the RSS of each provider's pipeline idle after its first load with the 100K
rows and with a 1-row dataset, the difference per row, next to the
snapshot's own size from the provider's load log line.

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

# Extensions that a processor row binds (declared as `ds`, the processor's
# dataset_lookup) and checks run on a row's /metrics after each of its runs;
# both filled by enrich_rows().
EXTENSIONS = {}
CHECKS = {}

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
    body = first_message(proc, path)
    return grpc_file(tmp, "grpc.bin", body)


def first_message(proc, path):
    """Waits for exporter:file (format: proto) of process `proc` to write its
    first message to `path`, stops the process and returns the message."""
    end = time.time() + 20
    data = b""
    while time.time() < end:
        if os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
            if len(data) >= 4 and len(data) >= 4 + int.from_bytes(data[:4], "big"):
                break
        time.sleep(0.05)
    proc.terminate()
    proc.wait(timeout=30)
    if len(data) < 4:
        sys.exit("%s: nothing written" % path)
    n = int.from_bytes(data[:4], "big")
    return data[4:4 + n]


def grpc_file(tmp, name, body):
    """Writes `body` as one gRPC message (uncompressed) to tmp/name; returns
    (path, len(body))."""
    grpc = os.path.join(tmp, name)
    with open(grpc, "wb") as f:
        f.write(b"\0" + len(body).to_bytes(4, "big") + body)
    return grpc, len(body)


def last_core():
    return sorted(os.sched_getaffinity(0))[-1]


def h2load(port, data, requests, path, authorization, clients=4, streams=8):
    last = str(last_core())
    r = subprocess.run(["taskset", "-c", last, "h2load", "-n", str(requests), "-c", str(clients),
                        "-m", str(streams),
                        "-d", data, "-H", "content-type: application/grpc", "-H", "te: trailers",
                        "-H", "authorization: " + authorization,
                        "http://127.0.0.1:%d%s" % (port, path)], capture_output=True, text=True)
    m = re.search(r"finished in ([\d.]+)[mu]?s, ([\d.]+) req/s", r.stdout)
    done = re.search(r"(\d+) succeeded, (\d+) failed", r.stdout)
    if not m:
        sys.exit("h2load failed:\n" + r.stdout + r.stderr)
    return float(m.group(2)), int(done.group(1)), int(done.group(2))


def run_server(cmd, cores=1, stderr=subprocess.DEVNULL):
    """Starts `cmd` pinned to the first `cores` cores."""
    return subprocess.Popen(["taskset", "-c", "0-%d" % (cores - 1)] + cmd,
                            stdout=subprocess.DEVNULL, stderr=stderr)


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


def with_extension(text, name, ext, node, capability):
    """Declares extension `name` (a flow-mapping string) in a pipeline config
    and binds node `node`'s `capability` to it."""
    return text.replace("        nodes:\n", "        extensions:\n          %s: %s\n        nodes:\n"
                        % (name, ext), 1).replace(
        "          %s:\n            type: " % node,
        "          %s:\n            capabilities: {%s: %s}\n            type: "
        % (node, capability, name), 1)


def config_text(name, port, bport):
    """The config of row `name` (base[+processor][@cores]) listening on
    `port`; a forward row sends to a backend on `bport`."""
    name, _, cores = name.partition("@")
    base, _, proc = name.partition("+")
    if base == "forward":
        text = FORWARD.format(port=port, backend=bport)
    else:
        text = SUT.format(port=port)
    if name in AUTH:
        text = with_extension(text, "auth", AUTH[name][0], "otlp", "auth_check")
    if proc:
        text = text.replace("\n          out:", "\n" + PROCESSORS[proc].rstrip("\n") +
                            "\n          out:", 1).replace(
            "connections: [{from: otlp, to: out}]",
            "connections: [{from: otlp, to: proc}, {from: proc, to: out}]")
    if proc in EXTENSIONS:
        text = with_extension(text, "ds", EXTENSIONS[proc], "proc", "dataset_lookup")
    if cores:
        text = text.replace("start: 0, end: 0", "start: 0, end: %d" % (int(cores) - 1))
    return text


def backend_start(a, tmp, bport):
    """The forward rows' backend df_engine (receiver -> noop) on the last core."""
    bcfg = os.path.join(tmp, "backend.yaml")
    with open(bcfg, "w") as f:
        f.write(SUT.format(port=bport).replace(
            "start: 0, end: 0", "start: %d, end: %d" % (last_core(), last_core())))
    backend = subprocess.Popen([a.engine, "-c", bcfg, "--http-admin-bind", "127.0.0.1:0"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(bport)
    return backend


def scrape(admin):
    import urllib.request
    return urllib.request.urlopen("http://127.0.0.1:%d/metrics" % admin).read().decode()


def metric_sum(body, name):
    """The sum of every series of metric `name` in a /metrics body."""
    return sum(float(m.group(1)) for m in
               re.finditer(r"^%s(?:\{[^}]*\})? (\S+)$" % re.escape(name), body, re.M))


def measure(a, tmp, data, name):
    """One run of one row: (requests/s, server CPU microseconds per request)."""
    port, admin = free_port(), free_port()
    path = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
    backend = None
    proc = name.partition("@")[0].partition("+")[2]
    if name == "ceiling":
        srv = run_server([os.path.join(os.path.dirname(a.engine), "h2_discard"), str(port)])
    else:
        cfg = os.path.join(tmp, "sut.yaml")
        bport = free_port()
        if name.startswith("forward"):
            backend = backend_start(a, tmp, bport)
        with open(cfg, "w") as f:
            f.write(config_text(name, port, bport))
        srv = run_server([a.engine, "-c", cfg, "--http-admin-bind", "127.0.0.1:%d" % admin],
                         int(name.partition("@")[2] or 1))
    wait_port(port)
    before = cpu_seconds(srv.pid)
    rps, ok, failed = h2load(port, data, a.requests, path, AUTH.get(name, AUTH["bearer"])[1])
    cpu = cpu_seconds(srv.pid) - before
    if proc in CHECKS:
        CHECKS[proc](name, lambda: scrape(admin), ok)
    srv.terminate()
    srv.wait(timeout=60)
    if backend:
        backend.terminate()
        backend.wait(timeout=60)
    if name != "ceiling" and failed:
        sys.exit("%s: %d requests refused" % (name, failed))
    return rps, cpu / max(ok, 1) * 1e6


def rounds(a, tmp, data, names):
    """Measures every row --runs times, interleaved; returns the medians
    {name: requests/s}, {name: CPU us per request}."""
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
    return ({name: median(rates[name]) for name in names},
            {name: median(cpus[name]) for name in names})


# ---- --enrich ------------------------------------------------------------------

ENRICH_ROWS = 100000
ENRICH_RESOURCES = 8  # per request, 64 records each
COLUMNS = ("region", "rack", "team", "env", "owner")


def dataset(tmp, rows, stem):
    """Writes a hosts dataset of `rows` rows as tmp/stem.csv and tmp/stem.db
    (table hosts): a key column `host` and the COLUMNS, values of the sizes
    an inventory has. Returns (csv path, db path, {host: {column: value}})."""
    import random
    import sqlite3
    rng = random.Random(20261127)
    regions = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2",
               "ap-northeast-1", "sa-east-1", "ca-central-1"]
    teams = ["payments", "checkout-platform", "search-relevance", "identity", "data-ingest",
             "observability", "mobile-backend", "fraud-detection", "ads-serving", "billing"]
    envs = ["production", "staging", "canary", "development"]
    people = ["alice.martin", "bob.nguyen", "carla.rossi", "dmitri.ivanov", "emma.schmidt",
              "farid.haddad", "grace.okafor", "hiro.tanaka", "ines.moreau", "jon.berg"]
    table = {}
    for i in range(rows):
        region = rng.choice(regions)
        host = "ip-10-%d-%d-%d.%s.compute.internal" % (i >> 16, (i >> 8) & 255, i & 255, region)
        table[host] = {"region": region,
                       "rack": "%s-r%02d-u%02d" % (region[:2], rng.randrange(40), rng.randrange(42)),
                       "team": rng.choice(teams), "env": rng.choice(envs),
                       "owner": "%s@example.com" % rng.choice(people)}
    csv_path, db_path = os.path.join(tmp, stem + ".csv"), os.path.join(tmp, stem + ".db")
    with open(csv_path, "w") as f:
        f.write("host," + ",".join(COLUMNS) + "\n")
        for host, row in table.items():
            f.write(host + "," + ",".join(row[c] for c in COLUMNS) + "\n")
    if os.path.exists(db_path):
        os.unlink(db_path)
    db = sqlite3.connect(db_path)
    db.execute("CREATE TABLE hosts (host TEXT PRIMARY KEY, %s)" %
               ", ".join(c + " TEXT" for c in COLUMNS))
    db.executemany("INSERT INTO hosts VALUES (?%s)" % (", ?" * len(COLUMNS)),
                   [(h,) + tuple(r[c] for c in COLUMNS) for h, r in table.items()])
    db.commit()
    db.close()
    return csv_path, db_path, table


def pb_varint(buf, i):
    v = shift = 0
    while True:
        b = buf[i]
        i += 1
        v |= (b & 127) << shift
        shift += 7
        if b < 128:
            return v, i


def pb_fields(buf):
    """(field number, value, raw bytes of the whole field) of each field of a
    message; the value of a length-delimited field is its bytes."""
    i = 0
    while i < len(buf):
        start = i
        tag, i = pb_varint(buf, i)
        wtype = tag & 7
        if wtype == 0:
            v, i = pb_varint(buf, i)
        elif wtype == 1:
            v, i = buf[i:i + 8], i + 8
        elif wtype == 5:
            v, i = buf[i:i + 4], i + 4
        elif wtype == 2:
            n, i = pb_varint(buf, i)
            v, i = buf[i:i + n], i + n
        else:
            sys.exit("unexpected wire type %d" % wtype)
        yield tag >> 3, v, buf[start:i]


def pb_len(num, data):
    out = bytearray()
    for v in (num << 3 | 2, len(data)):
        while v >= 128:
            out.append(v & 127 | 128)
            v >>= 7
        out.append(v)
    return bytes(out) + data


def kv_string(key, value):
    """A KeyValue with a string AnyValue."""
    return pb_len(1, key.encode()) + pb_len(2, pb_len(1, value.encode()))


def pb_attrs(msg, field):
    """{key: string value} of the KeyValues in field `field` of `msg`."""
    out = {}
    for num, kv, _ in pb_fields(msg):
        if num == field:
            f = {n: v for n, v, _ in pb_fields(kv)}
            out[f[1].decode()] = {n: v for n, v, _ in pb_fields(f.get(2, b""))}.get(1, b"").decode()
    return out


def enrich_payload(tmp, body, hosts):
    """The generator's request of 512 logs (one resource) rewritten as
    ENRICH_RESOURCES resources of 512/ENRICH_RESOURCES records each, every
    resource's host.name a different host of the dataset, and every record
    given a host.name attribute of its own (512 distinct hosts): the keys of
    apply_to: resource and apply_to: record. Returns (gRPC file, size,
    [(resource host, [record hosts])])."""
    import random
    (_, rl, _), = pb_fields(body)
    parts = {n: v for n, v, _ in pb_fields(rl)}
    res_attrs = [raw for n, kv, raw in pb_fields(parts[1]) if n == 1 and
                 next(pb_fields(kv))[1] != b"host.name"]
    scope_fields = list(pb_fields(parts[2]))
    records = [v for n, v, _ in scope_fields if n == 2]
    scope_rest = b"".join(raw for n, _, raw in scope_fields if n != 2)
    picked = random.Random(7).sample(sorted(hosts), ENRICH_RESOURCES + len(records))
    per = len(records) // ENRICH_RESOURCES
    layout, out = [], b""
    for r in range(ENRICH_RESOURCES):
        rec_hosts = picked[ENRICH_RESOURCES + r * per:ENRICH_RESOURCES + (r + 1) * per]
        recs = b"".join(pb_len(2, rec + pb_len(6, kv_string("host.name", h)))
                        for rec, h in zip(records[r * per:(r + 1) * per], rec_hosts))
        resource = b"".join(res_attrs) + pb_len(1, kv_string("host.name", picked[r]))
        out += pb_len(1, pb_len(1, resource) + pb_len(2, scope_rest + recs))
        layout.append((picked[r], rec_hosts))
    path, size = grpc_file(tmp, "enrich.bin", out)
    return path, size, layout


def enrich_check(expect):
    """A row check: every resource (or record) of every request answered was
    enriched, none missing, no lookup error."""
    def check(name, metrics, ok):
        # A receiver without wait_for_result answers before the processor
        # is done: give the last requests a moment.
        end = time.time() + 5
        while True:
            body = metrics()
            enriched = metric_sum(body, "df_processor_enrich_enriched_total")
            if enriched >= ok * expect or time.time() > end:
                break
            time.sleep(0.1)
        bad = (metric_sum(body, "df_processor_enrich_missing_total") +
               metric_sum(body, "df_processor_enrich_errors_total") +
               metric_sum(body, "df_processor_enrich_failed_total"))
        # every request h2load saw answered was enriched (and maybe a few
        # more it had not counted yet)
        if enriched < ok * expect or bad:
            sys.exit("%s: %d enriched for %d requests of %d keys, %d missing/errors/failed: the "
                     "enrichment is not happening" % (name, enriched, ok, expect, bad))
    return check


def enrich_rows(csv_path, db_path, per_resource, per_record):
    """The processor rows of --enrich: processor:enrich (prefix host., keys
    from host.name) bound to each dataset_lookup provider."""
    node = """          proc:
            type: processor:enrich
            config: {lookup_key: {from: %s, name: host.name}, prefix: host., apply_to: %s}
"""
    fs = "{type: extension:file_storage%s, config: {path: '" + csv_path + "', key: host}}"
    # Both providers answer a row's other columns (the key is not one): 5.
    db = ("{type: extension:db_storage, config: {path: '%s', query: 'SELECT host, "
          "%s FROM hosts', max_rows: %d}}" % (db_path, ", ".join(COLUMNS), ENRICH_ROWS))
    rows = {"enrich_fs": (fs % "", "resource_attribute", "resource", per_resource),
            "enrich_fsl": (fs % "_local", "resource_attribute", "resource", per_resource),
            "enrich_db": (db, "resource_attribute", "resource", per_resource),
            "enrich_rec": (fs % "", "attribute", "record", per_record)}
    for name, (ext, key_from, apply_to, expect) in rows.items():
        PROCESSORS[name] = node % (key_from, apply_to)
        EXTENSIONS[name] = ext
        CHECKS[name] = enrich_check(expect)
    return list(rows)


def enrich_verify(a, tmp, data, proc, table, layout):
    """Sends one request through receiver -> proc -> exporter:file and checks
    the columns of each key's row are in the output where they belong."""
    port, out = free_port(), os.path.join(tmp, "enriched.bin")
    if os.path.exists(out):
        os.unlink(out)
    text = config_text("receiver+" + proc, port, 0).replace(
        "out: {type: exporter:noop}",
        "out: {type: exporter:file, config: {path: '%s', format: proto}}" % out)
    cfg = os.path.join(tmp, "verify.yaml")
    with open(cfg, "w") as f:
        f.write(text)
    srv = run_server([a.engine, "-c", cfg, "--http-admin-bind", "127.0.0.1:0"])
    wait_port(port)
    h2load(port, data, 1, "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
           AUTH["bearer"][1], 1, 1)
    body = first_message(srv, out)
    record = "apply_to: record" in PROCESSORS[proc]
    checked = 0
    for (_, rl, _), (host, rec_hosts) in zip(pb_fields(body), layout):
        parts = {}
        for n, v, _ in pb_fields(rl):
            parts.setdefault(n, v)
        got = [(pb_attrs(parts[1], 1), host)]
        if record:
            recs = [v for n, v, _ in pb_fields(parts[2]) if n == 2]
            got = [(pb_attrs(r, 6), h) for r, h in zip(recs, rec_hosts)]
        for attrs, key in got:
            want = {"host." + c: v for c, v in table[key].items()}
            if any(attrs.get(k) != v for k, v in want.items()) or "host.host" in attrs:
                sys.exit("%s: %s was not enriched with its row: %s" % (proc, key, attrs))
            checked += 1
    if checked != sum(len(r) if record else 1 for _, r in layout):
        sys.exit("%s: %d items checked" % (proc, checked))
    return checked


def rss_idle(a, tmp, name, csv_path, db_path):
    """Starts row `name`'s receiver pipeline (receiver -> proc -> noop) with
    the dataset files given, waits for it to listen (the first load gates
    start) and returns (RSS bytes, [snapshot bytes of each load log line:
    one per core for file_storage_local])."""
    port = free_port()
    text = config_text(name, port, 0)
    for stem, path in ((".csv", csv_path), (".db", db_path)):
        text = re.sub(r"'[^']*%s'" % re.escape(stem), "'%s'" % path, text)
    cfg, log = os.path.join(tmp, "rss.yaml"), os.path.join(tmp, "rss.log")
    with open(cfg, "w") as f:
        f.write(text)
    with open(log, "w") as err:
        srv = run_server([a.engine, "-c", cfg, "--http-admin-bind", "127.0.0.1:0"],
                         int(name.partition("@")[2]), err)
    wait_port(port, 60)

    def snapshots():
        with open(log) as f:
            return [int(x) for x in re.findall(r"snapshot (\d+) bytes", f.read())]
    # Every load logged (one per core for a local provider, else one).
    cores = int(name.partition("@")[2])
    want = cores if "_fsl@" in name else 1
    end = time.time() + 60
    while len(snapshots()) < want:
        if time.time() > end:
            sys.exit("%s: %d of %d dataset loads logged in 60 s" % (name, len(snapshots()), want))
        time.sleep(0.02)
    with open("/proc/%d/status" % srv.pid) as f:
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1)) * 1024
    srv.terminate()
    srv.wait(timeout=60)
    return rss, snapshots()


def enrich(a, tmp, data):
    csv_path, db_path, table = dataset(tmp, ENRICH_ROWS, "hosts")
    csv1, db1, _ = dataset(tmp, 1, "hosts1")
    with open(data, "rb") as f:
        body = f.read()[5:]  # the gRPC frame's 5-byte prefix
    data, size, layout = enrich_payload(tmp, body, table)
    per_record = sum(len(r) for _, r in layout)
    procs = enrich_rows(csv_path, db_path, len(layout), per_record)
    print("dataset: %d rows, CSV %d bytes, SQLite %d bytes; payload: %d resources, %d logs, %d bytes"
          % (len(table), os.path.getsize(csv_path), os.path.getsize(db_path), len(layout),
             per_record, size))
    for proc in procs:
        print("%s: one request through exporter:file: %d items carry their row's columns"
              % (proc, enrich_verify(a, tmp, data, proc, table, layout)))
    cores = [1, 2] if len(os.sched_getaffinity(0)) >= 2 else [1]
    names = []
    for c in cores:
        names += ["forward@%d" % c] + ["forward+%s@%d" % (p, c) for p in procs]
    results, cpu_us = rounds(a, tmp, data, names)
    for name in names:
        base = "forward@" + name.partition("@")[2]
        print("%-22s %8.0f requests/s  %6.2f M logs/s  %6.1f us CPU/request  %.2f of pass-through "
              "by rate, %.2f by CPU" % (name, results[name], results[name] * per_record / 1e6,
                                        cpu_us[name], results[name] / results[base],
                                        cpu_us[base] / cpu_us[name]))
    # Memory: the same pipeline (receiver -> enrich -> noop) idle after the
    # first load, with the 100K-row dataset and with a 1-row one.
    for c in cores:
        for proc in ("enrich_fs", "enrich_fsl", "enrich_db"):
            name = "receiver+%s@%d" % (proc, c)
            full, snap = rss_idle(a, tmp, name, csv_path, db_path)
            small, _ = rss_idle(a, tmp, name, csv1, db1)
            print("%-24s RSS %6.1f MiB with %d rows, %5.1f MiB with 1: %5.0f bytes per row%s" %
                  (name, full / 1048576, len(table), small / 1048576,
                   (full - small) / (len(table) - 1),
                   "; snapshot %s bytes per row" % ", ".join("%.0f" % (b / len(table))
                                                            for b in snap) if snap else ""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", default="build/df_engine")
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--processors", action="store_true")
    ap.add_argument("--auth", action="store_true")
    ap.add_argument("--enrich", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data, size = payload(a.engine, tmp)
        if a.enrich:
            return enrich(a, tmp, data)
        print("payload: 512 logs, %d bytes (%.0f bytes per log)" % (size, size / 512))
        names = ["ceiling", "receiver", "forward"]
        if a.auth:
            auth_rows(tmp)
            names += ["bearer", "basic", "oidc"]
        if a.processors:
            names += ["receiver+" + p for p in PROCESSORS] + ["forward+" + p for p in PROCESSORS]
        results, cpu_us = rounds(a, tmp, data, names)
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
