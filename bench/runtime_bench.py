#!/usr/bin/env python3
"""Runtime benchmark: receiver:traffic_generator -> processor:batch ->
exporter:noop on 1 and on 2 cores, plus idle memory.

    bench/runtime_bench.py [--engine build/df_engine] [--seconds 5] [--runs 3]

Throughput is read from the engine's own counters (df_node_items_received_total
of the exporter) over a measured window after a warm-up, so start-up and
payload generation are not counted. Scenarios:

  passthrough  300-byte log bodies, 512 per request, batch send_batch_size 512:
               the shape of the issue's target (requests already at batch
               size pass through the batch processor without a copy)
  merge        the same logs in requests of 64, merged by the batch processor
               into batches of 512 (each batch copies eight requests)

Each figure is the median of --runs runs; the 2-core/1-core ratio is taken
between medians measured in the same invocation, on the same machine.

Idle RSS is the process's resident memory with the pipeline running but no
traffic (max_signal_count: 0), on 1 and on 2 cores.
"""
import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

CONFIG = """version: otel_dataflow/v1
groups:
  bench:
    pipelines:
      p:
        nodes:
          gen:
            type: receiver:traffic_generator
            config:
              traffic_config:
                {limit}
                max_batch_size: {batch}
                log_weight: 1
                metric_weight: 0
                trace_weight: 0
                log_body_size_bytes: 300
                num_attributes: 4
          batch:
            type: processor:batch
            config: {{send_batch_size: 512, timeout: 200ms}}
          noop:
            type: exporter:noop
        connections:
          - {{from: gen, to: batch}}
          - {{from: batch, to: noop}}
"""


def start(engine, tmp, text, cores):
    path = os.path.join(tmp, "bench.yaml")
    with open(path, "w") as f:
        f.write(text)
    log = open(os.path.join(tmp, "engine.log"), "w+")
    proc = subprocess.Popen([engine, "-c", path, "--num-cores", str(cores),
                             "--http-admin-bind", "127.0.0.1:0"],
                            stdout=subprocess.DEVNULL, stderr=log)
    port = None
    for _ in range(500):
        log.seek(0)
        m = re.search(r"admin API listening on 127\.0\.0\.1:(\d+)", log.read())
        if m:
            port = int(m.group(1))
            break
        time.sleep(0.01)
    if not port:
        proc.kill()
        sys.exit("engine did not start")
    url = "http://127.0.0.1:%d" % port
    for _ in range(500):
        try:
            if urllib.request.urlopen(url + "/api/v1/readyz", timeout=2).status == 200:
                return proc, url
        except Exception:
            pass
        time.sleep(0.01)
    proc.kill()
    sys.exit("engine did not become ready")


def metric(url, name, node=None):
    body = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
    total = 0.0
    for line in body.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            if node and 'node="%s"' % node not in line:
                continue
            total += float(line.rsplit(" ", 1)[1])
    return total


def stop(proc):
    proc.terminate()
    proc.wait(timeout=60)


def throughput(engine, tmp, batch, cores, seconds):
    proc, url = start(engine, tmp, CONFIG.format(limit="", batch=batch), cores)
    time.sleep(1.0)  # warm-up
    t0, n0 = time.time(), metric(url, "df_node_items_received_total", "noop")
    cpu0 = metric(url, "df_process_cpu_seconds_total")
    time.sleep(seconds)
    t1, n1 = time.time(), metric(url, "df_node_items_received_total", "noop")
    cpu1 = metric(url, "df_process_cpu_seconds_total")
    rss = metric(url, "df_process_resident_memory_bytes")
    stop(proc)
    return (n1 - n0) / (t1 - t0), (cpu1 - cpu0) / (t1 - t0), rss


def idle_rss(engine, tmp, cores):
    proc, url = start(engine, tmp, CONFIG.format(limit="max_signal_count: 0", batch=512), cores)
    time.sleep(0.5)
    rss = metric(url, "df_process_resident_memory_bytes")
    stop(proc)
    return rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", default="build/df_engine")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    ncpu = len(os.sched_getaffinity(0))
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            model = m.group(1) if m else model
    except OSError:
        pass
    print("machine: %s, %d cores available, %s %s" % (model, ncpu, platform.system(),
                                                      platform.release()))
    print("date: %s" % time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    print()
    print("%d runs of %.0f s each; medians" % (args.runs, args.seconds))
    print()
    print("| scenario | cores | logs/s | ratio to 1 core | CPU (cores) | RSS MiB |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, batch in (("passthrough", 512), ("merge", 64)):
            one = None
            for cores in (1, 2):
                if cores > ncpu:
                    continue
                runs = sorted(throughput(args.engine, tmp, batch, cores, args.seconds)
                              for _ in range(args.runs))
                rate, cpu, rss = runs[len(runs) // 2]
                one = one or rate
                print("| %s (requests of %d) | %d | %.3g | %.2f | %.2f | %.1f |"
                      % (name, batch, cores, rate, rate / one, cpu, rss / 1048576), flush=True)
        print()
        r1 = idle_rss(args.engine, tmp, 1)
        print("idle RSS, 1 core: %.1f MiB (target <= 12 MiB)" % (r1 / 1048576))
        if ncpu >= 2:
            r2 = idle_rss(args.engine, tmp, 2)
            print("idle RSS, 2 cores: %.1f MiB (target <= 14 MiB); per added core: %.2f MiB"
                  % (r2 / 1048576, (r2 - r1) / 1048576))


if __name__ == "__main__":
    main()
