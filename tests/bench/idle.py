#!/usr/bin/env python3
"""Opens N keep-alive connections to a server, each answered once (GET
/health), spread over several loopback source addresses (the server limits
connections per client address), holds them idle, and prints the server's
VmRSS, thread count and open descriptors before, while and after.

    idle.py PORT PID [N] [HOLD_SECONDS]
"""
import socket
import sys
import time


def proc(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "Threads"):
                out[k] = int(v.split()[0])
    try:
        import os
        out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        out["fds"] = -1
    return out


def main():
    port, pid = int(sys.argv[1]), int(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    hold = float(sys.argv[4]) if len(sys.argv) > 4 else 5
    per_address = 200
    before = proc(pid)
    socks, failed = [], 0
    req = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    for i in range(n):
        src = "127.0.%d.%d" % (1 + i // per_address // 250, 1 + (i // per_address) % 250)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((src, 0))
            s.settimeout(10)
            s.connect(("127.0.0.1", port))
            s.sendall(req)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    raise OSError("closed")
                data += chunk
            if not data.startswith(b"HTTP/1.1 200"):
                raise OSError(data[:40])
            socks.append(s)
        except OSError:
            failed += 1
            s.close()
    time.sleep(hold)
    during = proc(pid)
    alive = 0
    for s in socks:
        try:
            s.sendall(req)
            if s.recv(4096).startswith(b"HTTP/1.1 200"):
                alive += 1
        except OSError:
            pass
    for s in socks:
        s.close()
    time.sleep(1)
    after = proc(pid)
    print(f"IDLE_RESULT opened={len(socks)} failed={failed} still_served={alive} "
          f"rss_before_kib={before['VmRSS']} rss_idle_kib={during['VmRSS']} "
          f"rss_after_kib={after['VmRSS']} hwm_kib={after['VmHWM']} "
          f"threads_before={before['Threads']} threads_idle={during['Threads']} "
          f"threads_after={after['Threads']} fds_idle={during['fds']}")


if __name__ == "__main__":
    main()
