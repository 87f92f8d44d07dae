#!/usr/bin/env python3
"""Benchmark: browsing a workspace through computefs against a baseline.

Prints figures, asserts nothing. Everything runs on loopback against the
emulator. For N instances it measures, in the same run:

  baseline   fetching the whole listing straight from the emulator with
             curl (every page): the least any client must spend
  cold       `ls -l` + `cat */state` on the mount right after SIGHUP
             (the cache is empty: one list traversal)
  warm       the same again inside the TTL (no request at all)

and the daemon's resident memory against the size of the listing's JSON.
Usage: tests/bench/browse.py [N ...]   (default: 200 2000)
"""
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from emulator import Emulator as Emu  # noqa: E402
from mount import Mount, wait_for  # noqa: E402


def timed(fn, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def curl_all(emu):
    url = emu.url + emu.ws("/computes")
    total = 0
    while url:
        out = subprocess.run(
            ["curl", "-sS", "-H", "Authorization: Bearer " + emu.token, url],
            capture_output=True, check=True).stdout
        total += len(out)
        url = json.loads(out).get("nextLink")
    return total


def browse(path):
    subprocess.run("ls -l %s > /dev/null && cat %s/*/state > /dev/null" %
                   (path, path), shell=True, check=True)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def run(n, tmp):
    emu = Emu("--instances", str(n), "--clusters", str(n // 20),
              "--page-size", "100")
    mnt = os.path.join(tmp, "ws%d" % n)
    m = Mount(emu, mnt, cache_ttl=600)
    try:
        m.start()
        json_bytes = curl_all(emu)
        base = timed(lambda: curl_all(emu))

        def cold():
            m.proc.send_signal(signal.SIGHUP)
            time.sleep(0.05)  # let the signal thread drop the cache
            browse(mnt)
        cold_t = timed(cold) - 0.05
        warm_t = timed(lambda: browse(mnt))
        emu.reset()
        browse(mnt)
        warm_requests = emu.counters()["total"]
        rss = rss_kib(m.proc.pid)
        print("instances=%d  listing=%.0f KiB" % (n, json_bytes / 1024))
        print("  baseline curl all pages   %8.1f ms" % (base * 1e3))
        print("  cold ls -l + cat state    %8.1f ms  (%.2fx baseline)" %
              (cold_t * 1e3, cold_t / base))
        print("  warm ls -l + cat state    %8.1f ms  (%.2fx baseline, "
              "%d requests)" % (warm_t * 1e3, warm_t / base, warm_requests))
        print("  daemon RSS                %8d KiB (%.1fx the listing JSON)"
              % (rss, rss * 1024 / json_bytes))
    finally:
        m.stop()
        emu.stop()


def main():
    import tempfile
    sizes = [int(a) for a in sys.argv[1:]] or [200, 2000]
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            run(n, tmp)


if __name__ == "__main__":
    main()
