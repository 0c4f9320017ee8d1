"""Connection-time cost of the shared counters: opens connections at RATE per
second for SECONDS from SOURCE (a 127.0.0.0/8 address) to HOST:PORT, measures
the time from connect() to the first byte of the greeting and QUITs. Prints one
JSON line: connections, p50/p99/max in ms, refused count.

usage: connection_rate.py HOST PORT SOURCE RATE SECONDS
"""
import json
import socket
import sys
import threading
import time


def one(host, port, source, results):
    started = time.perf_counter()
    try:
        sock = socket.create_connection((host, port), timeout=10, source_address=(source, 0))
        first = sock.recv(512)
        elapsed = (time.perf_counter() - started) * 1000
        sock.sendall(b"QUIT\r\n")
        sock.close()
        results.append((elapsed, first.startswith(b"421")))
    except OSError:
        results.append((None, False))


def main():
    host, port, source, rate, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
    results, threads = [], []
    interval = 1.0 / rate
    start = time.perf_counter()
    for n in range(int(rate * seconds)):
        delay = start + n * interval - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=one, args=(host, port, source, results))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    times = sorted(t for t, _ in results if t is not None)
    pick = lambda q: round(times[min(len(times) - 1, int(q * len(times)))], 2) if times else None
    print(json.dumps({
        "connections": len(results),
        "p50_ms": pick(0.50),
        "p99_ms": pick(0.99),
        "max_ms": round(times[-1], 2) if times else None,
        "refused": sum(1 for _, refused in results if refused),
        "failed": sum(1 for t, _ in results if t is None),
    }))


if __name__ == "__main__":
    main()
