"""The evidence runner's mail sink (``evidence.mailsink``) as the mail outage drill uses it:
stopped, it refuses connections; started again, it listens on the same port; it counts what
arrived by Message-ID, so an email that left twice shows as two. Spoken to by a real SMTP
client (``smtplib``), as the portal's workers speak to it."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from evidence.mailsink import MailSink


def _send(port: int, message_id: str) -> None:
    message = EmailMessage()
    message["From"] = "portal@evidence.test"
    message["To"] = "someone@evidence.test"
    message["Subject"] = "Something is waiting"
    message["Message-ID"] = message_id
    message.set_content("A line.\n.A line starting with a dot.\n")
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
        client.send_message(message)


def test_the_sink_stops_refusing_and_comes_back_on_the_same_port() -> None:
    with MailSink() as sink:
        port = sink.port
        _send(port, "<one@intake-portal>")

        sink.stop()
        assert not sink.listening
        with pytest.raises(OSError):
            _send(port, "<two@intake-portal>")

        sink.start()
        assert sink.listening
        assert sink.port == port
        _send(port, "<two@intake-portal>")
        _send(port, "<two@intake-portal>")

        counted = sink.message_ids()
        assert counted == {"<one@intake-portal>": 1, "<two@intake-portal>": 2}
        assert sink.message_ids(since=1) == {"<two@intake-portal>": 2}
        assert b"\n.A line starting with a dot." in sink.messages[0]


def test_stopping_cuts_a_conversation_in_progress() -> None:
    with MailSink() as sink:
        client = smtplib.SMTP("127.0.0.1", sink.port, timeout=5)
        client.ehlo()
        client.mail("portal@evidence.test")
        sink.stop()
        with pytest.raises((smtplib.SMTPServerDisconnected, OSError)):
            client.rcpt("someone@evidence.test")
            client.data(b"Message-ID: <cut@intake-portal>\r\n\r\nHello\r\n")
        client.close()
        sink.start()
        assert sink.message_ids() == {}
