#!/usr/bin/env python3
"""A minimal SMTP sink for the mail benchmark: accepts every message and keeps nothing but
counts and arrival times (no disk, no parsing beyond the SMTP verbs), so that it is not what
limits the measured rate.

  smtp_sink.py serve PORT STATSFILE   serve until SIGTERM, then write
                                      "count first_arrival last_arrival" (Unix seconds)
  smtp_sink.py blast PORT N CONNS     send N small messages over CONNS connections
                                      (lock-step, as lettre does) and print messages/s:
                                      measures the sink alone, client included
"""

import asyncio
import signal
import sys
import time


class Sink(asyncio.Protocol):
    stats = {"count": 0, "first": 0.0, "last": 0.0}

    def connection_made(self, transport):
        self.transport = transport
        self.buffer = b""
        self.in_data = False
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data):
        self.buffer += data
        out = []
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    # Keep only the tail that could start the terminator.
                    if len(self.buffer) > 8:
                        self.buffer = self.buffer[-4:]
                    break
                self.buffer = self.buffer[end + 5 :]
                self.in_data = False
                now = time.time()
                stats = Sink.stats
                if stats["count"] == 0:
                    stats["first"] = now
                stats["count"] += 1
                stats["last"] = now
                out.append(b"250 2.0.0 queued\r\n")
                continue
            line_end = self.buffer.find(b"\r\n")
            if line_end < 0:
                break
            line = self.buffer[:line_end]
            self.buffer = self.buffer[line_end + 2 :]
            verb = line[:4].upper()
            if verb == b"EHLO":
                out.append(b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
            elif verb == b"DATA":
                self.in_data = True
                out.append(b"354 go ahead\r\n")
            elif verb == b"QUIT":
                out.append(b"221 bye\r\n")
                self.transport.write(b"".join(out))
                self.transport.close()
                return
            else:  # HELO, MAIL, RCPT, RSET, NOOP
                out.append(b"250 ok\r\n")
        if out:
            self.transport.write(b"".join(out))


async def serve(port, statsfile):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Sink, "127.0.0.1", port, backlog=1024)
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    loop.add_signal_handler(signal.SIGINT, stop.set_result, None)
    await stop
    server.close()
    s = Sink.stats
    with open(statsfile, "w") as f:
        f.write(f"{s['count']} {s['first']:.6f} {s['last']:.6f}\n")


async def blast(port, n, conns):
    body = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n\r\n" + b"x" * 600 + b"\r\n.\r\n"
    remaining = [n]

    async def one():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await reader.readline()
        writer.write(b"EHLO c\r\n")
        while not (await reader.readline()).startswith(b"250 "):
            pass
        while remaining[0] > 0:
            remaining[0] -= 1
            for command in (b"MAIL FROM:<a@example.org>\r\n", b"RCPT TO:<b@example.org>\r\n", b"DATA\r\n"):
                writer.write(command)
                await reader.readline()
            writer.write(body)
            await reader.readline()
        writer.write(b"QUIT\r\n")
        await reader.readline()
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(conns)))
    elapsed = time.perf_counter() - start
    print(f"{n / elapsed:.0f}")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        asyncio.run(serve(int(sys.argv[2]), sys.argv[3]))
    elif len(sys.argv) == 5 and sys.argv[1] == "blast":
        asyncio.run(blast(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
