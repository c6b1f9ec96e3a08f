"""A real SMTP server for the tests: every message it accepts is written, as received,
to DIR/<n>.eml; messages to addresses starting with "refuse" are refused with a 550 at
the end of DATA. Usage: smtp_sink.py PORT DIR"""
import asyncio
import itertools
import os
import signal
import sys

from aiosmtpd.controller import Controller


class SaveToDir:
    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count(len(os.listdir(directory)))

    async def handle_DATA(self, server, session, envelope):
        # A mailbox that does not exist, refused at the end of the message as many
        # servers do once they have read it.
        if any(rcpt.startswith("refuse") for rcpt in envelope.rcpt_tos):
            return "550 5.1.1 No such mailbox here"
        path = os.path.join(self.directory, f"{next(self.counter):04d}.eml")
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.replace(tmp, path)
        return "250 Message accepted for delivery"


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    controller = Controller(SaveToDir(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


if __name__ == "__main__":
    main()
