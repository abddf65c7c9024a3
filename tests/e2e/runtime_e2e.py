#!/usr/bin/env python3
"""End-to-end tests of the running engine: df_engine started on a config,
driven and observed through its admin API, signals and logs.

    runtime_e2e.py SCENARIO DF_ENGINE DF_ENGINE_TEST

Every scenario binds the admin API to an ephemeral port (read from the log),
writes only under a temporary folder, and waits on conditions (a metric
reached, a status code, the process exit) with generous time limits rather
than fixed sleeps.
"""
import base64
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

TIMEOUT = 60.0
ENGINES = []  # started by this test; killed on failure so none outlives it


def fail(msg):
    print("FAIL: " + msg, flush=True)
    for e in ENGINES:
        if e.poll() is None:
            e.kill()
    sys.exit(1)


class Engine:
    """A df_engine process with its stderr collected on a thread."""

    def __init__(self, binary, config_text, workdir, args=(), env=None):
        self.path = os.path.join(workdir, "config.yaml")
        with open(self.path, "w") as f:
            f.write(config_text)
        cmd = [binary, "-c", self.path, "--http-admin-bind", "127.0.0.1:0", *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     env=env, text=True)
        ENGINES.append(self.proc)
        self.lines = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.port = None
        m = self.wait_log(r"admin API listening on 127\.0\.0\.1:(\d+)")
        self.port = int(m.group(1))

    def _read(self):
        for line in self.proc.stderr:
            with self.lock:
                self.lines.append(line)

    def log(self):
        with self.lock:
            return "".join(self.lines)

    def wait_log(self, pattern, timeout=TIMEOUT):
        end = time.time() + timeout
        while time.time() < end:
            m = re.search(pattern, self.log())
            if m:
                return m
            if self.proc.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.02)
        fail("no log line matching %r; log:\n%s" % (pattern, self.log()))

    def wait_ready(self):
        """Waits for readyz 200: every pipeline started, listeners bound."""
        self.wait("readyz 200", lambda: self.request("/api/v1/readyz")[0] == 200)

    def request(self, path, method="GET"):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    def metrics(self):
        """{(name, frozenset(labels)): value} from /metrics."""
        status, _, body = self.request("/metrics")
        if status != 200:
            fail("/metrics answered %d" % status)
        out = {}
        for line in body.splitlines():
            if not line or line.startswith("#"):
                continue
            m = re.match(r'^(\w+)(?:\{(.*)\})? (\S+)$', line)
            if not m:
                fail("bad exposition line: %r" % line)
            labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
            out[(m.group(1), labels)] = float(m.group(3))
        return out

    def wait(self, what, cond, timeout=TIMEOUT):
        end = time.time() + timeout
        last = None
        while time.time() < end:
            last = cond()
            if last:
                return last
            if self.proc.poll() is not None:
                fail("engine exited (%d) while waiting for %s; log:\n%s"
                     % (self.proc.returncode, what, self.log()))
            time.sleep(0.05)
        fail("timed out waiting for %s; log:\n%s" % (what, self.log()))

    def exit_code(self, timeout=TIMEOUT):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("engine did not exit within %.0fs; log:\n%s" % (timeout, self.log()))
        self.reader.join(5)
        return self.proc.returncode


def total(metrics, name, **match):
    """Sums a metric over every series whose labels include `match`."""
    want = set(match.items())
    return sum(v for (n, labels), v in metrics.items() if n == name and want <= labels)


def stopped_totals(log, node):
    """Sums the items_received/items_sent of `node`'s "stopped" lines."""
    rx = tx = 0
    for m in re.finditer(r'scope=\S+/%s msg=stopped core=\d+ items_received=(\d+) '
                         r'items_sent=(\d+)' % re.escape(node), log):
        rx += int(m.group(1))
        tx += int(m.group(2))
    return rx, tx


def pipeline(nodes, connections, policies="", extensions=""):
    """A config of pipeline g/p; `extensions` are the lines of its
    extensions: map (indented 10), if any."""
    exts = "        extensions:\n%s\n" % extensions if extensions else ""
    return ("version: otel_dataflow/v1\n%sgroups:\n  g:\n    pipelines:\n      p:\n"
            "%s        nodes:\n%s        connections:\n%s"
            % (policies, exts, nodes, connections))


GEN_BATCH = """          gen:
            type: receiver:traffic_generator
            config:
              enable_ack_nack: {ack}
              traffic_config:
                {limit}
                max_batch_size: 100
                log_weight: 2
                metric_weight: 1
                trace_weight: 1
                log_body_size_bytes: 64
          batch:
            type: processor:batch
            config: {{send_batch_size: 512, timeout: {timeout}}}
          out:
{exporter}
"""
NOOP = "            type: exporter:noop"
CHAIN = "          - {from: gen, to: batch}\n          - {from: batch, to: out}\n"


def scenario_count(engine, engine_test, tmp):
    """2 cores, max_signal_count: every generated item reaches the exporter,
    then SIGTERM exits 0."""
    per_core = 25000
    e = Engine(engine, pipeline(GEN_BATCH.format(ack="false", limit="max_signal_count: %d"
                                                 % per_core, timeout="50ms",
                                                 exporter=NOOP), CHAIN),
               tmp, ["--num-cores", "2"])
    want = 2 * per_core

    def done():
        m = e.metrics()
        got = total(m, "df_node_items_received_total", node="out")
        return got == want and m
    m = e.wait("the exporter to receive %d items" % want, done)
    sent = total(m, "df_node_items_sent_total", node="gen")
    if sent != want:
        fail("generator sent %d items, want %d" % (sent, want))
    for core in ("0", "1"):
        got = total(m, "df_node_items_received_total", node="out", core=core)
        if got != per_core:
            fail("core %s exporter received %d, want %d" % (core, got, per_core))
    logs = total(m, "df_node_items_received_total", node="out", signal="logs")
    if not 0.45 * want <= logs <= 0.55 * want:  # log_weight 2 of 4
        fail("logs are %d of %d items, not about half" % (logs, want))
    if total(m, "df_node_acks_sent_total", node="out") < 1:
        fail("the exporter acked nothing")
    e.proc.send_signal(signal.SIGTERM)
    code = e.exit_code()
    if code != 0:
        fail("exit code %d after SIGTERM; log:\n%s" % (code, e.log()))
    print("count: %d items on 2 cores, all received by the exporter" % want)


def scenario_sigterm(engine, engine_test, tmp):
    """An unlimited generator: SIGTERM mid-run drains; what the generator sent
    is what the exporter received, and the exit is 0 within the deadline."""
    e = Engine(engine, pipeline(GEN_BATCH.format(ack="true", limit="", timeout="10s",
                                                 exporter=NOOP), CHAIN),
               tmp, ["--num-cores", "2", "--shutdown-deadline", "20s"])
    e.wait("traffic", lambda: total(e.metrics(), "df_node_items_received_total",
                                    node="out") > 100000)
    started = time.time()
    e.proc.send_signal(signal.SIGTERM)
    code = e.exit_code(timeout=30)
    took = time.time() - started
    if code != 0:
        fail("exit code %d after SIGTERM; log:\n%s" % (code, e.log()))
    log = e.log()
    _, gen_sent = stopped_totals(log, "gen")
    out_rx, _ = stopped_totals(log, "out")
    batch_rx, batch_tx = stopped_totals(log, "batch")
    if gen_sent == 0 or gen_sent != out_rx or batch_rx != batch_tx or batch_rx != gen_sent:
        fail("lost items: generator sent %d, batch %d -> %d, exporter received %d\n%s"
             % (gen_sent, batch_rx, batch_tx, out_rx, log))
    print("sigterm: drained %d items in %.2fs, none lost" % (gen_sent, took))


def scenario_nack(engine, engine_test, tmp):
    """exporter:error Nacks everything: the generator hears a Nack for every
    request it sent, and the exporter's Nack count matches its input."""
    e = Engine(engine, pipeline(GEN_BATCH.format(ack="true", limit="max_signal_count: 20000",
                                                 timeout="20ms",
                                                 exporter="            type: exporter:error\n"
                                                 "            config: {message: injected, "
                                                 "nack: transient}"),
                                CHAIN), tmp, ["--num-cores", "1"])

    def settled():
        m = e.metrics()
        sent = total(m, "df_node_requests_sent_total", node="gen")
        nacked = total(m, "df_node_nacks_received_total", node="gen", kind="transient")
        return sent == 200 and nacked == sent and m
    m = e.wait("a Nack for each of 200 requests", settled)
    batches = total(m, "df_node_requests_sent_total", node="batch")
    out_nacks = total(m, "df_node_nacks_sent_total", node="out", kind="transient")
    if batches == 0 or out_nacks != batches:
        fail("exporter Nacked %d of %d batches" % (out_nacks, batches))
    if total(m, "df_node_acks_received_total", node="gen") != 0:
        fail("the generator saw Acks")
    status, _, _ = e.request("/api/v1/groups/shutdown", method="POST")
    if status != 202:
        fail("shutdown answered %d" % status)
    if e.exit_code() != 0:
        fail("exit code after shutdown: %d" % e.proc.returncode)
    print("nack: %d requests, %d batches, all Nacked back" % (200, batches))


def scenario_readyz(engine, engine_test, tmp):
    """readyz is 503 while a pipeline is still being built and 200 once every
    core runs; the status endpoint says why."""
    gate = os.path.join(tmp, "gate")
    env = dict(os.environ, DF_TEST_GATE_FILE=gate)
    nodes = ("          gen: {type: 'urn:test:receiver:gen'}\n"
             "          sink: {type: 'urn:test:exporter:sink'}\n")
    e = Engine(engine_test, pipeline(nodes, "          - {from: gen, to: sink}\n"), tmp,
               ["--num-cores", "1"], env=env)
    status, _, body = e.request("/api/v1/readyz")
    if status != 503:
        fail("readyz before start answered %d %s" % (status, body))
    status, _, body = e.request("/api/v1/livez")
    if status != 200:
        fail("livez answered %d" % status)
    st = json.loads(e.request("/api/v1/status")[2])
    if st["phase"] != "starting" or st["ready"]:
        fail("status before start: %s" % st)
    open(gate, "w").close()
    e.wait("readyz 200", lambda: e.request("/api/v1/readyz")[0] == 200)
    st = json.loads(e.request("/api/v1/status")[2])
    core = st["groups"]["g"]["pipelines"]["p"]["cores"][0]
    if st["phase"] != "running" or core["state"] != "running" or \
            core["nodes"]["gen"]["state"] != "running":
        fail("status while running: %s" % st)
    if e.request("/metrics")[1]["Content-Type"] != "text/plain; version=0.0.4; charset=utf-8":
        fail("wrong /metrics content type")
    m = e.metrics()
    if total(m, "df_engine_ready") != 1 or total(m, "df_process_resident_memory_bytes") <= 0:
        fail("process metrics: ready %s rss %s" % (total(m, "df_engine_ready"),
                                                   total(m, "df_process_resident_memory_bytes")))
    for path, method, want in (("/api/v1/nothing", "GET", 404), ("/api/v1/status", "POST", 405),
                               ("/api/v1/groups/shutdown", "GET", 405)):
        if e.request(path, method)[0] != want:
            fail("%s %s did not answer %d" % (method, path, want))
    e.proc.send_signal(signal.SIGINT)
    if e.exit_code() != 0:
        fail("exit code after SIGINT: %d\n%s" % (e.proc.returncode, e.log()))
    print("readyz: 503 while building, 200 while running")


def scenario_second_signal(engine, engine_test, tmp):
    """A second signal exits 1 at once, even while the first shutdown waits."""
    gate = os.path.join(tmp, "gate")  # never created: the build hangs
    env = dict(os.environ, DF_TEST_GATE_FILE=gate)
    nodes = ("          gen: {type: 'urn:test:receiver:gen'}\n"
             "          sink: {type: 'urn:test:exporter:sink'}\n")
    e = Engine(engine_test, pipeline(nodes, "          - {from: gen, to: sink}\n"), tmp,
               ["--num-cores", "1"], env=env)
    e.proc.send_signal(signal.SIGTERM)
    e.wait_log(r"shutting down: received SIGTERM")
    e.proc.send_signal(signal.SIGTERM)
    code = e.exit_code(timeout=10)
    if code != 1:
        fail("second signal: exit code %d, want 1" % code)
    print("second_signal: exit 1 at once")


def scenario_start_errors(engine, engine_test, tmp):
    """Failures to start are clear and exit 1: too many cores asked for, the
    admin address taken."""
    cfg = pipeline("          gen: {type: receiver:traffic_generator, config: "
                   "{traffic_config: {max_signal_count: 0}}}\n"
                   "          out: {type: exporter:noop}\n", "          - {from: gen, to: out}\n",
                   "policies:\n  resources:\n    core_allocation:\n      strategy: core_count\n"
                   "      count: 4096\n")
    path = os.path.join(tmp, "cores.yaml")
    with open(path, "w") as f:
        f.write(cfg)
    r = subprocess.run([engine, "-c", path, "--http-admin-bind", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=TIMEOUT)
    if r.returncode != 1 or "groups.g.pipelines.p: core_count 4096 exceeds the" not in r.stderr:
        fail("core_count 4096: exit %d\n%s" % (r.returncode, r.stderr))
    r = subprocess.run([engine, "-c", path, "--num-cores", "4000", "--http-admin-bind",
                        "127.0.0.1:0"], capture_output=True, text=True, timeout=TIMEOUT)
    # The config's own top-level policy is replaced by the flag.
    if r.returncode != 1 or "core_count 4000 exceeds the" not in r.stderr or \
            "(from --num-cores)" not in r.stderr:
        fail("--num-cores 4000: exit %d\n%s" % (r.returncode, r.stderr))
    first = Engine(engine, cfg.replace("count: 4096", "count: 1"), tmp)
    r = subprocess.run([engine, "-c", path.replace("cores", "second"),
                        "--http-admin-bind", "127.0.0.1:%d" % first.port],
                       capture_output=True, text=True, timeout=TIMEOUT)
    # The second config file does not exist: a load error, exit 2.
    if r.returncode != 2:
        fail("missing config: exit %d" % r.returncode)
    r = subprocess.run([engine, "-c", first.path, "--http-admin-bind",
                        "127.0.0.1:%d" % first.port], capture_output=True, text=True,
                       timeout=TIMEOUT)
    if r.returncode != 1 or "cannot listen on 127.0.0.1:%d" % first.port not in r.stderr:
        fail("admin port in use: exit %d\n%s" % (r.returncode, r.stderr))
    first.proc.send_signal(signal.SIGTERM)
    if first.exit_code() != 0:
        fail("first engine exit code %d" % first.proc.returncode)
    print("start_errors: clear messages, exit 1")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scenario_log_level(engine, engine_test, tmp):
    """engine.telemetry.logs.level: warn hides info lines; errors still show."""
    port = free_port()
    cfg = ("version: otel_dataflow/v1\nengine:\n  http_admin:\n    bind_address: 127.0.0.1:%d\n"
           "  telemetry:\n    logs:\n      level: warn\n" % port) + pipeline(
        "          gen: {type: receiver:traffic_generator, config: "
        "{traffic_config: {max_signal_count: 10}}}\n"
        "          out: {type: exporter:noop}\n", "          - {from: gen, to: out}\n"
    ).split("\n", 1)[1]
    path = os.path.join(tmp, "quiet.yaml")
    with open(path, "w") as f:
        f.write(cfg)
    proc = subprocess.Popen([engine, "-c", path], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    ENGINES.append(proc)
    end = time.time() + TIMEOUT
    while time.time() < end:
        try:
            url = "http://127.0.0.1:%d/api/v1/readyz" % port
            if urllib.request.urlopen(url, timeout=2).status == 200:
                break
        except Exception:
            time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=TIMEOUT)
    if proc.returncode != 0:
        fail("exit %d\n%s" % (proc.returncode, err))
    if "level=info" in err or "level=debug" in err:
        fail("info lines at level warn:\n" + err)
    # A run with a core range the machine lacks: errors still show.
    r = subprocess.run([engine, "-c", path, "--core-id-range", "4000-4001"],
                       capture_output=True, text=True, timeout=TIMEOUT)
    if r.returncode != 1 or "level=error" not in r.stderr:
        fail("errors hidden at level warn: exit %d\n%s" % (r.returncode, r.stderr))
    print("log_level: warn hides info, shows errors")


def scenario_default_config(engine, engine_test, tmp):
    """With no -c the embedded default runs: an OTLP/HTTP JSON log is printed
    by the console exporter; SIGTERM exits 0."""
    grpc_port, http_port = free_port(), free_port()
    env = dict(os.environ, DF_OTLP_GRPC_ADDR="127.0.0.1:%d" % grpc_port,
               DF_OTLP_HTTP_ADDR="127.0.0.1:%d" % http_port)
    out = open(os.path.join(tmp, "stdout"), "w+")
    proc = subprocess.Popen([engine, "--http-admin-bind", "127.0.0.1:0"], stdout=out,
                            stderr=subprocess.PIPE, env=env, text=True)
    ENGINES.append(proc)
    url = "http://127.0.0.1:%d/v1/logs" % http_port
    body = json.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"timeUnixNano": "1767225600000000000", "severityNumber": 9,
         "body": {"stringValue": "hello from the default config"}}]}]}]}).encode()
    end = time.time() + TIMEOUT
    status = None
    while time.time() < end and status is None:
        try:
            req = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=5) as r:
                status = r.status
                answer = r.read().decode()
        except urllib.error.HTTPError as e:
            status = e.code
            answer = e.read().decode()
        except OSError:
            time.sleep(0.05)
    if status != 200 or answer != "{}":
        fail("POST /v1/logs answered %s %r" % (status, answer))
    while time.time() < end:
        out.seek(0)
        if "hello from the default config" in out.read():
            break
        time.sleep(0.05)
    else:
        fail("the console exporter did not print the log")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=TIMEOUT)
    if proc.returncode != 0:
        fail("exit %d\n%s" % (proc.returncode, err))
    print("default_config: OTLP/HTTP JSON printed by the console, exit 0")


def scenario_start_failure(engine, engine_test, tmp):
    """A node failing to start stops every core and exits 1 with its reason."""
    env = dict(os.environ, DF_TEST_START_FAIL="1")
    nodes = ("          gen: {type: 'urn:test:receiver:gen'}\n"
             "          sink: {type: 'urn:test:exporter:sink'}\n")
    e = Engine(engine_test, pipeline(nodes, "          - {from: gen, to: sink}\n"), tmp,
               ["--num-cores", "2"], env=env)
    code = e.exit_code()
    log = e.log()
    if code != 1 or "node 'gen' failed to start: refusing to start" not in log or \
            "failed on core" not in log:
        fail("start failure: exit %d\n%s" % (code, log))
    print("start_failure: exit 1, reason logged")


# ---- exporters: engine A (generator -> OTLP exporter) feeding engine B
# (receiver:otlp -> exporter) over loopback -------------------------------------

def receiver_engine(engine, tmp, name, grpc_port, http_port, exporter=NOOP, auth="", cores=1,
                    auth_type="extension:bearer_token_auth"):
    """Engine B: receiver:otlp (gRPC and HTTP, answering after the pipeline's
    outcome) -> `exporter`; with `auth` (an extension's config map) the
    receiver checks requests with the `auth_type` instance `auth`."""
    work = os.path.join(tmp, name)
    os.makedirs(work, exist_ok=True)
    nodes = ("          rx:\n"
             "            type: receiver:otlp\n"
             "%s"
             "            config:\n"
             "              protocols:\n"
             "                grpc: {listening_addr: '127.0.0.1:%d', wait_for_result: true}\n"
             "                http: {listening_addr: '127.0.0.1:%d', wait_for_result: true}\n"
             "          out:\n%s\n"
             % ("            capabilities: {auth_check: auth}\n" if auth else "", grpc_port,
                http_port, exporter))
    return Engine(engine, pipeline(nodes, "          - {from: rx, to: out}\n",
                                   extensions=bearer_ext(auth, auth_type)), work,
                  ["--num-cores", str(cores)])


def bearer_ext(config, ext_type="extension:bearer_token_auth"):
    """An extensions: entry `auth` of `ext_type`, or none."""
    return "          auth: {type: %s, config: %s}" % (ext_type, config) if config else ""


def sender_engine(engine, tmp, name, exporter_config, traffic, cores=1, auth=""):
    """Engine A: traffic_generator (Ack/Nack on) -> `exporter_config`; with
    `auth`, an extension:bearer_token_auth instance `auth` the exporter may
    bind."""
    work = os.path.join(tmp, name)
    os.makedirs(work, exist_ok=True)
    nodes = ("          gen:\n"
             "            type: receiver:traffic_generator\n"
             "            config:\n"
             "              enable_ack_nack: true\n"
             "              traffic_config: {%s, max_batch_size: 100, log_weight: 2,\n"
             "                               metric_weight: 1, trace_weight: 1}\n"
             "          out:\n%s\n" % (traffic, exporter_config))
    return Engine(engine, pipeline(nodes, "          - {from: gen, to: out}\n",
                                   extensions=bearer_ext(auth)), work, ["--num-cores", str(cores)])


def grpc_exporter(port, extra=""):
    return ("            type: exporter:otlp_grpc\n"
            "            config: {grpc_endpoint: 'http://127.0.0.1:%d', max_in_flight: 16%s}"
            % (port, extra))


def http_exporter(port, extra=""):
    return ("            type: exporter:otlp_http\n"
            "            config: {endpoint: 'http://127.0.0.1:%d', max_in_flight: 8%s}"
            % (port, extra))


def stop(e):
    e.proc.send_signal(signal.SIGTERM)
    if e.exit_code() != 0:
        fail("exit code %d after SIGTERM; log:\n%s" % (e.proc.returncode, e.log()))


def forward(engine, tmp, name, make_exporter, kind, want=30000, a_auth="", b_auth=""):
    """A sends `want` items through `kind` exporter to B: B receives exactly
    what A generated, signal by signal, and A hears an Ack for every request.
    `a_auth` and `b_auth` configure sender_engine's and receiver_engine's
    bearer_token_auth instances; with `b_auth`, B must have allowed every
    request. Returns the items per second of the run."""
    grpc_port, http_port = free_port(), free_port()
    b = receiver_engine(engine, tmp, name + "_b", grpc_port, http_port, auth=b_auth)
    started = time.time()
    a = sender_engine(engine, tmp, name + "_a",
                      make_exporter(grpc_port if kind == "grpc" else http_port),
                      "max_signal_count: %d" % want, auth=a_auth)

    def acked():
        m = a.metrics()
        sent = total(m, "df_node_requests_sent_total", node="gen")
        acks = total(m, "df_node_acks_received_total", node="gen")
        nacks = total(m, "df_node_nacks_received_total", node="gen")
        if nacks:
            fail("%s: the generator saw %d Nacks; log:\n%s" % (name, nacks, a.log()))
        return total(m, "df_node_items_sent_total", node="gen") == want and acks == sent and m
    ma = a.wait("an Ack for each of %d items" % want, acked)
    took = time.time() - started
    mb = b.metrics()
    for sig in ("logs", "metrics", "traces"):
        sent = total(ma, "df_node_items_sent_total", node="gen", signal=sig)
        got = total(mb, "df_node_items_received_total", node="out", signal=sig)
        if sent == 0 or got != sent:
            fail("%s: %s: A generated %d items, B received %d" % (name, sig, sent, got))
    requests = total(ma, "df_node_requests_sent_total", node="gen")
    ok = total(ma, "df_exporter_otlp_%s_exports_ok_total" % kind, node="out")
    answered = total(mb, "df_receiver_otlp_answered_ok_total", node="rx")
    if ok != requests or answered != requests:
        fail("%s: %d requests, exporter counted %d OK, receiver answered %d OK"
             % (name, requests, ok, answered))
    if total(ma, "df_exporter_otlp_%s_exports_failed_total" % kind, node="out") != 0:
        fail("%s: the exporter counted failures" % name)
    allowed = total(mb, "df_receiver_otlp_auth_allowed_total", node="rx")
    if b_auth and (allowed != requests or total(mb, "df_receiver_otlp_auth_denied_total")):
        fail("%s: B allowed %d of %d requests" % (name, allowed, requests))
    stop(a)
    stop(b)
    return want / took


def scenario_forward_grpc(engine, engine_test, tmp):
    """traffic_generator -> exporter:otlp_grpc -> receiver:otlp -> noop."""
    rate = forward(engine, tmp, "plain", grpc_exporter, "grpc")
    forward(engine, tmp, "zstd", lambda p: grpc_exporter(p, ", compression: zstd,"
                                                          " num_connections: 2"), "grpc")
    print("forward_grpc: every item arrived and was Acked (%.0f items/s incl. start-up)" % rate)


def scenario_forward_http(engine, engine_test, tmp):
    """traffic_generator -> exporter:otlp_http -> receiver:otlp -> noop, as
    protobuf, then as JSON with gzip."""
    rate = forward(engine, tmp, "proto", lambda p: http_exporter(p, ", encoding: proto"), "http")
    forward(engine, tmp, "json", lambda p: http_exporter(p, ", encoding: json, "
                                                         "compression: gzip"), "http", 10000)
    print("forward_http: proto and json+gzip, every item arrived and was Acked "
          "(proto %.0f items/s incl. start-up)" % rate)


def scenario_forward_nack(engine, engine_test, tmp):
    """B's pipeline Nacks: its receiver answers an error and A's generator
    hears Nacks of the matching kind, over gRPC and HTTP."""
    want = 2000
    for kind, make in (("grpc", grpc_exporter), ("http", http_exporter)):
        for nack in ("permanent", "transient"):
            name = "%s_%s" % (kind, nack)
            grpc_port, http_port = free_port(), free_port()
            b = receiver_engine(engine, tmp, name + "_b", grpc_port, http_port,
                                "            type: exporter:error\n"
                                "            config: {message: injected, nack: %s}" % nack)
            a = sender_engine(engine, tmp, name + "_a",
                              make(grpc_port if kind == "grpc" else http_port),
                              "max_signal_count: %d" % want)

            def settled():
                m = a.metrics()
                sent = total(m, "df_node_requests_sent_total", node="gen")
                return (total(m, "df_node_items_sent_total", node="gen") == want and
                        total(m, "df_node_nacks_received_total", node="gen") == sent and m)
            m = a.wait("%s: a Nack for every request" % name, settled)
            sent = total(m, "df_node_requests_sent_total", node="gen")
            got = total(m, "df_node_nacks_received_total", node="gen", kind=nack)
            if got != sent or total(m, "df_node_acks_received_total", node="gen"):
                fail("%s: %d requests, %d %s Nacks, %d Acks" % (
                    name, sent, got, nack, total(m, "df_node_acks_received_total", node="gen")))
            failed = total(m, "df_exporter_otlp_%s_exports_failed_total" % kind, node="out")
            if failed != sent:
                fail("%s: the exporter counted %d failures of %d" % (name, failed, sent))
            stop(a)
            stop(b)
    print("forward_nack: permanent and transient Nacks travel back over gRPC and HTTP")


def scenario_retry(engine, engine_test, tmp):
    """processor:retry carries data across a backend outage: A's generator
    (subscribing to outcomes) -> retry -> otlp_grpc to B, which starts late;
    every request ends Acked, none Nacked, and B gets every item."""
    b_port = free_port()
    a_dir, b_dir = os.path.join(tmp, "a"), os.path.join(tmp, "b")
    os.mkdir(a_dir)
    os.mkdir(b_dir)
    nodes_a = f"""          gen:
            type: receiver:traffic_generator
            config:
              enable_ack_nack: true
              traffic_config: {{max_signal_count: 400, max_batch_size: 20, log_weight: 1,
                               metric_weight: 1, trace_weight: 0}}
          retry:
            type: processor:retry
            config: {{initial_interval: 50ms, max_interval: 200ms, max_elapsed_time: 60s}}
          out:
            type: exporter:otlp_grpc
            config: {{grpc_endpoint: "http://127.0.0.1:{b_port}", timeout: 2s,
                     backoff: {{initial_interval: 20ms, max_interval: 200ms}}}}
"""
    a = Engine(engine, pipeline(nodes_a, "          - {from: gen, to: retry}\n"
                                         "          - {from: retry, to: out}\n"), a_dir,
               ["--num-cores", "1"])
    a.wait("retries during the outage",
           lambda: total(a.metrics(), "df_processor_retry_resent_total") >= 3)
    nodes_b = f"""          otlp:
            type: receiver:otlp
            config: {{protocols: {{grpc: {{listening_addr: 127.0.0.1:{b_port}}}}}}}
          sink:
            type: exporter:noop
"""
    b = Engine(engine, pipeline(nodes_b, "          - {from: otlp, to: sink}\n"), b_dir,
               ["--num-cores", "1"])
    a.wait("every request acknowledged", lambda: total(a.metrics(), "df_node_acks_received_total",
                                                        node="gen") == 20)
    m = a.metrics()
    if total(m, "df_node_nacks_received_total", node="gen"):
        fail("the generator saw Nacks despite the retries")
    got = total(b.metrics(), "df_node_items_received_total", node="sink")
    if got != 400:
        fail("B received %d items, want 400" % got)
    for e in (a, b):
        e.proc.send_signal(signal.SIGTERM)
        if e.exit_code() != 0:
            fail("exit %d\n%s" % (e.proc.returncode, e.log()))
    print("retry: 400 items delivered across the outage, resent %d times"
          % total(m, "df_processor_retry_resent_total"))


def scenario_processors(engine, engine_test, tmp):
    """processor:attribute and processor:filter in a running pipeline:
    generated logs -> rename http.request.method, drop INFO and TRACE ->
    exporter:file; every line of the file has the renamed key and only the
    kept severities, and the counts add up."""
    out = os.path.join(tmp, "out.jsonl")
    nodes = f"""          gen:
            type: receiver:traffic_generator
            config:
              traffic_config: {{max_signal_count: 2000, max_batch_size: 100, log_weight: 1,
                               metric_weight: 0, trace_weight: 0, num_attributes: 4}}
          attrs:
            type: processor:attribute
            config:
              actions: [{{action: rename, source_key: http.request.method,
                         destination_key: http.method}}]
          drop:
            type: processor:filter
            config:
              logs: {{exclude: {{match_type: strict, severity_texts: [INFO, TRACE]}}}}
          file:
            type: exporter:file
            config: {{path: {out}, format: json}}
"""
    e = Engine(engine, pipeline(nodes, "          - {from: gen, to: attrs}\n"
                                       "          - {from: attrs, to: drop}\n"
                                       "          - {from: drop, to: file}\n"), tmp,
               ["--num-cores", "1"])
    # The filter's counters move before what it kept reaches the exporter:
    # wait until every item is either dropped or written.
    def settled():
        m = e.metrics()
        done = (total(m, "df_processor_filter_dropped_total") +
                total(m, "df_node_items_received_total", node="file"))
        return total(m, "df_processor_filter_items_total") == 2000 and done >= 2000 and m
    m = e.wait("2000 items dropped or written", settled)
    dropped = total(m, "df_processor_filter_dropped_total")
    written = total(m, "df_node_items_received_total", node="file")
    if dropped + written != 2000 or not 600 < dropped < 1400:
        fail("dropped %d, written %d of 2000" % (dropped, written))
    e.proc.send_signal(signal.SIGTERM)
    if e.exit_code() != 0:
        fail("exit %d\n%s" % (e.proc.returncode, e.log()))
    records = 0
    with open(out) as f:
        for line in f:
            for rl in json.loads(line)["resourceLogs"]:
                for sl in rl["scopeLogs"]:
                    for r in sl["logRecords"]:
                        records += 1
                        keys = [kv["key"] for kv in r.get("attributes", [])]
                        if "http.request.method" in keys or "http.method" not in keys:
                            fail("not renamed: %s" % keys)
                        if r.get("severityText") in ("INFO", "TRACE"):
                            fail("a %s record was kept" % r["severityText"])
    if records != written:
        fail("the file holds %d records, the exporter counted %d" % (records, written))
    print("processors: %d of 2000 logs kept, all renamed" % records)


def logs_json(*hosts):
    """An OTLP/JSON logs request: one resource (host.name) and record per host."""
    return json.dumps({"resourceLogs": [
        {"resource": {"attributes": [{"key": "host.name", "value": {"stringValue": h}}]},
         "scopeLogs": [{"logRecords": [{"body": {"stringValue": "from " + h}}]}]}
        for h in hosts]}).encode()


def scenario_enrich(engine, engine_test, tmp):
    """processor:enrich bound to extension:file_storage on a CSV file:
    OTLP/HTTP JSON in, exporter:file (json) out. Found resources get the
    row's other columns under the prefix; unknown ones are dropped
    (on_missing: drop) and a request left empty is still answered 200."""
    import http.client
    out = os.path.join(tmp, "out.jsonl")
    hosts_csv = os.path.join(tmp, "hosts.csv")
    with open(hosts_csv, "w") as f:
        f.write("host,rack,owner\nweb-1,r12,payments\nweb-2,r7,search\n")
    http_port = free_port()
    exts = ("          hosts:\n"
            "            type: extension:file_storage\n"
            "            config: {path: '%s', key: host}" % hosts_csv)
    nodes = ("          rx:\n"
             "            type: receiver:otlp\n"
             "            config: {protocols: {http: {listening_addr: '127.0.0.1:%d'}}}\n"
             "          enrich:\n"
             "            type: processor:enrich\n"
             "            capabilities: {dataset_lookup: hosts}\n"
             "            config: {lookup_key: {name: host.name}, prefix: 'host.', "
             "on_missing: drop}\n"
             "          file:\n"
             "            type: exporter:file\n"
             "            config: {path: '%s', format: json}\n" % (http_port, out))
    conns = "          - {from: rx, to: enrich}\n          - {from: enrich, to: file}\n"
    e = Engine(engine, pipeline(nodes, conns, extensions=exts), tmp, ["--num-cores", "1"])
    e.wait_ready()
    for body in (logs_json("web-1", "web-9"), logs_json("web-9")):
        conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        conn.request("POST", "/v1/logs", body=body, headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        conn.close()
        if r.status != 200:
            fail("POST /v1/logs: HTTP %d" % r.status)

    def settled():
        m = e.metrics()
        return (total(m, "df_processor_enrich_items_total") == 3 and
                total(m, "df_node_items_received_total", node="file") >= 1 and m)
    m = e.wait("3 items enriched or dropped", settled)
    if total(m, "df_processor_enrich_enriched_total") != 1 or \
            total(m, "df_processor_enrich_missing_total") != 2:
        fail("enriched/missing counters: %r" % [(k, v) for k, v in m.items() if "enrich" in k[0]])
    e.proc.send_signal(signal.SIGTERM)
    if e.exit_code() != 0:
        fail("exit %d\n%s" % (e.proc.returncode, e.log()))
    resources = []
    with open(out) as f:
        for line in f:
            for rl in json.loads(line)["resourceLogs"]:
                attrs = {kv["key"]: kv["value"].get("stringValue")
                         for kv in rl["resource"]["attributes"]}
                resources.append(attrs)
    want = [{"host.name": "web-1", "host.rack": "r12", "host.owner": "payments"}]
    if resources != want:
        fail("resources written: %r, want %r" % (resources, want))
    print("enrich: web-1 enriched, web-9 dropped")


EXT_PIPELINE = """version: otel_dataflow/v1
groups:
  g:
    pipelines:
      p:
        extensions:
{exts}
        nodes:
          gen:
            type: receiver:traffic_generator
            config:
              traffic_config: {{signals_per_second: 2000, max_batch_size: 10, log_weight: 1,
                                metric_weight: 0, trace_weight: 0}}
          shared_user:
            type: 'urn:test:processor:enrich'
            capabilities: {{test_lookup: lookup}}
            config: {{min_version: 2}}
          local_user:
            type: 'urn:test:processor:enrich'
            capabilities: {{test_lookup: local}}
          out: {{type: exporter:noop}}
        connections:
          - {{from: gen, to: shared_user}}
          - {{from: shared_user, to: local_user}}
          - {{from: local_user, to: out}}
"""


def ext_config(lookup="{entries: {k: v}}", local="{entries: {k: w}}"):
    return EXT_PIPELINE.format(exts=(
        "          lookup: {type: 'urn:test:extension:lookup', config: %s}\n"
        "          local: {type: 'urn:test:extension:lookup_local', config: %s}" % (lookup, local)))


def scenario_extensions(engine, engine_test, tmp):
    """Extension instances in a running engine: on 2 cores a shared provider
    has one instance and a local one two, all visible in /metrics with their
    state, readiness and the calls nodes made through their handles; the
    readiness gate holds the engine until the shared instance is ready; a
    refresh failure later fails the pipeline (exit 1, the extension named);
    a readiness timeout stops the start, naming the extension."""
    e = Engine(engine_test, ext_config(lookup="{entries: {k: v}, ready_after: 300ms}"), tmp,
               ["--num-cores", "2"])
    e.wait_ready()
    m = e.wait("calls through both handles", lambda: (lambda m: total(
        m, "df_extension_calls_total", extension="lookup", outcome="found") > 0 and total(
        m, "df_extension_calls_total", extension="local", outcome="found") > 0 and m)(e.metrics()))
    states = {dict(labels)["core"]: dict(labels)["state"]
              for (n, labels), v in m.items() if n == "df_extension_state" and
              dict(labels)["extension"] == "lookup"}
    local_states = {dict(labels)["core"] for (n, labels), v in m.items()
                    if n == "df_extension_state" and dict(labels)["extension"] == "local"}
    if states != {"shared": "running"} or len(local_states) != 2 or "shared" in local_states:
        fail("instances: shared %s, local on cores %s" % (states, local_states))
    ready = total(m, "df_extension_ready_seconds", extension="lookup")
    if not 0.25 < ready < 5:
        fail("shared lookup ready after %.3f s, expected about 0.3 s" % ready)
    e.proc.send_signal(signal.SIGTERM)
    if e.exit_code() != 0:
        fail("exit %d\n%s" % (e.proc.returncode, e.log()))
    log = e.log()
    for line in ("scope=g/p/lookup msg=\"ready after",):
        if line not in log:
            fail("log lacks %r:\n%s" % (line, log))

    # A shared instance failing while running stops the engine with its error.
    e = Engine(engine_test, ext_config(lookup="{entries: {k: v}, refresh: 20ms, fail_after: 3}"),
               tmp, ["--num-cores", "2"])
    if e.exit_code() != 1 or "extension 'lookup' (urn:test:extension:lookup): refresh 3 failed" \
            not in e.log():
        fail("failure while running: exit %d\n%s" % (e.proc.returncode, e.log()))

    # A readiness timeout: nothing starts, exit 1, the extension named.
    e = Engine(engine_test, ext_config(lookup="{ready_after: 30s}"), tmp, ["--num-cores", "2"])
    code = e.exit_code()
    log = e.log()
    if code != 1 or "extension 'lookup' (urn:test:extension:lookup): not ready within 500 ms" \
            not in log or "msg=stopped" in log.split("not ready within")[0]:
        fail("readiness timeout: exit %d\n%s" % (code, log))
    # A local instance timing out fails the same way.
    e = Engine(engine_test, ext_config(local="{ready_after: 30s}"), tmp, ["--num-cores", "2"])
    if e.exit_code() != 1 or "extension 'local'" not in e.log():
        fail("local readiness timeout: exit %d\n%s" % (e.proc.returncode, e.log()))
    print("extensions: 1 shared + 2 local instances, calls counted, failures exit 1")


def scenario_forward_reconnect(engine, engine_test, tmp):
    """A starts while B is absent: it Nacks (transient), backs off, stays
    bounded in memory and requests held; once B starts, data flows."""
    backoff = ", timeout: 2s, backoff: {initial_interval: 20ms, max_interval: 300ms}"
    for kind, make in (("grpc", grpc_exporter), ("http", http_exporter)):
        grpc_port, http_port = free_port(), free_port()
        port = grpc_port if kind == "grpc" else http_port
        a = sender_engine(engine, tmp, kind + "_a", make(port, backoff),
                          "signals_per_second: 20000")
        limit = 16 if kind == "grpc" else 8

        def retried():
            m = a.metrics()
            if total(m, "df_exporter_otlp_%s_in_flight" % kind, node="out") > limit:
                fail("%s: more than %d requests held" % (kind, limit))
            return (total(m, "df_exporter_otlp_%s_reconnects_total" % kind, node="out") >= 5 and
                    total(m, "df_node_nacks_received_total", node="gen", kind="transient") >= 20
                    and m)
        m1 = a.wait("%s: failed attempts and Nacks" % kind, retried)
        time.sleep(1.5)
        m2 = a.metrics()
        rss1 = total(m1, "df_process_resident_memory_bytes")
        rss2 = total(m2, "df_process_resident_memory_bytes")
        if rss2 > rss1 + 16 * 2**20:
            fail("%s: memory grows while the backend is down: %d -> %d bytes" % (kind, rss1, rss2))
        if total(m2, "df_node_nacks_received_total", node="gen", kind="permanent"):
            fail("%s: permanent Nacks while the backend is down" % kind)
        warns = len(re.findall(r"level=warn .*cannot connect to", a.log()))
        if warns != 1:
            fail("%s: %d warn lines about connecting, want 1:\n%s" % (kind, warns, a.log()))
        b = receiver_engine(engine, tmp, kind + "_b", grpc_port, http_port)
        acks0 = total(m2, "df_node_acks_received_total", node="gen")
        b.wait("%s: data through the new connection" % kind,
               lambda: total(b.metrics(), "df_node_items_received_total", node="out") > 5000)
        a.wait("%s: Acks after the reconnection" % kind,
               lambda: total(a.metrics(), "df_node_acks_received_total", node="gen") > acks0 + 20)
        a.wait_log(r"msg=\"connected to ")
        stop(a)
        stop(b)
    print("forward_reconnect: bounded while the backend is down, data flows once it is up")


def write_atomically(path, text):
    tmp = path + ".new"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def otlp_http_sink():
    """A Python OTLP/HTTP endpoint answering 200 to every POST on a thread;
    returns (server, seen, lock): `seen` lists (time, Authorization) of
    each request, under `lock`."""
    import http.server
    seen = []
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                seen.append((time.time(), self.headers.get("Authorization")))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, seen, lock


def scenario_exporter_token(engine, engine_test, tmp):
    """exporter:otlp_http bound to extension:bearer_token_auth's
    bearer_token_provider: every POST carries Authorization: Bearer <the
    file's token>; the file replaced by an atomic rename changes the header
    of the next requests within 2 s, without a restart; no token in the
    engine's log."""
    srv, seen, lock = otlp_http_sink()
    token_file = os.path.join(tmp, "token")
    first, second = "t0k3n-first-" + "a" * 20, "t0k3n-second-" + "b" * 20
    write_atomically(token_file, first + "\n")
    config = ("version: otel_dataflow/v1\ngroups:\n  g:\n    pipelines:\n      p:\n"
              "        extensions:\n"
              "          tok: {type: extension:bearer_token_auth, config: {file: '%s'}}\n"
              "        nodes:\n"
              "          gen:\n"
              "            type: receiver:traffic_generator\n"
              "            config:\n"
              "              traffic_config: {signals_per_second: 200, max_batch_size: 10,\n"
              "                               log_weight: 1, metric_weight: 0, trace_weight: 0}\n"
              "          out:\n"
              "            type: exporter:otlp_http\n"
              "            capabilities: {bearer_token_provider: tok}\n"
              "            config: {endpoint: 'http://127.0.0.1:%d'}\n"
              "        connections: [{from: gen, to: out}]\n" % (token_file, srv.server_port))
    e = Engine(engine, config, tmp)

    def saw(token, since=0):
        with lock:
            return any(t >= since and a == "Bearer " + token for t, a in seen)
    e.wait("a request with the first token", lambda: saw(first))
    rotated = time.time()
    write_atomically(token_file, second + "\n")
    e.wait("a request with the rotated token", lambda: saw(second), timeout=5)
    with lock:
        took = min(t for t, a in seen if a == "Bearer " + second) - rotated
        bad = [a for t, a in seen if a not in ("Bearer " + first, "Bearer " + second)]
    if took > 2.0 or bad:
        fail("rotation took %.2f s; unexpected headers %s" % (took, bad[:3]))
    m = e.metrics()
    calls = total(m, "df_extension_calls_total", extension="tok", capability="bearer_token_provider",
                  outcome="ok")
    if calls < 2:
        fail("df_extension_calls_total for the token provider: %s" % calls)
    stop(e)
    srv.shutdown()
    log = e.log()
    if first in log or second in log:
        fail("a token appears in the log")
    print("exporter_token: rotated token sent after %.2f s, %d provider calls" % (took, calls))


def k8s_secret(folder, token, generation):
    """Writes `token` the way the kubelet updates a mounted secret: into a
    new timestamped folder, then swaps the `..data` symlink to it with a
    rename; `folder`/token is a symlink through `..data`. Returns its path."""
    os.makedirs(folder, exist_ok=True)
    ts = "..2026_11_27_%d" % generation
    os.mkdir(os.path.join(folder, ts))
    with open(os.path.join(folder, ts, "token"), "w") as f:
        f.write(token + "\n")
    os.symlink(ts, os.path.join(folder, "..data_tmp"))
    os.rename(os.path.join(folder, "..data_tmp"), os.path.join(folder, "..data"))
    link = os.path.join(folder, "token")
    if not os.path.islink(link):
        os.symlink("..data/token", link)
    return link


ONE_LOG = bytes.fromhex("0a0a120812062a040a026f6b")  # ExportLogsServiceRequest, one record


def post_logs(port, authorization=None):
    """One OTLP/HTTP request; returns (status, WWW-Authenticate)."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/x-protobuf"}
    if authorization:
        headers["Authorization"] = authorization
    conn.request("POST", "/v1/logs", body=ONE_LOG, headers=headers)
    r = conn.getresponse()
    r.read()
    conn.close()
    return r.status, r.getheader("WWW-Authenticate")


def scenario_bearer_auth(engine, engine_test, tmp):
    """extension:bearer_token_auth end to end, in the shipped binary.
    Exporters (otlp_grpc, otlp_http) read the token from a file and carry it
    to a df_engine receiver that checks it with the same file: every item
    arrives and every request was allowed. Then a receiver on 2 cores (one
    shared instance): the file's token and an inline one are served, a
    wrong, missing or other-scheme credential gets 401 + WWW-Authenticate;
    an exporter with a wrong token is refused (its items Nacked, none
    delivered); the secret rotated Kubernetes-style (the ..data symlink
    swapped) is in force within 2 s without a restart and the old token is
    refused; no token in any log; libcurl not loaded."""
    first, second = "k8s-first-" + "c" * 24, "k8s-second-" + "d" * 24
    ops, wrong = "ops-inline-" + "e" * 24, "not-a-token-" + "f" * 20
    token_file = k8s_secret(os.path.join(tmp, "secret"), first, 1)
    rx_auth = "{file: '%s', subject: collector, tokens: [{token: '%s', subject: ops}]}" % (
        token_file, ops)
    with_token = "\n            capabilities: {bearer_token_provider: auth}"
    forward(engine, tmp, "auth_grpc", lambda p: grpc_exporter(p) + with_token, "grpc",
            want=3000, a_auth="{file: '%s'}" % token_file, b_auth=rx_auth)
    forward(engine, tmp, "auth_http", lambda p: http_exporter(p) + with_token, "http",
            want=3000, a_auth="{file: '%s'}" % token_file, b_auth=rx_auth)

    grpc_port, http_port = free_port(), free_port()
    b = receiver_engine(engine, tmp, "auth_b", grpc_port, http_port, auth=rx_auth, cores=2)
    b.wait_ready()
    # libcurl is loaded on the first HTTP fetch only (net/fetch.c): an
    # engine whose extensions never fetch does not carry it.
    with open("/proc/%d/maps" % b.proc.pid) as f:
        if "libcurl" in f.read():
            fail("libcurl is loaded in an engine that never fetches")
    accepted = 0
    for what, authorization, want in (
            ("the file's token", "Bearer " + first, (200, None)),
            ("the inline token", "Bearer " + ops, (200, None)),
            ("the scheme in lower case", "bearer " + first, (200, None)),
            ("a wrong token", "Bearer " + wrong, (401, "Bearer")),
            ("no credential", None, (401, "Bearer")),
            ("another scheme", "Basic b3BzOm9wcw==", (401, "Bearer"))):
        got = post_logs(http_port, authorization)
        if got != want:
            fail("%s: got %s, want %s" % (what, got, want))
        accepted += got[0] == 200

    # An exporter with a wrong token: refused with UNAUTHENTICATED, which
    # the exporter does not retry; its generator hears Nacks.
    a = sender_engine(engine, tmp, "auth_wrong", grpc_exporter(grpc_port) + with_token,
                      "max_signal_count: 200", auth="{token: '%s'}" % wrong)
    a.wait("Nacks for the wrong token", lambda: total(
        a.metrics(), "df_node_nacks_received_total", node="gen") > 0)
    a.wait_log(r"OTLP/gRPC export to \S+ failed: UNAUTHENTICATED: unauthenticated; not retried")
    stop(a)
    m = b.metrics()
    if total(m, "df_receiver_otlp_auth_denied_total") < 4 or total(
            m, "df_node_items_received_total", node="out") != accepted:
        fail("B denied %d requests and delivered %d items, want >= 4 and %d" % (
            total(m, "df_receiver_otlp_auth_denied_total"),
            total(m, "df_node_items_received_total", node="out"), accepted))

    rotated = time.time()
    k8s_secret(os.path.join(tmp, "secret"), second, 2)
    b.wait("the rotated token served", lambda: post_logs(http_port, "Bearer " + second)[0] == 200,
           timeout=5)
    took = time.time() - rotated
    if took > 2.0:
        fail("the rotated token was served %.2f s after the swap" % took)
    if post_logs(http_port, "Bearer " + first) != (401, "Bearer"):
        fail("the token before the rotation is still served")
    b.wait_log(r"token file '[^']+' changed: new token in force")
    m = b.metrics()
    state = [labels for (n, labels), v in m.items()
             if n == "df_extension_state" and dict(labels)["extension"] == "auth" and v == 1]
    if [dict(labels)["core"] for labels in state] != ["shared"]:
        fail("bearer_token_auth instances: %s" % state)
    if total(m, "df_extension_calls_total", extension="auth", outcome="allow") < accepted + 1:
        fail("df_extension_calls_total allow: %s" % total(m, "df_extension_calls_total",
                                                           extension="auth", outcome="allow"))
    stop(b)
    for e in (a, b):
        for tok in (first, second, ops, wrong):
            if tok in e.log():
                fail("a token appears in the log:\n%s" % e.log())
    print("bearer_auth: exporters carried the file's token to the receiver; 401 for wrong, "
          "missing and other-scheme credentials; rotation in force after %.2f s" % took)

def htpasswd_line(user, password):
    """user:$6$... made by `openssl passwd -6` (a random salt)."""
    out = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password + "\n",
                         capture_output=True, text=True, check=True).stdout.strip()
    if not out.startswith("$6$"):
        fail("openssl passwd -6 gave %r" % out)
    return "%s:%s\n" % (user, out)


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def scenario_basic_auth(engine, engine_test, tmp):
    """extension:basic_auth end to end, in the shipped binary: a receiver on
    2 cores (one local instance per core) checks HTTP/1.1 requests against an
    htpasswd file of SHA-512-crypt hashes plus an inline user: the right
    password (one with ':' in it too) is served, a wrong password, an unknown
    user, no credential and another scheme get 401 with a Basic challenge; the
    file replaced by an atomic rename with a new password is in force on
    every core within 2 s and the old password is refused; no password in the
    log; calls counted per outcome."""
    old_pw, new_pw, ops_pw = "old:pass-" + "a" * 12, "new-pass-" + "b" * 12, "ops-pass-" + "c" * 12
    wrong = "wrong-pass-" + "d" * 12
    path = os.path.join(tmp, "htpasswd")
    write_atomically(path, "# e2e users\n" + htpasswd_line("alice", old_pw) +
                     htpasswd_line("bob", "bob-pass-" + "e" * 12))
    inline = htpasswd_line("ops", ops_pw).strip()
    auth = "{htpasswd: {file: '%s', inline: '%s'}, watch_interval: 100ms}" % (path, inline)
    grpc_port, http_port = free_port(), free_port()
    b = receiver_engine(engine, tmp, "basic_b", grpc_port, http_port, auth=auth, cores=2,
                        auth_type="extension:basic_auth")
    b.wait_ready()
    accepted = 0
    for what, authorization, want in (
            ("alice's password (with a ':')", basic("alice", old_pw), 200),
            ("again (cached)", basic("alice", old_pw), 200),
            ("the inline user", basic("ops", ops_pw), 200),
            ("the scheme in lower case", "basic " + basic("alice", old_pw)[6:], 200),
            ("a wrong password", basic("alice", wrong), 401),
            ("an unknown user", basic("mallory", old_pw), 401),
            ("no credential", None, 401),
            ("another scheme", "Bearer " + old_pw, 401),
            ("bad base64", "Basic not*base64", 401)):
        for _ in range(2):  # both cores, most likely
            status, challenge = post_logs(http_port, authorization)
            if status != want or (want == 401 and not (challenge or "").startswith("Basic")):
                fail("%s: got %s %r, want %d with a Basic challenge" % (what, status, challenge,
                                                                       want))
            accepted += status == 200

    swapped = time.time()
    write_atomically(path, htpasswd_line("alice", new_pw) +
                     htpasswd_line("bob", "bob-pass-" + "e" * 12))
    b.wait("both cores reloaded", lambda: len(re.findall(
        r"htpasswd file '[^']+' changed: 3 users", b.log())) >= 2, timeout=5)
    took = time.time() - swapped
    if took > 2.0:
        fail("the new htpasswd file was in force %.2f s after the rename" % took)
    for _ in range(4):
        if post_logs(http_port, basic("alice", new_pw))[0] != 200:
            fail("the new password is refused after the reload")
        accepted += 1
        if post_logs(http_port, basic("alice", old_pw)) != (
                401, 'Basic realm="df_engine", charset="UTF-8"'):
            fail("the old password is still accepted after the reload")

    m = b.metrics()
    cores = sorted(dict(labels)["core"] for (n, labels), v in m.items()
                   if n == "df_extension_state" and dict(labels)["extension"] == "auth" and v == 1)
    if cores != ["0", "1"]:
        fail("basic_auth instances by core: %s" % cores)
    allowed = total(m, "df_extension_calls_total", extension="auth", outcome="allow")
    denied = total(m, "df_extension_calls_total", extension="auth", outcome="deny")
    if allowed != accepted or denied < 14:
        fail("df_extension_calls_total: allow %s (want %d), deny %s (want >= 14)" % (
            allowed, accepted, denied))
    stop(b)
    log = b.log()
    for pw in (old_pw, new_pw, ops_pw, wrong, "bob-pass-"):
        if pw in log:
            fail("a password appears in the log:\n%s" % log)
    if "$6$" in log:
        fail("a hash appears in the log:\n%s" % log)
    print("basic_auth: 200 for right passwords, 401 + Basic challenge otherwise; the renamed "
          "file in force on both cores after %.2f s" % took)


def scenario_tenant_headers(engine, engine_test, tmp):
    """The multi-tenant case end to end, in the shipped binary: receiver:otlp
    checks bearer tokens (extension:bearer_token_auth, a subject each);
    processor:batch batches each sender apart; processor:attribute stamps
    every record with its sender (from_context: auth.subject); and
    exporter:otlp_http (JSON) adds X-Scope-OrgID from the same identity
    (extension:headers_setter). The backend sees each request under one
    tenant's header holding only that tenant's records, all of them, and
    X-Env: prod and X-Api-Key (from a file) on every request; the file
    replaced while running changes the key of the next requests."""
    import http.server
    got = []
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            with lock:
                got.append((self.headers.get("X-Scope-OrgID"), self.headers.get("X-Env"), body,
                            self.headers.get("X-Api-Key")))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    alice, bob = "tok-alice-" + "a" * 20, "tok-bob-" + "b" * 20
    key_file = os.path.join(tmp, "api-key")
    write_atomically(key_file, "backend-key-1\n")
    grpc_port, http_port = free_port(), free_port()
    exts = ("          auth:\n"
            "            type: extension:bearer_token_auth\n"
            "            config: {tokens: [{token: %s, subject: alice}, {token: %s, subject: bob}]}\n"
            "          hs:\n"
            "            type: extension:headers_setter\n"
            "            config:\n"
            "              headers:\n"
            "                - {key: X-Scope-OrgID, from_context: auth.subject}\n"
            "                - {key: X-Env, value: prod}\n"
            "                - {key: X-Api-Key, file: '%s'}\n"
            "              watch_interval: 50ms" % (alice, bob, key_file))
    nodes = ("          rx:\n"
             "            type: receiver:otlp\n"
             "            capabilities: {auth_check: auth}\n"
             "            config:\n"
             "              protocols:\n"
             "                grpc: {listening_addr: '127.0.0.1:%d'}\n"
             "                http: {listening_addr: '127.0.0.1:%d'}\n"
             "          batch: {type: processor:batch, config: {send_batch_size: 100, timeout: 100ms}}\n"
             "          stamp:\n"
             "            type: processor:attribute\n"
             "            config: {actions: [{key: tenant, action: upsert, from_context: auth.subject}]}\n"
             "          out:\n"
             "            type: exporter:otlp_http\n"
             "            capabilities: {request_headers: hs}\n"
             "            config: {endpoint: 'http://127.0.0.1:%d', encoding: json}\n"
             % (grpc_port, http_port, srv.server_port))
    conns = ("          - {from: rx, to: batch}\n          - {from: batch, to: stamp}\n"
             "          - {from: stamp, to: out}\n")
    e = Engine(engine, pipeline(nodes, conns, extensions=exts), tmp, ["--num-cores", "1"])
    e.wait_ready()
    sent = {"alice": 0, "bob": 0}
    for who in ["alice", "bob", "alice", "alice", "bob", "alice", "bob", "alice"]:
        status = post_logs(http_port, "Bearer " + (alice if who == "alice" else bob))[0]
        if status != 200:
            fail("%s's request: HTTP %d" % (who, status))
        sent[who] += 1

    def records():
        counts = {}
        with lock:
            for header, env, body, key in got:
                if env != "prod" or not key:
                    fail("a request without X-Env: prod or X-Api-Key: %r %r" % (env, key))
                for rl in body.get("resourceLogs", []):
                    for sl in rl.get("scopeLogs", []):
                        for lr in sl.get("logRecords", []):
                            tenant = {a["key"]: a["value"].get("stringValue")
                                      for a in lr.get("attributes", [])}.get("tenant")
                            if tenant != header:
                                fail("a record of %r under X-Scope-OrgID %r" % (tenant, header))
                            counts[header] = counts.get(header, 0) + 1
        return counts
    e.wait("every record at the backend", lambda: records() == sent)
    # The key file replaced: the next requests carry the new key.
    write_atomically(key_file, "backend-key-2\n")

    def new_key():
        post_logs(http_port, "Bearer " + alice)
        with lock:
            return any(k == "backend-key-2" for *_, k in got)
    e.wait("a request with the new X-Api-Key", new_key, timeout=5)
    stop(e)
    srv.shutdown()
    if "backend-key" in e.log():
        fail("the file's value appears in the log")
    print("tenant_headers: %d requests at the backend, each one tenant's, records %s"
          % (len(got), sent))


class TokenEndpoint:
    """An OAuth2 token endpoint (client credentials) on a thread: issues
    `tok-<n>-...` tokens for `expires_in` seconds, or answers 503 while
    `down`; records each request's form fields and Authorization header,
    and when each token was issued."""

    def __init__(self, expires_in):
        import http.server
        import urllib.parse
        self.lock = threading.Lock()
        self.requests = []  # (time, {field: [values]}, Authorization)
        self.issued = []  # (time, token)
        self.down = False
        ep = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                with ep.lock:
                    ep.requests.append((time.time(), urllib.parse.parse_qs(body),
                                        self.headers.get("Authorization")))
                    if ep.down:
                        status, answer = 503, b"down for maintenance"
                    else:
                        token = "tok-%d-%s" % (len(ep.issued) + 1, "q" * 24)
                        ep.issued.append((time.time(), token))
                        status, answer = 200, json.dumps({
                            "access_token": token, "token_type": "Bearer",
                            "expires_in": expires_in}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.port = self.srv.server_port


def scenario_oauth2(engine, engine_test, tmp):
    """exporter:otlp_http bound to extension:oauth2_client_auth: the token
    endpoint sees client credentials grants with HTTP Basic client
    authentication and the scopes; requests carry Bearer <token 1>, then a
    renewed token before token 1 expires, without any Nack; the endpoint
    then answers 503: the exporter keeps sending the last token until it
    expires (less the 0.2 s margin of a 2 s token), then its generator
    hears Nacks; neither the secret nor a token in the engine's log."""
    import base64
    secret = "cl13nt-s3cret/" + "z" * 20
    ep = TokenEndpoint(2)
    sink, seen, lock = otlp_http_sink()
    config = ("version: otel_dataflow/v1\ngroups:\n  g:\n    pipelines:\n      p:\n"
              "        extensions:\n"
              "          oauth:\n"
              "            type: extension:oauth2_client_auth\n"
              "            config:\n"
              "              token_url: 'http://127.0.0.1:%d/oauth2/token'\n"
              "              client_id: df-client\n"
              "              client_secret: '%s'\n"
              "              scopes: [logs.write, telemetry]\n"
              "              expiry_buffer: 1s\n"
              "              retry_initial_interval: 200ms\n"
              "              retry_max_interval: 400ms\n"
              "        nodes:\n"
              "          gen:\n"
              "            type: receiver:traffic_generator\n"
              "            config:\n"
              "              enable_ack_nack: true\n"
              "              traffic_config: {signals_per_second: 200, max_batch_size: 10,\n"
              "                               log_weight: 1, metric_weight: 0, trace_weight: 0}\n"
              "          out:\n"
              "            type: exporter:otlp_http\n"
              "            capabilities: {bearer_token_provider: oauth}\n"
              "            config: {endpoint: 'http://127.0.0.1:%d'}\n"
              "        connections: [{from: gen, to: out}]\n" % (ep.port, secret,
                                                                sink.server_port))
    e = Engine(engine, config, tmp)

    def sent_with(token):
        with lock:
            return [t for t, a in seen if a == "Bearer " + token]

    def issued():
        with ep.lock:
            return list(ep.issued)
    e.wait("a request with the first token", lambda: issued() and sent_with(issued()[0][1]))
    t1_at, t1 = issued()[0]
    e.wait("a renewed token in use", lambda: len(issued()) >= 2 and sent_with(issued()[1][1]),
           timeout=10)
    t2_at, t2 = issued()[1]
    if t2_at > t1_at + 1.8 or min(sent_with(t2)) > t1_at + 2.0:
        fail("token 2 issued %.2f s and first used %.2f s after token 1 (of 2 s)"
             % (t2_at - t1_at, min(sent_with(t2)) - t1_at))
    nacks = total(e.metrics(), "df_node_nacks_received_total", node="gen")
    if nacks:
        fail("%d Nacks while the token endpoint was up" % nacks)
    with ep.lock:
        requests = list(ep.requests)
    basic = "Basic " + base64.b64encode(b"df-client:" + secret.replace("/", "%2F").encode()).decode()
    for _, form, authorization in requests:
        if (form.get("grant_type") != ["client_credentials"] or
                form.get("scope") != ["logs.write telemetry"] or
                "client_secret" in form or authorization != basic):
            fail("unexpected token request: %s, Authorization %s" % (form, authorization))

    # The endpoint goes down: the last token is served until it expires.
    with ep.lock:
        ep.down = True
        down_at = time.time()
        last_at, last = ep.issued[-1]
    e.wait("Nacks once the last token expired",
           lambda: total(e.metrics(), "df_node_nacks_received_total", node="gen") > 0,
           timeout=10)
    after = [t for t in sent_with(last) if t > down_at]
    if not after:
        fail("the last token was not sent after the endpoint went down")
    if max(after) > last_at + 2.0 + 0.3:
        fail("the last token was sent %.2f s after it was issued (expires_in 2 s)"
             % (max(after) - last_at))
    if time.time() < last_at + 1.7:
        fail("Nacks %.2f s after the last token was issued, before it expired"
             % (time.time() - last_at))
    e.wait_log(r"token request failed: the token endpoint answered 503")
    m = e.metrics()
    if total(m, "df_extension_refreshes_total", extension="oauth", result="failed") < 1:
        fail("no failed refresh counted")
    if total(m, "df_extension_calls_total", extension="oauth", outcome="none") < 1:
        fail("no call answered none")
    stop(e)
    sink.shutdown()
    ep.srv.shutdown()
    log = e.log()
    for s in [secret, base64.b64encode(secret.encode()).decode()] + [t for _, t in issued()]:
        if s in log:
            fail("a secret or token appears in the log:\n%s" % log)
    # An exporter whose `headers` set Authorization (any case) besides a
    # bound token provider is refused at build, with the reason logged.
    for exporter, header in (("exporter:otlp_http", "Authorization"),
                             ("exporter:otlp_grpc", "AUTHORIZATION")):
        endpoint = "endpoint" if exporter.endswith("http") else "grpc_endpoint"
        both = config.replace("            type: exporter:otlp_http\n",
                              "            type: %s\n" % exporter).replace(
            "config: {endpoint: 'http://127.0.0.1:%d'}" % sink.server_port,
            "config: {%s: 'http://127.0.0.1:9', headers: {%s: 'Bearer x'}}" % (endpoint, header))
        work = os.path.join(tmp, "conflict-" + exporter[9:])
        os.makedirs(work)
        # One core: when a second core's loop is made after the first one's
        # closed, ThreadSanitizer reports the reused epoll descriptor as a
        # race (libuv closes with syscall(SYS_close), which it does not see).
        c = Engine(engine, both, work, ["--num-cores", "1"])
        if c.exit_code() != 1 or not re.search(
                r"failed to build; not starting: pipeline g/p on core 0: node 'out' .*`headers` "
                r"sets Authorization and a bearer_token_provider is bound: keep one", c.log()):
            fail("%s with Authorization in headers and a token provider: exit %s\n%s"
                 % (exporter, c.exit_code(), c.log()))
    print("oauth2: %d tokens issued, renewed %.2f s into a 2 s lifetime; the last token served "
          "%.2f s past the outage, then Nacks" % (len(issued()), t2_at - t1_at,
                                                  max(after) - down_at))


def scenario_oidc(engine, engine_test, tmp):
    """extension:oidc_auth end to end, in the shipped binary. A Python
    issuer (http.server on a thread) serves discovery and a JWKS; tokens are
    signed here with the openssl command line (tests/e2e/jwt_tool.py). A
    receiver:otlp on 2 cores bound to oidc_auth answers valid RS256 and
    ES256 tokens with 200 and expired, wrong-audience, unknown-kid, alg none,
    HS256 and missing credentials with 401 + WWW-Authenticate: Bearer; the
    issuer rotates its key while the engine runs and a token signed by the
    new key is accepted without a restart (the old key's tokens refused);
    unknown kids are fetched at most once per jwks_min_refresh_interval; no
    token in the log. Then an engine started while the issuer is down exits
    1 with an error naming the extension and the issuer's URL."""
    import http.server
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import jwt_tool
    keys = os.path.join(tmp, "keys")
    os.makedirs(keys)
    rsa1, ec1 = jwt_tool.Key(keys, "rsa-1"), jwt_tool.Key(keys, "ec-1", "P-256")
    rsa2 = jwt_tool.Key(keys, "rsa-2")
    state = {"jwks": jwt_tool.jwks(rsa1, ec1), "jwks_hits": 0}
    lock = threading.Lock()

    class Issuer(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            with lock:
                if self.path == "/.well-known/openid-configuration":
                    body = json.dumps({"issuer": issuer, "jwks_uri": issuer + "/jwks"})
                elif self.path == "/jwks":
                    state["jwks_hits"] += 1
                    body = state["jwks"]
                else:
                    body = None
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body or "")))
            self.end_headers()
            self.wfile.write((body or "").encode())

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Issuer)
    issuer = "http://127.0.0.1:%d" % srv.server_port
    threading.Thread(target=srv.serve_forever, daemon=True).start()

    def claims(**kw):
        now = int(time.time())
        c = {"iss": issuer, "aud": "otel-collector", "sub": "svc-a", "exp": now + 600,
             "iat": now, "groups": ["ingest"]}
        c.update(kw)
        return c

    auth = ("{issuer_url: '%s', audience: otel-collector, groups_claim: groups, "
            "jwks_min_refresh_interval: 1s, clock_skew: 5s}" % issuer)
    grpc_port, http_port = free_port(), free_port()
    b = receiver_engine(engine, tmp, "oidc_b", grpc_port, http_port, auth=auth, cores=2,
                        auth_type="extension:oidc_auth")
    b.wait_ready()
    valid_rs, valid_es = jwt_tool.token(rsa1, claims()), jwt_tool.token(ec1, claims(sub="svc-b"))
    hs256 = jwt_tool.token(rsa1, claims(), header={"alg": "HS256", "kid": "rsa-1"}, alg="RS256")
    refused = (
        ("expired", jwt_tool.token(rsa1, claims(exp=int(time.time()) - 60))),
        ("wrong audience", jwt_tool.token(rsa1, claims(aud="someone-else"))),
        ("unknown kid", jwt_tool.token(rsa2, claims(), kid="rsa-2")),
        ("alg none", jwt_tool.token(rsa1, claims(), header={"alg": "none", "kid": "rsa-1"})),
        ("HS256 header on an RS256 signature", hs256),
        ("wrong issuer", jwt_tool.token(rsa1, claims(iss="http://evil.example"))))
    accepted = 0
    for what, authorization, want in (
            ("RS256", "Bearer " + valid_rs, (200, None)),
            ("ES256", "Bearer " + valid_es, (200, None)),
            ("RS256 again (cached)", "Bearer " + valid_rs, (200, None)),
            ("no credential", None, (401, "Bearer"))) + tuple(
                (w, "Bearer " + t, (401, "Bearer")) for w, t in refused):
        got = post_logs(http_port, authorization)
        if got != want:
            fail("%s: got %s, want %s\n%s" % (what, got, want, b.log()))
        accepted += got[0] == 200

    # A flood of unknown kids for 2.5 s: at most one JWKS fetch per second.
    flood = [jwt_tool.token(ec1, claims(), kid="random-%d" % i) for i in range(5)]
    with lock:
        hits0 = state["jwks_hits"]
    t0 = time.time()
    sent = 0
    while time.time() - t0 < 2.5:
        if post_logs(http_port, "Bearer " + flood[sent % 5])[0] != 401:
            fail("an unknown kid was accepted")
        sent += 1
    elapsed = time.time() - t0
    with lock:
        fetched = state["jwks_hits"] - hits0
    if fetched < 1 or fetched > 2 + int(elapsed):
        fail("%d JWKS fetches for %d unknown-kid requests in %.1f s" % (fetched, sent, elapsed))

    # Rotation: the issuer now signs with rsa-2 only.
    with lock:
        state["jwks"] = jwt_tool.jwks(rsa2)
    rotated = time.time()
    fresh = jwt_tool.token(rsa2, claims(sub="svc-rotated"))
    b.wait("the rotated key accepted",
           lambda: post_logs(http_port, "Bearer " + fresh)[0] == 200, timeout=10)
    accepted += 1
    took = time.time() - rotated
    if post_logs(http_port, "Bearer " + valid_rs) != (401, "Bearer"):
        fail("a token of the removed key is still accepted")
    b.wait_log(r"changed the keys of issuer '%s'" % re.escape(issuer))
    m = b.metrics()
    if total(m, "df_node_items_received_total", node="out") < accepted:
        fail("delivered %d items, want >= %d" % (
            total(m, "df_node_items_received_total", node="out"), accepted))
    if total(m, "df_receiver_otlp_auth_denied_total") < len(refused) + 1:
        fail("denied %d" % total(m, "df_receiver_otlp_auth_denied_total"))
    stop(b)
    log = b.log()
    for t in (valid_rs, valid_es, fresh) + tuple(t for _, t in refused):
        if t.rsplit(".", 1)[1] and t.rsplit(".", 1)[1] in log:
            fail("a token appears in the log")

    # The issuer down at start: exit 1, naming the extension and the URL.
    srv.shutdown()
    srv.server_close()
    c = receiver_engine(engine, tmp, "oidc_down", free_port(), free_port(), auth=auth,
                        auth_type="extension:oidc_auth")
    code = c.exit_code()
    log = c.log()
    if code != 1 or "extension 'auth'" not in log or \
            "cannot load the keys of issuer '%s'" % issuer not in log:
        fail("issuer down: exit %d\n%s" % (code, log))
    print("oidc: RS256/ES256 accepted, %d kinds refused with 401; %d JWKS fetches for %d "
          "unknown kids in %.1f s; rotated key served after %.2f s; issuer down -> exit 1" % (
              len(refused) + 1, fetched, sent, elapsed, took))


def main():
    if len(sys.argv) != 4:
        fail("usage: runtime_e2e.py SCENARIO DF_ENGINE DF_ENGINE_TEST")
    fn = globals().get("scenario_" + sys.argv[1])
    if not fn:
        fail("unknown scenario " + sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        try:
            fn(sys.argv[2], sys.argv[3], tmp)
        finally:
            for p in ENGINES:
                if p.poll() is None:
                    p.kill()


if __name__ == "__main__":
    main()
