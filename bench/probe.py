#!/usr/bin/env python3
"""Start a server, time it until its first successfully served request, optionally babysit it.

    probe.py --info FILE --stdout FILE --stderr FILE --path /discovery/path [--keep] -- CMD ARGS...

The clock starts immediately before the process is spawned and stops when a GET of `--path`
returns 200. The server must print a line "listening on http://HOST:PORT" on stdout (redirected
to --stdout, which this polls). Then one JSON object is written to --info (atomically):
    {"pid": ..., "addr": "HOST:PORT", "start_s": ..., "listen_s": ...}

Without --keep the server is stopped (SIGTERM, SIGKILL after 5 s) and the probe exits 0.
With --keep the probe stays the server's parent until it exits: SIGTERM/SIGINT to the probe are
forwarded (SIGKILL after 5 s), so the caller only has to signal and wait for the probe, and the
server is always reaped. Exits non-zero (killing the server) if the server exits early or does
not answer within --timeout seconds.
"""
import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time

LISTEN = re.compile(rb"listening on http://([^\s/]+)")
proc = None


def stop(p):
    if p is None or p.poll() is not None:
        return
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def on_signal(signum, _frame):
    # Unwind the main thread (releasing Popen's internal locks) and let the handler at the
    # bottom stop the server; stopping it from here could deadlock inside Popen.wait().
    raise SystemExit(128 + signum)


def main():
    global proc
    ap = argparse.ArgumentParser()
    ap.add_argument("--info", required=True)
    ap.add_argument("--stdout", required=True)
    ap.add_argument("--stderr", required=True)
    ap.add_argument("--path", required=True)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("missing command")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    out = open(a.stdout, "wb")
    err = open(a.stderr, "wb")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    out.close()
    err.close()
    deadline = t0 + a.timeout
    name = os.path.basename(cmd[0])

    def check_alive(what):
        if proc.poll() is not None:
            sys.exit(f"probe: {name} exited with status {proc.returncode} before {what} (see {a.stderr})")
        if time.perf_counter() > deadline:
            stop(proc)
            sys.exit(f"probe: {name} did not reach '{what}' within {a.timeout} s (see {a.stderr})")

    addr = None
    with open(a.stdout, "rb") as f:
        buf = b""
        while True:
            buf += f.read()
            m = LISTEN.search(buf)
            if m:
                addr = m.group(1).decode()
                listen_s = time.perf_counter() - t0
                break
            check_alive("listening on")
            time.sleep(0.0005)
    host, port = addr.rsplit(":", 1)
    while True:
        try:
            conn = http.client.HTTPConnection(host, int(port), timeout=2)
            conn.request("GET", a.path)
            resp = conn.getresponse()
            resp.read()
            conn.close()
            if resp.status == 200:
                break
        except OSError:
            pass
        check_alive(f"200 from {a.path}")
        time.sleep(0.0005)
    start_s = time.perf_counter() - t0

    if not a.keep:
        stop(proc)
    info = {"pid": proc.pid, "addr": addr, "start_s": round(start_s, 4), "listen_s": round(listen_s, 4)}
    tmp = a.info + ".tmp"
    with open(tmp, "w") as f:
        json.dump(info, f)
    os.replace(tmp, a.info)
    if a.keep:
        proc.wait()
    return 0


if __name__ == "__main__":
    try:
        main()
    except BaseException:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stop(proc)
        raise
