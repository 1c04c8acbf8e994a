"""A local SMTP server that accepts every message and keeps it in memory.

Production settings send mail over SMTP (``EMAIL_HOST``); during the evidence run the portal
sends to this sink on 127.0.0.1 instead, so submissions send their real emails and the run
can check that none of them carries anything a client typed. Just enough SMTP for Django's
backend: EHLO/HELO, MAIL, RCPT, DATA (with dot-unstuffing), RSET, NOOP, QUIT. No TLS, no
relaying: messages go nowhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import threading
from email.message import Message
from types import TracebackType


class MailSink:
    """``with MailSink() as sink:`` listens on ``sink.port`` until the block ends;
    ``sink.messages`` holds every message received, as bytes."""

    def __init__(self) -> None:
        self.port = 0
        self.messages: list[bytes] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stopped = asyncio.Event()
        self._thread = threading.Thread(target=self._serve, name="mail-sink", daemon=True)

    def __enter__(self) -> MailSink:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("The mail sink did not start.")
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(10)

    def _serve(self) -> None:
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stopped.wait()

    async def _session(self, reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> None:
        """One SMTP conversation, bounded: 30 s per line, at most 100,000 lines."""
        with contextlib.suppress(TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            writer.write(b"220 evidence mail sink\r\n")
            data: list[bytes] | None = None
            for _ in range(100_000):
                await writer.drain()
                line = await asyncio.wait_for(reader.readline(), 30)
                if not line:
                    break
                if data is not None:
                    if line.rstrip(b"\r\n") == b".":
                        self.messages.append(b"".join(data))
                        data = None
                        writer.write(b"250 kept\r\n")
                    else:
                        data.append(line[1:] if line.startswith(b"..") else line)
                    continue
                verb = line[:4].upper()
                if verb == b"EHLO":
                    writer.write(b"250-evidence\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                elif verb == b"DATA":
                    data = []
                    writer.write(b"354 go on\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 bye\r\n")
                    await writer.drain()
                    break
                else:
                    writer.write(b"250 ok\r\n")
        writer.close()


def readable_text(raw: bytes) -> str:
    """A message's headers and every part's decoded body, as one string to search."""
    message: Message = email.message_from_bytes(raw)
    parts = [str(value) for value in message.values()]
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            parts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(parts)
