#!/usr/bin/env python3
"""Conformance with a real OpenTelemetry SDK: the JS SDK's own OTLP exporters
(gRPC, HTTP/protobuf, HTTP/JSON) send logs, spans and metrics to df_engine's
receiver:otlp; exporter:file writes what arrived as OTLP/JSON; check.js
compares every record, attribute, id, timestamp and metric point with what
the SDK says it sent. Then the same through a second df_engine forwarding
with exporter:otlp_grpc (gzip) and exporter:otlp_http (JSON), and the
reverse direction: df_engine's exporters delivering to receiver.js, an OTLP
receiver built from the SDK's packages (grpc-js and protobufjs).

    conformance.py DF_ENGINE

Needs node and `npm ci` in this folder (the Makefile's test target runs it).
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import runtime_e2e as e2e  # noqa: E402  (the Engine helper and friends)


def receiver(grpc, http):
    return f"""          otlp:
            type: receiver:otlp
            config:
              protocols:
                grpc: {{listening_addr: 127.0.0.1:{grpc}, wait_for_result: true}}
                http: {{listening_addr: 127.0.0.1:{http}, wait_for_result: true}}
"""


def send_and_check(tag, grpc, http, expected_dir, received, engines):
    """Sends with each SDK transport to `grpc`/`http`, then checks `received`."""
    for transport, endpoint in (("grpc", f"http://127.0.0.1:{grpc}"),
                                ("proto", f"http://127.0.0.1:{http}"),
                                ("http", f"http://127.0.0.1:{http}")):
        expected = os.path.join(expected_dir, f"expected-{tag}-{transport}.json")
        r = subprocess.run(["node", os.path.join(HERE, "send.js"), "--transport", transport,
                            "--endpoint", endpoint, "--expected", expected,
                            "--tag", f"conformance-{tag}-{transport}"],
                           capture_output=True, text=True, timeout=120)
        if r.returncode:
            e2e.fail(f"send.js {transport} failed:\n{r.stdout}{r.stderr}\n"
                     + "\n".join(e.log() for e in engines))
        r = subprocess.run(["node", os.path.join(HERE, "check.js"), expected, received],
                           capture_output=True, text=True, timeout=60)
        print(r.stdout.strip())
        if r.returncode:
            e2e.fail(f"check.js {tag} {transport}:\n{r.stdout}{r.stderr}")


def stop(engines):
    for e in engines:
        e.proc.terminate()
    for e in engines:
        if e.exit_code() != 0:
            e2e.fail("df_engine exit code %d\n%s" % (e.proc.returncode, e.log()))


def main():
    engine = sys.argv[1]
    if not os.path.isdir(os.path.join(HERE, "node_modules")):
        e2e.fail("tests/conformance/node_modules is missing: run `npm ci` there (make test does)")
    with tempfile.TemporaryDirectory() as tmp:
        # B: the SDK's exporters (or A's) -> receiver:otlp -> exporter:file.
        b_dir = os.path.join(tmp, "b")
        os.mkdir(b_dir)
        b_grpc, b_http = e2e.free_port(), e2e.free_port()
        received = os.path.join(tmp, "received.jsonl")
        b = e2e.Engine(engine, e2e.pipeline(
            receiver(b_grpc, b_http) + f"""          file:
            type: exporter:file
            config: {{path: {received}, format: json}}
""", "          - {from: otlp, to: file}\n"), b_dir, ["--num-cores", "2"])
        engines = [b]
        b.wait_ready()
        try:
            send_and_check("direct", b_grpc, b_http, tmp, received, engines)
            # A forwards to B with each OTLP exporter: SDK -> A -> B -> file.
            exporters = (
                ("otlp_grpc", f"""          out:
            type: exporter:otlp_grpc
            config: {{grpc_endpoint: "http://127.0.0.1:{b_grpc}", compression: gzip}}
"""),
                ("otlp_http", f"""          out:
            type: exporter:otlp_http
            config: {{endpoint: "http://127.0.0.1:{b_http}", encoding: json}}
"""))
            for name, out in exporters:
                a_dir = os.path.join(tmp, name)
                os.mkdir(a_dir)
                a_grpc, a_http = e2e.free_port(), e2e.free_port()
                a = e2e.Engine(engine, e2e.pipeline(receiver(a_grpc, a_http) + out,
                                                    "          - {from: otlp, to: out}\n"),
                               a_dir, ["--num-cores", "1"])
                engines.append(a)
                a.wait_ready()
                send_and_check(f"via-{name}", a_grpc, a_http, tmp, received, engines)
                stop([a])
                engines.remove(a)
        except BaseException:
            for e in engines:
                e.proc.kill()
            raise
        stop([b])
        reverse(engine, tmp)


def reverse(engine, tmp):
    """df_engine's exporters deliver to receiver.js, an OTLP receiver built
    from the SDK's packages: SDK -> df_engine -> otlp_grpc / otlp_http ->
    receiver.js -> check.js."""
    js_grpc, js_http = e2e.free_port(), e2e.free_port()
    received = os.path.join(tmp, "reverse.jsonl")
    js = subprocess.Popen(["node", os.path.join(HERE, "receiver.js"), "--grpc-port", str(js_grpc),
                           "--http-port", str(js_http), "--out", received],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if js.stdout.readline().strip() != "listening":
            e2e.fail("receiver.js did not start: %s" % js.stderr.read())
        exporters = (
            ("otlp_grpc", f"""          out:
            type: exporter:otlp_grpc
            config: {{grpc_endpoint: "http://127.0.0.1:{js_grpc}"}}
"""),
            ("otlp_http", f"""          out:
            type: exporter:otlp_http
            config: {{endpoint: "http://127.0.0.1:{js_http}", compression: gzip}}
"""))
        for name, out in exporters:
            a_dir = os.path.join(tmp, "rev-" + name)
            os.mkdir(a_dir)
            a_grpc, a_http = e2e.free_port(), e2e.free_port()
            a = e2e.Engine(engine, e2e.pipeline(receiver(a_grpc, a_http) + out,
                                                "          - {from: otlp, to: out}\n"),
                           a_dir, ["--num-cores", "1"])
            try:
                a.wait_ready()
                send_and_check(f"to-js-via-{name}", a_grpc, a_http, tmp, received, [a])
            finally:
                a.proc.terminate()
            if a.exit_code() != 0:
                e2e.fail("df_engine exit code %d\n%s" % (a.proc.returncode, a.log()))
    finally:
        js.terminate()
        js.wait(timeout=30)
    if js.returncode != 0:
        e2e.fail("receiver.js could not decode some requests: %s" % js.stderr.read())


if __name__ == "__main__":
    main()
