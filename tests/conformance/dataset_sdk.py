#!/usr/bin/env python3
"""Enrichment from datasets with a real OpenTelemetry SDK as the client: the
JS SDK's own OTLP exporters send logs, spans and metrics whose resource
carries host.name to df_engine; receiver:otlp, processor:enrich bound to a
dataset_lookup extension, exporter:file (OTLP/JSON) writes what arrived.

    dataset_sdk.py DF_ENGINE

One engine, three pipelines (each its own ports, dataset and output file):

- csv: extension:file_storage on a CSV file (key column host), prefix
  cmdb., on_missing keep. A known host's data arrives whole (check.js) with
  the row's other columns on every resource; an unknown host's arrives
  whole and unenriched. The file replaced (atomic rename) during the run:
  data sent within 2 s carries the new row. The file then replaced by a
  malformed one (a row with a field too many) and by an empty one: the
  data sent afterwards still carries the last good row, and
  df_extension_refreshes_total{result="failed"} counts each failure, while
  df_extension_state_entries and _bytes still tell the last good snapshot.
- db: extension:db_storage on a SQLite database (refresh_interval 200ms),
  prefix inv., on_missing tag. A known host's data is enriched; an unknown
  host's resources get inv.missing = true (a bool). A row updated during
  the run is in force within 2 s; the database replaced by garbage bytes
  keeps the last snapshot in force and counts the failed refresh.
- drop: extension:file_storage, on_missing drop. The SDK run of an unknown
  host succeeds (its requests are Acked) but none of its data arrives; a
  known host's arrives enriched.

The 2 s bounds are measured from the change to the first request (a small
OTLP/HTTP JSON one, sent every 50 ms) that carried the new row; an SDK run
after that must carry it on every resource.
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import runtime_e2e as e2e  # noqa: E402

CSV_V1 = "host,rack,owner\nweb-1,r12,payments\nweb-2,r7,search\n"
CSV_V2 = "host,rack,owner\nweb-1,r99,checkout\nweb-2,r7,search\n"
CSV_BAD = "host,rack,owner\nweb-1,r13,payments,extra\nweb-2,r7,search\n"
DROP_CSV = "host,rack,owner\nweb-1,r1,edge\n"
QUERY = "SELECT host, rack, owner FROM hosts ORDER BY host"


class Pipe:
    """One pipeline of the engine: its name, ports, output file, prefix."""

    def __init__(self, tmp, name, prefix, on_missing, extension):
        self.name, self.prefix, self.on_missing = name, prefix, on_missing
        self.grpc, self.http = e2e.free_port(), e2e.free_port()
        self.received = os.path.join(tmp, "received-%s.jsonl" % name)
        self.extension = extension
        self.seq = 0  # probes sent
        self.failed = 0  # failed refreshes seen so far

    def config(self):
        return f"""      {self.name}:
        extensions:
          data:
{self.extension}
        nodes:
          otlp:
            type: receiver:otlp
            config:
              protocols:
                grpc: {{listening_addr: 127.0.0.1:{self.grpc}, wait_for_result: true}}
                http: {{listening_addr: 127.0.0.1:{self.http}, wait_for_result: true}}
          enrich:
            type: processor:enrich
            capabilities: {{dataset_lookup: data}}
            config:
              lookup_key: {{from: resource_attribute, name: host.name}}
              prefix: '{self.prefix}'
              on_missing: {self.on_missing}
          file:
            type: exporter:file
            config: {{path: '{self.received}', format: json}}
        connections:
          - {{from: otlp, to: enrich}}
          - {{from: enrich, to: file}}
"""


def file_storage(path):
    return ("            type: extension:file_storage\n"
            f"            config: {{path: '{path}', key: host, watch_interval: 20ms}}")


def db_storage(path):
    return ("            type: extension:db_storage\n"
            f"            config: {{path: '{path}', query: '{QUERY}', refresh_interval: 200ms}}")


def write_atomically(path, data):
    """Replaces `path` as operators do: a new file renamed over it. Returns
    the time of the rename."""
    tmp = path + ".new"
    with open(tmp, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    renamed = time.time()
    os.rename(tmp, path)
    return renamed


def resources(received, service):
    """The attributes ({key: OTLP/JSON AnyValue}) of every resource of the
    run `service` (its service.name) in an exporter:file output."""
    out = []
    if not os.path.exists(received):
        return out
    with open(received) as f:
        for line in f:
            req = json.loads(line)
            for kind in ("resourceLogs", "resourceSpans", "resourceMetrics"):
                for r in req.get(kind, []):
                    a = {kv["key"]: kv["value"] for kv in r.get("resource", {})
                         .get("attributes", [])}
                    if a.get("service.name") == {"stringValue": service}:
                        out.append(a)
    return out


def sdk(pipe, transport, tag, host, required, tmp):
    """One JS SDK run (logs, spans, metrics) as host `host` into `pipe`;
    check.js then asserts that it arrived whole with `required` attributes
    on every resource. Returns the run's resources."""
    endpoint = "http://127.0.0.1:%d" % (pipe.grpc if transport == "grpc" else pipe.http)
    expected = os.path.join(tmp, "expected-%s.json" % tag)
    r = subprocess.run(["node", os.path.join(HERE, "send.js"), "--transport", transport,
                        "--endpoint", endpoint, "--expected", expected, "--tag", tag,
                        "--resource", "host.name=" + host],
                       capture_output=True, text=True, timeout=120)
    if r.returncode:
        e2e.fail(f"send.js {tag} over {transport}:\n{r.stdout}{r.stderr}")
    c = subprocess.run(["node", os.path.join(HERE, "check.js"), expected, pipe.received,
                        *required], capture_output=True, text=True, timeout=60)
    print(c.stdout.strip())
    if c.returncode:
        e2e.fail(f"check.js {tag}:\n{c.stdout}{c.stderr}")
    return resources(pipe.received, tag)


def sdk_unseen(pipe, tag, host, tmp):
    """An SDK run that must succeed while none of its data arrives."""
    expected = os.path.join(tmp, "expected-%s.json" % tag)
    r = subprocess.run(["node", os.path.join(HERE, "send.js"), "--transport", "proto",
                        "--endpoint", "http://127.0.0.1:%d" % pipe.http, "--expected", expected,
                        "--tag", tag, "--resource", "host.name=" + host],
                       capture_output=True, text=True, timeout=120)
    if r.returncode:
        e2e.fail(f"send.js {tag}: the SDK's exports failed:\n{r.stdout}{r.stderr}")


def no_prefix(pipe, res, tag):
    for a in res:
        extra = sorted(k for k in a if k.startswith(pipe.prefix))
        if extra:
            e2e.fail("%s: an unknown host's resource got %s" % (tag, extra))


def probe(pipe):
    """One small OTLP/HTTP JSON logs request as host web-1 (answered once
    written, wait_for_result); returns the rack its resource arrived with."""
    pipe.seq += 1
    service = "probe-%s-%d" % (pipe.name, pipe.seq)
    body = json.dumps({"resourceLogs": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": service}},
            {"key": "host.name", "value": {"stringValue": "web-1"}}]},
        "scopeLogs": [{"logRecords": [{"body": {"stringValue": "probe"}}]}]}]}).encode()
    req = urllib.request.Request("http://127.0.0.1:%d/v1/logs" % pipe.http, data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        if r.status != 200:
            e2e.fail("probe: HTTP %d" % r.status)
    res = resources(pipe.received, service)
    if len(res) != 1:
        e2e.fail("probe %s: %d resources written, want 1" % (service, len(res)))
    return res[0].get(pipe.prefix + "rack", {}).get("stringValue")


def in_force_within(eng, pipe, changed, rack, what):
    """Probes every 50 ms until web-1 comes out with `rack`; fails if the
    first request that did was sent more than 2 s after `changed`."""
    while True:
        sent = time.time()
        got = probe(pipe)
        if got == rack:
            took = sent - changed
            break
        if sent - changed > 2.0:
            e2e.fail("%s: web-1 still has rack %r %.2f s after the change\n%s"
                     % (what, got, sent - changed, eng.log()))
        time.sleep(0.05)
    if took > 2.0:
        e2e.fail("%s took %.2f s to be in force" % (what, took))
    print("%s: in force after %.2f s" % (what, took))
    return took


def failed_refreshes(eng, pipe):
    return e2e.total(eng.metrics(), "df_extension_refreshes_total", pipeline=pipe.name,
                     extension="data", result="failed")


def refresh_fails(eng, pipe, what):
    """Waits until df_extension_refreshes_total{result="failed"} of `pipe`
    grows after `what` (the caller's change); returns the new count."""
    before = pipe.failed
    n = eng.wait("a failed refresh counted after " + what,
                 lambda: failed_refreshes(eng, pipe) > before and failed_refreshes(eng, pipe),
                 timeout=10)
    pipe.failed = n
    return n


def main():
    engine = sys.argv[1]
    if not os.path.isdir(os.path.join(HERE, "node_modules")):
        e2e.fail("tests/conformance/node_modules is missing: run `npm ci` there (make test does)")
    started = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        hosts_csv = os.path.join(tmp, "hosts.csv")
        with open(hosts_csv, "w") as f:
            f.write(CSV_V1)
        drop_csv = os.path.join(tmp, "drop-hosts.csv")
        with open(drop_csv, "w") as f:
            f.write(DROP_CSV)
        hosts_db = os.path.join(tmp, "hosts.db")
        db = sqlite3.connect(hosts_db)
        db.execute("CREATE TABLE hosts (host TEXT PRIMARY KEY, rack TEXT, owner TEXT)")
        db.executemany("INSERT INTO hosts VALUES (?, ?, ?)",
                       [("web-1", "r12", "payments"), ("web-2", "r7", "search")])
        db.commit()

        csv = Pipe(tmp, "csv", "cmdb.", "keep", file_storage(hosts_csv))
        dbp = Pipe(tmp, "db", "inv.", "tag", db_storage(hosts_db))
        drop = Pipe(tmp, "drop", "cmdb.", "drop", file_storage(drop_csv))
        config = ("version: otel_dataflow/v1\ngroups:\n  g:\n    pipelines:\n" + csv.config() +
                  dbp.config() + drop.config())
        eng = e2e.Engine(engine, config, tmp, ["--num-cores", "2"])
        eng.wait_ready()
        try:
            # 1. CSV through extension:file_storage; on_missing keep.
            sdk(csv, "grpc", "csv-web-1", "web-1", ["cmdb.rack=r12", "cmdb.owner=payments"],
                tmp)
            sdk(csv, "proto", "csv-web-2", "web-2", ["cmdb.rack=r7", "cmdb.owner=search"], tmp)
            res = sdk(csv, "http", "csv-unknown", "db-9", [], tmp)
            no_prefix(csv, res, "csv-unknown (on_missing: keep)")

            # 2. The CSV replaced during the run.
            changed = write_atomically(hosts_csv, CSV_V2)
            in_force_within(eng, csv, changed, "r99", "the renamed CSV")
            sdk(csv, "grpc", "csv-updated", "web-1", ["cmdb.rack=r99", "cmdb.owner=checkout"],
                tmp)

            # 3. The CSV corrupted: a row with a field too many, then empty.
            if failed_refreshes(eng, csv) != 0:
                e2e.fail("csv: failed refreshes counted before any corruption")
            write_atomically(hosts_csv, CSV_BAD)
            refresh_fails(eng, csv, "a malformed CSV")
            eng.wait_log(r"cannot reload dataset .*line 2.*previous snapshot stays in force",
                         timeout=10)
            sdk(csv, "proto", "csv-malformed", "web-1",
                ["cmdb.rack=r99", "cmdb.owner=checkout"], tmp)
            write_atomically(hosts_csv, "")
            refresh_fails(eng, csv, "an empty CSV")
            sdk(csv, "http", "csv-empty", "web-1", ["cmdb.rack=r99", "cmdb.owner=checkout"],
                tmp)
            if probe(csv) != "r99":
                e2e.fail("csv: the last good row is not served after the corruption")

            # 4. SQLite through extension:db_storage; on_missing tag.
            sdk(dbp, "grpc", "db-web-1", "web-1", ["inv.rack=r12", "inv.owner=payments"], tmp)
            res = sdk(dbp, "proto", "db-unknown", "db-9", [], tmp)
            for a in res:
                if a.get("inv.missing") != {"boolValue": True}:
                    e2e.fail("db-unknown (on_missing: tag): resource %r has no inv.missing=true"
                             % a)
                if "inv.rack" in a or "inv.owner" in a:
                    e2e.fail("db-unknown: an unknown host's resource got columns: %r" % a)
            db.execute("UPDATE hosts SET rack = 'r55', owner = 'ledger' WHERE host = 'web-1'")
            db.commit()
            changed = time.time()
            db.close()
            in_force_within(eng, dbp, changed, "r55", "the updated row")
            sdk(dbp, "http", "db-updated", "web-1", ["inv.rack=r55", "inv.owner=ledger"], tmp)
            if failed_refreshes(eng, dbp) != 0:
                e2e.fail("db: failed refreshes counted before any corruption")
            write_atomically(hosts_db, os.urandom(4096))
            refresh_fails(eng, dbp, "a garbage database")
            refresh_fails(eng, dbp, "a garbage database (the next tick)")
            sdk(dbp, "grpc", "db-garbage", "web-1", ["inv.rack=r55", "inv.owner=ledger"], tmp)

            # 5. on_missing drop: the unknown host's run is Acked, not delivered.
            sdk_unseen(drop, "drop-unknown", "db-9", tmp)
            sdk(drop, "grpc", "drop-web-1", "web-1", ["cmdb.rack=r1", "cmdb.owner=edge"], tmp)
            if resources(drop.received, "drop-unknown"):
                e2e.fail("drop: data of an unknown host arrived")

            m = eng.metrics()
            for p in (csv, dbp, drop):
                if e2e.total(m, "df_processor_enrich_errors_total", pipeline=p.name):
                    e2e.fail("%s: lookups answered error" % p.name)
            if e2e.total(m, "df_extension_refreshes_total", pipeline="db", result="ok") < 3:
                e2e.fail("db: fewer than 3 successful loads at 200ms")
            # The snapshots in force (the last good ones) in the state gauges.
            for p, rows in ((csv, 2), (dbp, 2), (drop, 1)):
                got = e2e.total(m, "df_extension_state_entries", pipeline=p.name)
                size = e2e.total(m, "df_extension_state_bytes", pipeline=p.name)
                if got != rows or not 0 < size < 4096:
                    e2e.fail("%s: df_extension_state_entries %r (want %d), _bytes %r"
                             % (p.name, got, rows, size))
        finally:
            eng.proc.terminate()
        if eng.exit_code() != 0:
            e2e.fail("df_engine exit code %d\n%s" % (eng.proc.returncode, eng.log()))
    print("dataset_sdk: the JS SDK's data enriched from a CSV (file_storage) and a SQLite "
          "(db_storage) dataset; updates in force within 2 s, corrupted datasets keep the last "
          "snapshot and count a failed refresh; on_missing keep, tag and drop (%.1f s)"
          % (time.time() - started))


if __name__ == "__main__":
    main()
