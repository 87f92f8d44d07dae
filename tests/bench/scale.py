#!/usr/bin/env python3
"""Benchmark (issue 11): computefs against the FUSE floor, at scale.

Run by hand; prints figures and the targets next to them, asserts nothing.
Loopback only. For each N (default 100, 1000, 10000 instances) it starts
computefs-emulator (--instances N --clusters N/20 --page-size P) and:

  mount      computefs started until its first `ls` of the root returns,
             against fetching every page of the list with curl (one curl
             process a page, following nextLink), alternated, medians;
  browse     warm (computefs's cache fresh, cache_ttl=600) medians of
             `ls -l */`, `cat */state`, `find . -type f | xargs cat` and
             `stat` of every file, run in the mount directory, alternating
             computefs and computefs-floor (tests/bench/floor.c: a static
             low-level FUSE server over a snapshot of the same tree, with
             computefs's kernel settings). Before each timed run the
             benchmark sleeps past the entry/attr timeout, so every run
             finds the kernel's entries expired and the daemon warm: what
             a user sees after a second's pause. With each ratio, the
             servers' own CPU time a run (utime+stime, in 10 ms ticks):
             steadier than wall time on a busy machine, it shows what
             computefs adds over the floor; and the host's steal time
             (/proc/stat) over the command's runs: on a virtual machine
             whose host is busy, figures taken with steal above a few
             percent measure the host;
  memory     the daemon's VmRSS (and VmHWM) after the full browse;
  refresh    a second mount with cache_ttl=1: the daemon's CPU time
             (utime+stime of /proc/PID/stat) per listing refresh that
             changes nothing (reads past the TTL trigger them; refreshes
             are counted from the emulator's list requests), against the
             CPU time of parsing the same pages once with cJSON, the
             library computefs parses with (tests/bench/parse_pages.c).

Usage: tests/bench/scale.py [--sizes 100,1000,10000] [--page-size 100]
                            [--rounds R] [--opcodes]
  --opcodes  also mount both with -d once and print how many FUSE requests
             of each kind one run of each command costs (slow; for
             finding where the time goes, not for timing)
The binaries come from $COMPUTEFS_BUILD (default build/); the two bench
helpers are built with it (ninja -C build).
"""
import argparse
import collections
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from emulator import BUILD, Emulator  # noqa: E402
from mount import Mount, is_mounted  # noqa: E402

FLOOR = os.path.join(BUILD, "tests", "bench", "computefs-floor")
PARSE = os.path.join(BUILD, "tests", "bench", "computefs-parse-pages")
CACHE_TTL = 600


def entry_timeout(cache_ttl):
    # fs/main.c: fs.entry_timeout = cache_ttl < 1 ? cache_ttl : 1.0
    return cache_ttl if cache_ttl < 1 else 1.0


COMMANDS = [
    ("ls -l */", "ls -l */ > /dev/null"),
    ("cat */state", "cat */state > /dev/null"),
    ("find -type f | xargs cat",
     "find . -type f -print0 | xargs -0 cat > /dev/null 2>&1; true"),
    ("stat every file",
     "find . -type f -print0 | xargs -0 stat --format=%s > /dev/null"),
]


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def verdict(ok):
    return "ok" if ok else "MISSED"


def wait_mounted(path, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_mounted(path):
            return
        if proc.poll() is not None:
            raise RuntimeError("the server exited %s" % proc.returncode)
        time.sleep(0.001)
    raise RuntimeError("timed out waiting for the mount on " + path)


def unmount(path, proc):
    if is_mounted(path):
        subprocess.run(["fusermount3", "-u", path], check=False)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        subprocess.run(["fusermount3", "-uz", path], check=False)


def start_computefs(emu, mnt, cache_ttl, flags=("-f",), stderr=None):
    """Mount; returns (Mount, seconds to the mount, to the first ls)."""
    m = Mount(emu, mnt, cache_ttl=cache_ttl, flags=flags)
    os.makedirs(mnt, exist_ok=True)
    m.err = stderr or open(m.stderr_path, "w")
    t0 = time.perf_counter()
    m.proc = subprocess.Popen(m.argv, stdout=subprocess.DEVNULL,
                              stderr=m.err)
    wait_mounted(mnt, m.proc)
    t1 = time.perf_counter()
    os.listdir(mnt)
    t2 = time.perf_counter()
    return m, t1 - t0, t2 - t0


def start_floor(snapshot, mnt, timeout, flags=("-f",), stderr=None):
    os.makedirs(mnt, exist_ok=True)
    proc = subprocess.Popen([FLOOR, snapshot, repr(timeout), mnt] +
                            list(flags), stdout=subprocess.DEVNULL,
                            stderr=stderr or subprocess.DEVNULL)
    wait_mounted(mnt, proc)
    return proc


def curl_pages(emu, outdir=None):
    """Every page, one curl each; returns (pages, bytes)."""
    url = emu.url + emu.ws("/computes")
    pages = total = 0
    while url:
        out = subprocess.run(
            ["curl", "-sS", "-H", "Authorization: Bearer " + emu.token, url],
            capture_output=True, check=True).stdout
        if outdir:
            with open(os.path.join(outdir, "%05d.json" % pages), "wb") as f:
                f.write(out)
        pages += 1
        total += len(out)
        url = json.loads(out).get("nextLink")
    return pages, total


def snapshot(mnt, path):
    """Write the tree under @mnt as floor.c reads it; returns
    (entries, bytes of file content, [size mismatches])."""
    entries = nbytes = 0
    bad = []
    with open(path, "wb") as out:
        def rec(kind, st, rel, data=b""):
            out.write(("%s %o %d %d %d %d %s\n" % (
                kind, st.st_mode, st.st_nlink, st.st_mtime_ns // 10**9,
                st.st_mtime_ns % 10**9, len(data), rel)).encode())
            if kind != "D":
                out.write(data + b"\n")

        def walk(d, rel):
            nonlocal entries, nbytes
            for e in os.scandir(d):  # the directory's own order
                r = e.name if rel == "." else rel + "/" + e.name
                st = e.stat(follow_symlinks=False)
                entries += 1
                if stat.S_ISDIR(st.st_mode):
                    rec("D", st, r)
                    walk(e.path, r)
                elif stat.S_ISLNK(st.st_mode):
                    rec("L", st, r, os.readlink(e.path).encode())
                else:
                    data = b""
                    if st.st_mode & stat.S_IRUSR:
                        with open(e.path, "rb") as f:
                            data = f.read()
                        if len(data) != st.st_size:
                            bad.append((r, st.st_size, len(data)))
                    elif st.st_size:
                        data = b"\0" * st.st_size
                    nbytes += len(data)
                    rec("F", st, r, data)
        rec("D", os.lstat(mnt), ".")
        walk(mnt, ".")
    return entries, nbytes, bad


def run_cmd(cmd, cwd):
    t0 = time.perf_counter()
    subprocess.run(cmd, shell=True, cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def host_ticks():
    """(steal, all) ticks of every CPU so far, from /proc/stat: the time a
    virtual machine's CPUs were runnable but the host ran something else.
    Wall and CPU figures taken while it is high are the host's, not ours."""
    f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return f[7] if len(f) > 7 else 0, sum(f)


def proc_cpu(pid):
    """utime + stime of @pid (all threads), in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def list_requests(emu):
    return emu.counters()["routes"].get("list", 0)


OPCODE = re.compile(r"opcode: (\w+)")


def opcode_counts(log_path, start):
    counts = collections.Counter()
    with open(log_path, errors="replace") as f:
        f.seek(start)
        for line in f:
            m = OPCODE.search(line)
            if m:
                counts[m.group(1)] += 1
    return counts


def opcodes(emu, snap, tmp, settle):
    """One run of each command on each server mounted with -d."""
    print("  FUSE requests per run (each server with -d, one run, kernel "
          "entries expired):")
    mc, mf = os.path.join(tmp, "dbg-cfs"), os.path.join(tmp, "dbg-floor")
    lc, lf = os.path.join(tmp, "dbg-cfs.log"), os.path.join(tmp,
                                                            "dbg-floor.log")
    with open(lc, "w") as ec, open(lf, "w") as ef:
        m, _, _ = start_computefs(emu, mc, CACHE_TTL, flags=("-d",),
                                  stderr=ec)
        fp = start_floor(snap, mf, entry_timeout(CACHE_TTL), flags=("-d",),
                         stderr=ef)
        try:
            for name, cmd in COMMANDS:
                row = []
                for d, log in ((mc, lc), (mf, lf)):
                    run_cmd(cmd, d)  # warm
                    time.sleep(settle)
                    start = os.path.getsize(log)
                    run_cmd(cmd, d)
                    time.sleep(0.2)
                    row.append(opcode_counts(log, start))
                kinds = sorted(set(row[0]) | set(row[1]),
                               key=lambda k: -row[0][k])
                print("    %-26s computefs %7d  floor %7d   %s" % (
                    name, sum(row[0].values()), sum(row[1].values()),
                    ", ".join("%s %d/%d" % (k, row[0][k], row[1][k])
                              for k in kinds)))
        finally:
            unmount(mc, m.proc)
            unmount(mf, fp)


def run(n, args, tmp):
    rounds = args.rounds or (9 if n <= 1000 else 3)
    emu = Emulator("--instances", n, "--clusters", n // 20,
                   "--page-size", args.page_size)
    mnt = os.path.join(tmp, "cfs%d" % n)
    fmnt = os.path.join(tmp, "floor%d" % n)
    rmnt = os.path.join(tmp, "refresh%d" % n)
    pagedir = os.path.join(tmp, "pages%d" % n)
    os.makedirs(pagedir)
    m = fp = r = None
    timeout = entry_timeout(CACHE_TTL)
    print("N=%d instances (+%d clusters), page size %d, %d rounds" %
          (n, n // 20, args.page_size, rounds))
    sys.stdout.flush()
    try:
        # -- mount against curl ------------------------------------------
        pages, jbytes = curl_pages(emu, pagedir)
        mounts, readies, curls = [], [], []
        for i in range(rounds):
            t0 = time.perf_counter()
            curl_pages(emu)
            curls.append(time.perf_counter() - t0)
            m, tm, tr = start_computefs(emu, mnt, CACHE_TTL)
            mounts.append(tm)
            readies.append(tr)
            if i < rounds - 1:
                unmount(mnt, m.proc)
                m = None
        rm, cm = median(readies), median(curls)
        # what one curl process costs before its page: start-up, connect
        tiny = []
        for _ in range(5):
            t0 = time.perf_counter()
            subprocess.run(["curl", "-sS", "-o", "/dev/null",
                            emu.url + "/_emulator/requests"], check=True)
            tiny.append(time.perf_counter() - t0)
        net = cm - pages * median(tiny)
        print("  listing: %d pages, %.1f MiB of JSON" %
              (pages, jbytes / 2**20))
        print("  mount (spawn to first ls)  %8.1f ms  (mount syscall at "
              "%.1f ms)" % (rm * 1e3, median(mounts) * 1e3))
        print("  curl, every page           %8.1f ms  (%d curl processes)"
              % (cm * 1e3, pages))
        print("  mount / curl               %8.2fx    target <= 1.2  %s" %
              (rm / cm, verdict(rm / cm <= 1.2)))
        print("    curl less its start-up   %8.1f ms  (%.1f ms a process); "
              "mount / that %.2fx" % (net * 1e3, median(tiny) * 1e3,
                                      rm / net if net > 0 else 0))
        sys.stdout.flush()

        # -- the floor over a snapshot of the same tree --------------------
        snap = os.path.join(tmp, "snap%d" % n)
        entries, fbytes, bad = snapshot(mnt, snap)
        fp = start_floor(snap, fmnt, timeout)
        print("  tree: %d entries, %.1f MiB in files; size != bytes read: "
              "%d%s" % (entries, fbytes / 2**20, len(bad),
                        (" e.g. %s" % (bad[:3],)) if bad else ""))
        print("  warm browse, entry/attr timeout %g s on both (medians, "
              "ms):" % timeout)
        sys.stdout.flush()
        for name, cmd in COMMANDS:
            run_cmd(cmd, mnt)
            run_cmd(cmd, fmnt)
            a, b = [], []
            ca = cb = 0.0
            st0, all0 = host_ticks()
            for _ in range(rounds):
                time.sleep(timeout + 0.05)
                c0 = proc_cpu(m.proc.pid)
                a.append(run_cmd(cmd, mnt))
                ca += proc_cpu(m.proc.pid) - c0
                time.sleep(timeout + 0.05)
                c0 = proc_cpu(fp.pid)
                b.append(run_cmd(cmd, fmnt))
                cb += proc_cpu(fp.pid) - c0
            st1, all1 = host_ticks()
            steal = 100.0 * (st1 - st0) / (all1 - all0) if all1 > all0 \
                else 0.0
            ratios = [x / y for x, y in zip(a, b)]
            ratio = median(ratios)
            target = "target <= 1.2  %s" % verdict(ratio <= 1.2) \
                if n >= 1000 else "(target at 1000+)"
            print("    %-26s computefs %8.1f  floor %8.1f  ratio %5.2fx "
                  "(%.2f-%.2f)  %s" % (name, median(a) * 1e3,
                                       median(b) * 1e3, ratio, min(ratios),
                                       max(ratios), target))
            print("    %-26s   server CPU a run: computefs %.0f ms, floor "
                  "%.0f ms (%.2fx); host steal %.0f%%" % (
                      "", ca / rounds * 1e3, cb / rounds * 1e3,
                      ca / cb if cb else 0, steal))
            sys.stdout.flush()
        rss = proc_status(m.proc.pid, "VmRSS") / 1024
        hwm = proc_status(m.proc.pid, "VmHWM") / 1024
        frss = proc_status(fp.pid, "VmRSS") / 1024
        target = "target <= 32  %s" % verdict(rss <= 32) if n >= 10000 \
            else "(target at 10000)"
        print("  computefs RSS after the browse %7.1f MiB (peak %.1f)  %s"
              % (rss, hwm, target))
        print("    for scale: the listing's JSON %.1f MiB; the floor's RSS "
              "%.1f MiB with every file's bytes" % (jbytes / 2**20, frss))
        sys.stdout.flush()
        if args.opcodes:
            opcodes(emu, snap, tmp, timeout + 0.05)
        unmount(fmnt, fp)
        fp = None
        unmount(mnt, m.proc)
        m = None

        # -- refresh CPU ------------------------------------------------
        ttl = 1.0
        r, _, _ = start_computefs(emu, rmnt, ttl)
        first = sorted(x for x in os.listdir(rmnt) if x[0] != ".")[0]
        time.sleep(0.5)  # let the first listing settle
        refreshes = 3 if n >= 10000 else 5
        cpu0, l0 = proc_cpu(r.proc.pid), list_requests(emu)
        for i in range(refreshes):
            time.sleep(ttl + 0.1)
            with open(os.path.join(rmnt, first, "state"), "rb") as f:
                f.read()
            deadline = time.monotonic() + 60
            while (list_requests(emu) < l0 + pages * (i + 1) and
                   time.monotonic() < deadline):
                time.sleep(0.01)
        time.sleep(0.3)  # the last page parsed and installed
        cpu1, l1 = proc_cpu(r.proc.pid), list_requests(emu)
        done = (l1 - l0) / pages
        per = (cpu1 - cpu0) / done if done else float("nan")
        out = subprocess.run(
            [PARSE, "5"] + sorted(os.path.join(pagedir, p)
                                  for p in os.listdir(pagedir)),
            capture_output=True, text=True, check=True).stdout
        parse = float(re.search(r"parse_cpu_ms=([\d.]+)", out).group(1))
        print("  refresh (nothing changed)  %8.1f ms CPU each (%.1f "
              "refreshes, %d list requests; CPU counted in %g ms ticks)" %
              (per * 1e3, done, l1 - l0,
               1e3 / os.sysconf("SC_CLK_TCK")))
        print("  parse the pages once       %8.1f ms CPU (cJSON_Parse + "
              "cJSON_Delete of every page, in memory)" % parse)
        print("  refresh / parse            %8.2fx    target ~1  %s" %
              (per * 1e3 / parse, verdict(per * 1e3 / parse <= 1.2)))
        sys.stdout.flush()
        unmount(rmnt, r.proc)
        r = None
    finally:
        for mp, p in ((fmnt, fp), (mnt, m and m.proc), (rmnt, r and r.proc)):
            if p:
                unmount(mp, p)
        emu.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--page-size", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=0,
                    help="timed runs of each (default 7, 5, 3 by size)")
    ap.add_argument("--opcodes", action="store_true")
    args = ap.parse_args()
    for exe in (FLOOR, PARSE):
        if not os.access(exe, os.X_OK):
            sys.exit("%s is missing: build with ninja -C %s" % (exe, BUILD))
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cfs-scale-") as tmp:
        for n in [int(s) for s in args.sizes.split(",") if s]:
            run(n, args, tmp)
    print("total %.0f s" % (time.monotonic() - t0))


if __name__ == "__main__":
    main()
