"""A real downstream SMTP server for the integration tests (aiosmtpd).

Each accepted message is written to OUT_DIR as <n>.eml (the DATA content exactly
as received, after dot-unstuffing) plus <n>.json with the envelope. Recipients
whose local part starts with "temp" get 451, "perm" get 550.

usage: sink.py HOST PORT OUT_DIR
"""
import asyncio
import itertools
import json
import os
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.counter = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local.startswith("temp"):
            return "451 4.3.0 try again later"
        if local.startswith("perm"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        base = os.path.join(self.out_dir, f"{os.getpid()}-{n}")
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".json", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos}, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 2.0.0 stored"


class RawSMTP(SMTP):
    pass


def main():
    host, port, out_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.makedirs(out_dir, exist_ok=True)
    handler = Handler(out_dir)
    controller = Controller(
        handler,
        hostname=host,
        port=port,
        decode_data=False,
        data_size_limit=200 * 1024 * 1024,
        server_kwargs={"enable_SMTPUTF8": True},
    )
    controller.start()
    print("ready", flush=True)
    try:
        # Bounded: a test that forgets to stop us does not leave us running forever.
        asyncio.run(asyncio.sleep(600))
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
