#!/usr/bin/env python3
"""receiver:otlp over TLS, with certificates made by the openssl CLI:
OTLP/HTTP over HTTPS (HTTP/1.1), OTLP/gRPC over TLS with a client
certificate required (mTLS); clients that do not trust the server, and gRPC
clients without a certificate, are refused while good ones are served. Then
df_engine's own exporters over TLS: otlp_grpc with a client certificate,
otlp_http over HTTPS.

    tls_e2e.py DF_ENGINE
"""
import json
import os
import ssl
import subprocess
import sys
import tempfile
import http.client

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import runtime_e2e as e2e  # noqa: E402

CONF = os.path.join(HERE, "..", "conformance")
GOOD = bytes.fromhex("0a0a120812062a040a026f6b")


def sh(*args, cwd):
    r = subprocess.run(list(args), cwd=cwd, capture_output=True, text=True)
    if r.returncode:
        e2e.fail("%s: %s" % (" ".join(args), r.stderr))


def make_pki(d):
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    for ca in ("ca", "other"):
        sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-keyout", ca + ".key", "-out", ca + ".pem", "-days", "2",
           "-subj", "/CN=df test " + ca, cwd=d)
    for name in ("server", "client"):
        sh("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name, cwd=d)
        sh("openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
           "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", ext, cwd=d)


def https_post(port, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    try:
        conn.request("POST", "/v1/logs", body=GOOD,
                     headers={"Content-Type": "application/x-protobuf"})
        return conn.getresponse().status
    finally:
        conn.close()


def grpc_call(port, env):
    r = subprocess.run(["node", os.path.join(CONF, "grpc_raw.js"), "127.0.0.1:%d" % port,
                        "/opentelemetry.proto.collector.logs.v1.LogsService/Export", GOOD.hex()],
                       capture_output=True, text=True, timeout=60, env=dict(os.environ, **env))
    if r.returncode:
        e2e.fail("grpc_raw.js: %s%s" % (r.stdout, r.stderr))
    return json.loads(r.stdout)["code"]


def forward_over_tls(engine, d, grpc, http_port):
    """df_engine's exporters over TLS: otlp_grpc with a client certificate
    (the listener requires one), otlp_http over HTTPS; 50 logs each."""
    for name, out in (("otlp_grpc", f"""            type: exporter:otlp_grpc
            config:
              grpc_endpoint: https://localhost:{grpc}
              tls: {{ca_file: {d}/ca.pem, cert_file: {d}/client.pem, key_file: {d}/client.key}}
"""), ("otlp_http", f"""            type: exporter:otlp_http
            config:
              endpoint: https://127.0.0.1:{http_port}
              tls: {{ca_file: {d}/ca.pem}}
""")):
        nodes = ("""          gen:
            type: receiver:traffic_generator
            config:
              enable_ack_nack: true
              traffic_config: {max_signal_count: 50, max_batch_size: 10, log_weight: 1,
                               metric_weight: 0, trace_weight: 0}
          out:
""" + out)
        sub = os.path.join(d, name)
        os.mkdir(sub)
        a = e2e.Engine(engine, e2e.pipeline(nodes, "          - {from: gen, to: out}\n"), sub,
                       ["--num-cores", "1"])
        try:
            a.wait_ready()
            a.wait("%s: 5 Acks" % name, lambda: e2e.total(a.metrics(), "df_node_acks_received_total",
                                                           node="gen") == 5)
        finally:
            a.proc.terminate()
        if a.exit_code() != 0:
            e2e.fail("%s: exit %d\n%s" % (name, a.proc.returncode, a.log()))


def main():
    engine = sys.argv[1]
    with tempfile.TemporaryDirectory() as d:
        make_pki(d)
        grpc, http_port = e2e.free_port(), e2e.free_port()
        nodes = f"""          otlp:
            type: receiver:otlp
            config:
              protocols:
                grpc:
                  listening_addr: 127.0.0.1:{grpc}
                  tls: {{cert_file: {d}/server.pem, key_file: {d}/server.key,
                         client_ca_file: {d}/ca.pem}}
                http:
                  listening_addr: 127.0.0.1:{http_port}
                  tls: {{cert_file: {d}/server.pem, key_file: {d}/server.key, min_version: '1.2'}}
          out:
            type: exporter:noop
"""
        eng = e2e.Engine(engine, e2e.pipeline(nodes, "          - {from: otlp, to: out}\n"), d,
                         ["--num-cores", "1"])
        try:
            eng.wait_ready()
            if https_post(http_port, os.path.join(d, "ca.pem")) != 200:
                e2e.fail("HTTPS POST was not answered 200")
            try:
                https_post(http_port, os.path.join(d, "other.pem"))
                e2e.fail("a client trusting another CA was served")
            except ssl.SSLError:
                pass
            if https_post(http_port, os.path.join(d, "ca.pem")) != 200:
                e2e.fail("HTTPS POST after a failed handshake was not answered 200")
            ok = grpc_call(grpc, {"GRPC_CA": f"{d}/ca.pem", "GRPC_CERT": f"{d}/client.pem",
                                  "GRPC_KEY": f"{d}/client.key"})
            if ok != 0:
                e2e.fail("gRPC over mTLS: status %d" % ok)
            refused = grpc_call(grpc, {"GRPC_CA": f"{d}/ca.pem"})
            if refused == 0:
                e2e.fail("gRPC without a client certificate was served")
            forward_over_tls(engine, d, grpc, http_port)
            m = eng.metrics()
            got = e2e.total(m, "df_node_items_received_total", node="out")
            if got != 3 + 2 * 50:
                e2e.fail("the exporter received %s items, want %d" % (got, 3 + 2 * 50))
        finally:
            eng.proc.terminate()
        if eng.exit_code() != 0:
            e2e.fail("exit code %d\n%s" % (eng.proc.returncode, eng.log()))
        print("tls: HTTPS and gRPC over mTLS served; untrusted and certificate-less clients refused")


if __name__ == "__main__":
    main()
