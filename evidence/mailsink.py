"""A local SMTP server that accepts every message and keeps it in memory.

Production settings send mail over SMTP (``EMAIL_HOST``); during the evidence run the portal
sends to this sink on 127.0.0.1 instead, so submissions send their real emails and the run
can check that none of them carries anything a client typed. Just enough SMTP for Django's
backend: EHLO/HELO, MAIL, RCPT, DATA (with dot-unstuffing), RSET, NOOP, QUIT. No TLS, no
relaying: messages go nowhere.

The mail outage drill stops it (``stop``: the port refuses connections, conversations in
progress are cut) and starts it again on the same port (``start``), and counts what arrived
by ``Message-ID`` (``message_ids``): the portal gives every email its outbox row's id, so a
message that left twice is counted twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import threading
from collections import Counter
from email.message import Message
from types import TracebackType


class MailSink:
    """``with MailSink() as sink:`` listens on ``sink.port`` until the block ends;
    ``sink.messages`` holds every message received, as bytes. ``stop()`` and ``start()``
    close and reopen the listening socket on the same port in between."""

    def __init__(self) -> None:
        self.port = 0
        self.messages: list[bytes] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stopped = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.StreamWriter] = set()
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

    @property
    def listening(self) -> bool:
        """Whether the port accepts connections now."""
        return self._server is not None

    def stop(self) -> None:
        """Stop listening: new connections are refused and conversations in progress are
        cut (a message whose DATA had not ended is not kept). ``start`` reopens the port."""
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(10)

    def start(self) -> None:
        """Listen again on the same port (after ``stop``)."""
        asyncio.run_coroutine_threadsafe(self._listen(self.port), self._loop).result(10)

    def message_ids(self, since: int = 0) -> Counter[str]:
        """How many times each ``Message-ID`` arrived (messages from index ``since`` on;
        a message without one counts under ``""``)."""
        return Counter(str(email.message_from_bytes(raw).get("Message-ID", "")).strip()
                       for raw in list(self.messages)[since:])

    def _serve(self) -> None:
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        await self._listen(0)
        self._ready.set()
        await self._stopped.wait()
        await self._close()

    async def _listen(self, port: int) -> None:
        if self._server is not None:
            return
        # SO_REUSEADDR (asyncio's default on POSIX): the port is taken again at once, even
        # with the last conversations' sockets still in TIME_WAIT.
        self._server = await asyncio.start_server(self._session, "127.0.0.1", port,
                                                  reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for writer in list(self._sessions):
            writer.close()
        await server.wait_closed()

    async def _session(self, reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> None:
        """One SMTP conversation, bounded: 30 s per line, at most 100,000 lines."""
        self._sessions.add(writer)
        try:
            await self._converse(reader, writer)
        finally:
            self._sessions.discard(writer)
            writer.close()

    async def _converse(self, reader: asyncio.StreamReader,
                        writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            writer.write(b"220 evidence mail sink\r\n")
            data: list[bytes] | None = None
            for _ in range(100_000):
                await writer.drain()
                line = await asyncio.wait_for(reader.readline(), 30)
                if not line or writer.is_closing():
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


def readable_text(raw: bytes) -> str:
    """A message's headers and every part's decoded body, as one string to search."""
    message: Message = email.message_from_bytes(raw)
    parts = [str(value) for value in message.values()]
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            parts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(parts)
