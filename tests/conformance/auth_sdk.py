#!/usr/bin/env python3
"""Authentication and identity with a real OpenTelemetry SDK as the client:
the JS SDK's own OTLP exporters (gRPC, HTTP/protobuf, HTTP/JSON) send logs,
spans and metrics with an Authorization header to df_engine, whose
receiver:otlp checks it with an auth_check extension; processor:batch
(which never mixes senders) and processor:attribute (from_context:
auth.subject, on resources) follow; exporter:file writes what arrived.

    auth_sdk.py DF_ENGINE DF_ENGINE_TEST

- extension:bearer_token_auth, two senders: each SDK run's data arrives
  whole (check.js) and every resource of it carries tenant=<its sender>.
- A wrong token and no token: the SDK's exports fail, with 401 over HTTP
  and UNAUTHENTICATED over gRPC, and nothing of those runs arrives.
- extension:basic_auth with an htpasswd file: the SDK's user is served and
  its data stamped with its name; a wrong password gets 401; the file
  replaced (atomic rename) with a new password during the run takes effect
  within 2 s, without a restart: the new password is served to the SDK and
  the old one refused.
- Forbidden (the test provider urn:test:extension:header_auth in
  DF_ENGINE_TEST, which can answer forbidden): 403 / PERMISSION_DENIED.
"""
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import runtime_e2e as e2e  # noqa: E402

TEAM_A, TEAM_B = "sdk-team-a-" + "1" * 20, "sdk-team-b-" + "2" * 20
WRONG, MALLORY = "sdk-wrong-" + "3" * 20, "sdk-mallory-" + "4" * 20


def config(grpc, http, received, ext):
    nodes = f"""          otlp:
            type: receiver:otlp
            capabilities: {{auth_check: auth}}
            config:
              protocols:
                grpc: {{listening_addr: 127.0.0.1:{grpc}, wait_for_result: true}}
                http: {{listening_addr: 127.0.0.1:{http}, wait_for_result: true}}
          batch: {{type: processor:batch, config: {{send_batch_size: 1000, timeout: 20ms}}}}
          stamp:
            type: processor:attribute
            config:
              apply_to: [resource]
              actions: [{{key: tenant, action: upsert, from_context: auth.subject}}]
          file:
            type: exporter:file
            config: {{path: {received}, format: json}}
"""
    conns = ("          - {from: otlp, to: batch}\n          - {from: batch, to: stamp}\n"
             "          - {from: stamp, to: file}\n")
    return e2e.pipeline(nodes, conns, extensions=ext)


def send(transport, grpc, http, expected, tag, authorization):
    endpoint = f"http://127.0.0.1:{grpc if transport == 'grpc' else http}"
    cmd = ["node", os.path.join(HERE, "send.js"), "--transport", transport, "--endpoint",
           endpoint, "--expected", expected, "--tag", tag]
    if authorization:
        cmd += ["--authorization", authorization]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def check(expected, received, required):
    r = subprocess.run(["node", os.path.join(HERE, "check.js"), expected, received, required],
                       capture_output=True, text=True, timeout=60)
    print(r.stdout.strip())
    if r.returncode:
        e2e.fail(f"check.js {expected}:\n{r.stdout}{r.stderr}")


def refused(what, r, transport, status):
    """The SDK run `r` must have failed with `status` (an HTTP code, or the
    gRPC code's name for grpc)."""
    out = r.stdout + r.stderr
    if r.returncode == 0:
        e2e.fail(f"{what} over {transport}: the SDK's exports succeeded")
    if status not in out:
        e2e.fail(f"{what} over {transport}: the SDK's error does not say {status}:\n{out}")


def basic_case(engine, tmp):
    d = os.path.join(tmp, "basic")
    os.mkdir(d)
    users = os.path.join(d, "users.htpasswd")
    old_pw, new_pw = "old-secret-" + "5" * 12, "new-secret-" + "6" * 12
    with open(users, "w") as f:
        f.write(e2e.htpasswd_line("svc-a", old_pw))
    grpc, http = e2e.free_port(), e2e.free_port()
    received = os.path.join(d, "received.jsonl")
    ext = ("          auth:\n            type: extension:basic_auth\n"
           f"            config: {{htpasswd: {{file: '{users}'}}}}")
    eng = e2e.Engine(engine, config(grpc, http, received, ext), d, ["--num-cores", "2"])
    eng.wait_ready()
    try:
        for transport in ("grpc", "proto"):
            tag = f"basic-{transport}"
            expected = os.path.join(d, f"expected-{tag}.json")
            r = send(transport, grpc, http, expected, tag, e2e.basic("svc-a", old_pw))
            if r.returncode:
                e2e.fail(f"send.js {transport} with Basic:\n{r.stdout}{r.stderr}\n{eng.log()}")
            check(expected, received, "tenant=svc-a")
        r = send("proto", grpc, http, os.path.join(d, "x.json"), "basic-refused",
                 e2e.basic("svc-a", "nope"))
        refused("a wrong password", r, "proto", "401")
        # The file replaced during the run: in force within 2 s.
        tmp_users = users + ".new"
        with open(tmp_users, "w") as f:
            f.write(e2e.htpasswd_line("svc-a", new_pw))
        rotated = time.time()
        os.rename(tmp_users, users)
        eng.wait("the new password served",
                 lambda: e2e.post_logs(http, e2e.basic("svc-a", new_pw))[0] == 200, timeout=5)
        took = time.time() - rotated
        if took > 2.0:
            e2e.fail("the new htpasswd took %.2f s to be in force" % took)
        tag = "basic-rotated"
        expected = os.path.join(d, f"expected-{tag}.json")
        r = send("http", grpc, http, expected, tag, e2e.basic("svc-a", new_pw))
        if r.returncode:
            e2e.fail(f"send.js with the new password:\n{r.stdout}{r.stderr}\n{eng.log()}")
        check(expected, received, "tenant=svc-a")
        refused("the password before the rotation",
                send("grpc", grpc, http, os.path.join(d, "x.json"), "basic-refused",
                     e2e.basic("svc-a", old_pw)), "grpc", "UNAUTHENTICATED")
        print("basic_auth: new htpasswd in force after %.2f s" % took)
    finally:
        eng.proc.terminate()
    if eng.exit_code() != 0:
        e2e.fail("df_engine exit code %d\n%s" % (eng.proc.returncode, eng.log()))
    if old_pw in eng.log() or new_pw in eng.log():
        e2e.fail("a password appears in the engine's log")


def main():
    engine, engine_test = sys.argv[1], sys.argv[2]
    if not os.path.isdir(os.path.join(HERE, "node_modules")):
        e2e.fail("tests/conformance/node_modules is missing: run `npm ci` there (make test does)")
    with tempfile.TemporaryDirectory() as tmp:
        grpc, http = e2e.free_port(), e2e.free_port()
        received = os.path.join(tmp, "received.jsonl")
        ext = ("          auth:\n            type: extension:bearer_token_auth\n"
               f"            config: {{tokens: [{{token: {TEAM_A}, subject: team-a}}, "
               f"{{token: {TEAM_B}, subject: team-b}}]}}")
        eng = e2e.Engine(engine, config(grpc, http, received, ext), tmp, ["--num-cores", "2"])
        eng.wait_ready()
        try:
            for transport, token, tenant in (("grpc", TEAM_A, "team-a"),
                                             ("proto", TEAM_B, "team-b"),
                                             ("http", TEAM_A, "team-a")):
                tag = f"auth-{tenant}-{transport}"
                expected = os.path.join(tmp, f"expected-{tag}.json")
                r = send(transport, grpc, http, expected, tag, "Bearer " + token)
                if r.returncode:
                    e2e.fail(f"send.js {transport} as {tenant}:\n{r.stdout}{r.stderr}\n{eng.log()}")
                check(expected, received, "tenant=" + tenant)
            for transport, status in (("grpc", "UNAUTHENTICATED"), ("proto", "401"),
                                      ("http", "401")):
                for what, auth in (("a wrong token", "Bearer " + WRONG), ("no token", None)):
                    tag = f"auth-refused-{transport}"
                    r = send(transport, grpc, http, os.path.join(tmp, "x.json"), tag, auth)
                    refused(what, r, transport, status)
            if "auth-refused" in open(received).read():
                e2e.fail("data of a refused SDK run was delivered")
        finally:
            eng.proc.terminate()
        if eng.exit_code() != 0:
            e2e.fail("df_engine exit code %d\n%s" % (eng.proc.returncode, eng.log()))
        for tok in (TEAM_A, TEAM_B, WRONG):
            if tok in eng.log():
                e2e.fail("a token appears in the engine's log")

        basic_case(engine, tmp)

        # Forbidden, from a provider that can say so.
        d = os.path.join(tmp, "forbidden")
        os.mkdir(d)
        grpc, http = e2e.free_port(), e2e.free_port()
        ext = ("          auth:\n            type: 'urn:test:extension:header_auth'\n"
               f"            config: {{tokens: {{{TEAM_A}: team-a}}, forbidden: [{MALLORY}]}}")
        eng = e2e.Engine(engine_test, config(grpc, http, os.path.join(d, "r.jsonl"), ext), d,
                         ["--num-cores", "1"])
        eng.wait_ready()
        try:
            for transport, status in (("grpc", "PERMISSION_DENIED"), ("proto", "403")):
                r = send(transport, grpc, http, os.path.join(d, "x.json"), "auth-forbidden",
                         "Bearer " + MALLORY)
                refused("a forbidden token", r, transport, status)
        finally:
            eng.proc.terminate()
        if eng.exit_code() != 0:
            e2e.fail("df_engine_test exit code %d\n%s" % (eng.proc.returncode, eng.log()))
    print("auth_sdk: the JS SDK's data arrives with its sender's tenant after batching (bearer "
          "and basic); wrong and missing credentials get 401 / UNAUTHENTICATED, forbidden 403 / "
          "PERMISSION_DENIED; a rotated htpasswd is in force within 2 s")


if __name__ == "__main__":
    main()
