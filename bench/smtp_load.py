"""SMTP load generator for bench/gateway.sh.

Sends FILES (corpus messages) over CONNECTIONS persistent SMTP sessions to
HOST:PORT and prints messages/second plus the p50/p99 time from the end of DATA
(the final dot sent) to the server's reply, as one JSON line.

usage: smtp_load.py HOST PORT CONNECTIONS COUNT RCPT FILE...
Files are sent in turn until COUNT messages went out; line ends are made CRLF and
lines starting with a dot are stuffed, as an MTA would.
"""
import json
import re
import socket
import sys
import threading
import time


def prepare(raw):
    if raw.startswith(b"From "):
        raw = raw.split(b"\n", 1)[1] if b"\n" in raw else b""
    raw = re.sub(rb"\r?\n", b"\r\n", raw)
    if not raw.endswith(b"\r\n"):
        raw += b"\r\n"
    raw = re.sub(rb"(?m)^\.", b"..", raw)
    return raw + b".\r\n"


class Session:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=60)
        self.buf = b""
        self.reply()
        self.command(b"EHLO bench.example\r\n")

    def reply(self):
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("server closed")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3])

    def command(self, line):
        self.sock.sendall(line)
        return self.reply()

    def send(self, rcpt, payload):
        codes = [self.command(b"MAIL FROM:<bench@example.org>\r\n"),
                 self.command(b"RCPT TO:<" + rcpt.encode() + b">\r\n"),
                 self.command(b"DATA\r\n")]
        if codes[2] != 354:
            self.command(b"RSET\r\n")
            return None, codes
        self.sock.sendall(payload)
        start = time.perf_counter()
        code = self.reply()
        return time.perf_counter() - start, code


def main():
    host, port, connections, count, rcpt = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    payloads = [prepare(open(name, "rb").read()) for name in sys.argv[6:]]
    latencies, codes, lock = [], {}, threading.Lock()
    counter = iter(range(count))

    def worker():
        session = Session(host, port)
        for n in counter:
            latency, code = session.send(rcpt, payloads[n % len(payloads)])
            with lock:
                codes[str(code)] = codes.get(str(code), 0) + 1
                if latency is not None:
                    latencies.append(latency)
        session.command(b"QUIT\r\n")

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    pick = lambda q: round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 2) if latencies else None
    print(json.dumps({"messages": count, "seconds": round(elapsed, 2), "per_second": round(count / elapsed, 1),
                      "p50_ms": pick(0.50), "p99_ms": pick(0.99), "replies": codes}))


if __name__ == "__main__":
    main()
