#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""balloon_qmp.py: the measuring half of bench/balloon, run in the test VM.

One balloon cycle on a running nested guest (memtest ovc_mode=balloon, which
has filled and freed nearly all its memory and waits for "go" on ttyS1):

  1. inflate: QMP "balloon" to RAM - INFLATE; sample the host memory the
     guest holds every 10 ms until query-balloon shows the target and the
     memory has not moved for 1 s;
  2. deflate: "balloon" to RAM, until query-balloon shows it;
  3. refill: "go" to the guest, which touches nearly all its memory again;
     sample until it prints OVC-GUEST-TOUCHED <pages> <ms>.

The host memory is either an ovc VM's resident_pages (--mem ovc:<sysfs dir>)
or the RssAnon of a QEMU on anonymous memory (--mem rss:<pid>).  Prints
"bench: label=... key=value ..." lines (MiB, seconds, MiB/s) and, with
--samples, the time series as "sample:" lines.  Exit status 1 on a timeout
or a QMP error, with a "bench: error ..." line.
"""
import argparse
import json
import os
import socket
import sys
import time

MiB = 1 << 20


class Qmp:
    def __init__(self, path, timeout):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.recv()  # greeting
        self.cmd("qmp_capabilities")

    def recv(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise RuntimeError("QMP connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            r = self.recv()
            if "event" in r:
                continue
            if "error" in r:
                raise RuntimeError(f"{name}: {r['error'].get('desc', r['error'])}")
            return r.get("return")


def host_mem(spec):
    """Bytes of host memory the guest holds, by --mem."""
    kind, _, arg = spec.partition(":")
    if kind == "ovc":
        with open(f"{arg}/resident_pages") as f:
            return int(f.read()) * 4096
    with open(f"/proc/{arg}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no RssAnon in /proc/{arg}/status")


def mem_free():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemFree:"):
                return int(line.split()[1]) * 1024
    return 0


def guest_marker(log, marker):
    """The fields of the guest's marker line, once the whole line is there."""
    try:
        with open(log, "rb") as f:
            text = f.read().decode(errors="replace")
    except OSError:
        return None
    for line in text.split("\n")[:-1]:  # the last one may be half written
        if marker in line:
            return line[line.index(marker):].split()
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", required=True)
    ap.add_argument("--qmp", required=True)
    ap.add_argument("--mem", required=True, help="ovc:<vms/<id> dir> or rss:<pid>")
    ap.add_argument("--ram-mib", type=int, required=True)
    ap.add_argument("--inflate-mib", type=int, required=True)
    ap.add_argument("--ctl", required=True, help="the guest's ttyS1 pipe (QEMU's <path>.in)")
    ap.add_argument("--log", required=True, help="the guest's console log")
    ap.add_argument("--timeout", type=float, default=300, help="seconds per phase")
    ap.add_argument("--samples", action="store_true")
    a = ap.parse_args()

    ram = a.ram_mib * MiB
    target = ram - a.inflate_mib * MiB
    out = {"label": a.label, "ram_mib": a.ram_mib, "inflate_mib": a.inflate_mib}

    def sample(phase, t0, series):
        t = time.monotonic() - t0
        m = host_mem(a.mem)
        series.append((t, m))
        if a.samples:
            print(f"sample: {a.label} {phase} {t:.3f} {m // 4096}")
        return t, m

    def fail(msg):
        print(f"bench: error label={a.label} {msg}")
        sys.stdout.flush()
        sys.exit(1)

    try:
        q = Qmp(a.qmp, 10)
    except (OSError, RuntimeError, ValueError) as e:
        fail(f"cannot talk QMP on {a.qmp}: {e}")

    try:
        # 1: inflate.
        m0, free0 = host_mem(a.mem), mem_free()
        series = []
        t0 = time.monotonic()
        q.cmd("balloon", value=target)
        t_actual = None
        last_change, last_m = 0.0, m0
        while True:
            t, m = sample("inflate", t0, series)
            if m != last_m:
                last_change, last_m = t, m
            if t_actual is None and q.cmd("query-balloon")["actual"] <= target:
                t_actual = t
            if t_actual is not None and t - last_change >= 1.0:
                break
            if t > a.timeout:
                fail(f"inflate: balloon actual {q.cmd('query-balloon')['actual'] // MiB} MiB, "
                     f"target {target // MiB} MiB after {a.timeout:.0f}s")
            time.sleep(0.01)
        m1 = last_m
        freed = m0 - m1
        # The inflation's end: the last sample before the memory settled.
        t_end = max(last_change, 1e-3)
        t90 = next((t for t, m in series if m0 - m >= 0.9 * freed), t_end) if freed > 0 else 0
        out.update(before_mib=f"{m0 / MiB:.1f}", freed_mib=f"{freed / MiB:.1f}",
                   inflate_s=f"{t_end:.3f}", inflate_t90_s=f"{t90:.3f}",
                   inflate_actual_s=f"{t_actual:.3f}",
                   inflate_mib_s=f"{freed / MiB / t_end:.1f}",
                   inflate_memfree_mib=f"{(mem_free() - free0) / MiB:.1f}")

        # 2: deflate (the host does nothing until the guest touches the pages).
        t0 = time.monotonic()
        q.cmd("balloon", value=ram)
        while q.cmd("query-balloon")["actual"] < ram:
            if time.monotonic() - t0 > a.timeout:
                fail(f"deflate: not done after {a.timeout:.0f}s")
            time.sleep(0.01)
        out["deflate_s"] = f"{time.monotonic() - t0:.3f}"

        # 3: refill: the guest touches nearly all its memory again.
        m2, free2 = host_mem(a.mem), mem_free()
        series = []
        # Non-blocking: fails (ENXIO) rather than hangs if QEMU is gone.
        fd = os.open(a.ctl, os.O_WRONLY | os.O_NONBLOCK)
        os.write(fd, b"go\n")
        os.close(fd)
        t0 = time.monotonic()
        while True:
            t, m = sample("refill", t0, series)
            mark = guest_marker(a.log, "OVC-GUEST-TOUCHED")
            if mark:
                break
            if guest_marker(a.log, "OVC-GUEST-FAIL"):
                fail("refill: the guest failed: " + " ".join(guest_marker(a.log, "OVC-GUEST-FAIL")))
            if t > a.timeout:
                fail(f"refill: no OVC-GUEST-TOUCHED after {a.timeout:.0f}s")
            time.sleep(0.01)
        m3 = host_mem(a.mem)
        refilled = m3 - m2
        touch_s = int(mark[2]) / 1000 if len(mark) > 2 else t
        out.update(refilled_mib=f"{refilled / MiB:.1f}", touched_mib=f"{int(mark[1]) / 256:.0f}",
                   refill_s=f"{touch_s:.3f}", refill_wall_s=f"{t:.3f}",
                   refill_mib_s=f"{refilled / MiB / touch_s:.1f}",
                   refill_memfree_mib=f"{(free2 - mem_free()) / MiB:.1f}")
    except (OSError, RuntimeError, ValueError, KeyError, TypeError) as e:
        fail(f"QMP: {e}")

    print("bench: " + " ".join(f"{k}={v}" for k, v in out.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
