#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A fake QEMU QMP peer for ovcd's tests (python3 standard library only).

Listens on a unix socket, serves each connection in a thread, and appends
one line per event to a log file: "connect", then "<command> <arguments
as compact JSON>" for each command received.  --mode picks the behaviour:

  normal   greeting, capabilities, balloon, query-balloon, qom-list,
           qom-set, qom-get guest-stats; an event before every reply, and
           every message written in two pieces to test the framing
  nostats  as normal, but guest-stats as QEMU sends them before the guest
           driver reported anything (last-update 0, all ones)
  slow     as normal, each reply 0.5 s late (within ovcd's timeout)
  drop     greeting, then close the connection
  garbage  greeting, then malformed JSON as the answer to anything
  error    greeting, capabilities, then {"error": ...} to every command
  badtype  as normal, but query-balloon's "actual" is a string
  hang     accept, then say nothing, ever
  chatty   greeting, capabilities, then events every 0.3 s and no answer
"""
import argparse
import json
import os
import socket
import threading
import time

GREETING = {"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7},
                                "package": "fake"}, "capabilities": ["oob"]}}
PERIPHERAL = [{"name": "type", "type": "string"}]
PERIPHERAL_ANON = [{"name": "type", "type": "string"},
                   {"name": "device[0]", "type": "child<virtio-balloon-pci>"}]


class Peer:
    def __init__(self, args):
        self.args = args
        self.actual = args.ram
        self.lock = threading.Lock()

    def log(self, line):
        with self.lock, open(self.args.log, "a") as f:
            f.write(line + "\n")

    def send(self, conn, obj, split=False):
        data = (json.dumps(obj) + "\r\n").encode()
        if split:
            conn.sendall(data[:len(data) // 2])
            time.sleep(0.01)
            data = data[len(data) // 2:]
        conn.sendall(data)

    def answer(self, cmd, args):
        mode = self.args.mode
        if mode == "error" and cmd != "qmp_capabilities":
            return {"error": {"class": "GenericError", "desc": "fake failure"}}
        if cmd == "qmp_capabilities":
            return {"return": {}}
        if cmd == "balloon":
            self.actual = min(args["value"], self.args.ram)
            return {"return": {}}
        if cmd == "query-balloon":
            return {"return": {"actual": "lots" if mode == "badtype" else self.actual}}
        if cmd == "qom-list":
            dirs = {"/machine/peripheral": PERIPHERAL,
                    "/machine/peripheral-anon": PERIPHERAL_ANON}
            if args.get("path") in dirs:
                return {"return": dirs[args["path"]]}
        if cmd == "qom-set":
            return {"return": {}}
        if cmd == "qom-get" and args.get("property") == "guest-stats":
            if mode == "nostats":
                ones = 2 ** 64 - 1
                return {"return": {"stats": {"stat-free-memory": ones,
                                             "stat-total-memory": ones},
                                   "last-update": 0}}
            return {"return": {"stats": {"stat-free-memory": self.args.free,
                                         "stat-total-memory": self.args.ram},
                               "last-update": int(time.time())}}
        return {"error": {"class": "CommandNotFound", "desc": "not faked: " + cmd}}

    def serve(self, conn):
        mode = self.args.mode
        self.log("connect")
        if mode == "hang":
            time.sleep(3600)
            return
        self.send(conn, GREETING)
        if mode == "drop":
            return
        f = conn.makefile("rb")
        for line in f:
            msg = json.loads(line)
            cmd, args = msg["execute"], msg.get("arguments", {})
            self.log(cmd + " " + json.dumps(args, separators=(",", ":"), sort_keys=True))
            if mode == "garbage":
                conn.sendall(b'{"return": {"actual": }\r\n')
                continue
            if mode == "slow":
                time.sleep(0.5)
            while mode == "chatty" and cmd != "qmp_capabilities":
                self.send(conn, {"event": "RTC_CHANGE", "data": {"offset": 0},
                                 "timestamp": {"seconds": 0, "microseconds": 0}})
                time.sleep(0.3)
            self.send(conn, {"event": "BALLOON_CHANGE", "data": {"actual": self.actual},
                             "timestamp": {"seconds": 0, "microseconds": 0}})
            self.send(conn, self.answer(cmd, args), split=True)

    def handle(self, conn):
        try:
            self.serve(conn)
        except (OSError, ValueError, KeyError):
            pass
        finally:
            conn.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--socket", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--mode", default="normal")
    p.add_argument("--ram", type=int, default=256 << 20)
    p.add_argument("--free", type=int, default=100 << 20)
    args = p.parse_args()
    peer = Peer(args)
    if os.path.exists(args.socket):
        os.unlink(args.socket)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(args.socket)
    srv.listen(8)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=peer.handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
