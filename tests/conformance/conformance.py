#!/usr/bin/env python3
"""Conformance with a real OpenTelemetry SDK: the JS SDK's own OTLP exporters
(gRPC, HTTP/protobuf, HTTP/JSON) send logs, spans and metrics to df_engine's
receiver:otlp; exporter:file writes what arrived as OTLP/JSON; check.js
compares every record, attribute, id, timestamp and metric point with what
the SDK says it sent.

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


def main():
    engine = sys.argv[1]
    if not os.path.isdir(os.path.join(HERE, "node_modules")):
        e2e.fail("tests/conformance/node_modules is missing: run `npm ci` there (make test does)")
    with tempfile.TemporaryDirectory() as tmp:
        grpc, http = e2e.free_port(), e2e.free_port()
        received = os.path.join(tmp, "received.jsonl")
        nodes = f"""          otlp:
            type: receiver:otlp
            config:
              protocols:
                grpc: {{listening_addr: 127.0.0.1:{grpc}, wait_for_result: true}}
                http: {{listening_addr: 127.0.0.1:{http}, wait_for_result: true}}
          file:
            type: exporter:file
            config: {{path: {received}, format: json}}
"""
        eng = e2e.Engine(engine, e2e.pipeline(nodes, "          - {from: otlp, to: file}\n"),
                         tmp, ["--num-cores", "2"])
        try:
            for transport, endpoint in (("grpc", f"http://127.0.0.1:{grpc}"),
                                        ("proto", f"http://127.0.0.1:{http}"),
                                        ("http", f"http://127.0.0.1:{http}")):
                expected = os.path.join(tmp, f"expected-{transport}.json")
                r = subprocess.run(["node", os.path.join(HERE, "send.js"), "--transport", transport,
                                    "--endpoint", endpoint, "--expected", expected],
                                   capture_output=True, text=True, timeout=120)
                if r.returncode:
                    e2e.fail(f"send.js {transport} failed:\n{r.stdout}{r.stderr}\n{eng.log()}")
                r = subprocess.run(["node", os.path.join(HERE, "check.js"), expected, received],
                                   capture_output=True, text=True, timeout=60)
                print(r.stdout.strip())
                if r.returncode:
                    e2e.fail(f"check.js {transport}:\n{r.stdout}{r.stderr}")
        finally:
            eng.proc.terminate()
        if eng.exit_code() != 0:
            e2e.fail("df_engine exit code %d\n%s" % (eng.proc.returncode, eng.log()))


if __name__ == "__main__":
    main()
