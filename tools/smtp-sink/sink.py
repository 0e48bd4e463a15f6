"""A real SMTP server for the tests: every mail it receives is written as one JSON
file ({"from", "to", "data"}) into OUTDIR. Prints its port on the first line of stdout,
then serves until killed or until its stdin closes.

Usage: python3 sink.py OUTDIR
"""
import json
import os
import socket
import sys
import time

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, outdir):
        self.outdir = outdir
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = os.path.join(self.outdir, f"{time.time_ns()}-{self.count}.json")
        mail = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "data": envelope.content.decode("utf-8", "replace"),
        }
        with open(path + ".tmp", "w") as f:
            json.dump(mail, f)
        os.rename(path + ".tmp", path)  # readers never see a half-written mail
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    outdir = sys.argv[1]
    port = free_port()
    controller = Controller(Handler(outdir), hostname="127.0.0.1", port=port)
    controller.start()
    print(port, flush=True)
    try:
        sys.stdin.read()  # the test closes our stdin (or kills us) when it is done
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
