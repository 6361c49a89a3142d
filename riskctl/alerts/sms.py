"""SMS backends: ``twilio`` (the real client) and ``console`` (development).

A backend either accepts a message (``Accepted``) or raises what the dispatcher must do
next: ``Retry`` (the provider refused for now — 429 — or the request never left),
``Unknown`` (a timeout or a 5xx after the request left: the message may exist, so it is
reconciled with ``find`` before any resend) or ``Refused`` (for good: a bad number).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Accepted:
    sid: str
    status: str  # the provider's status when it answered (queued, sent ...)


class SmsProblem(Exception):
    def __init__(self, message: str, *, http_status: int | None = None, code: str | None = None,
                 retry_after: float | None = None) -> None:  # fmt: skip
        super().__init__(message)
        self.http_status, self.code, self.retry_after = http_status, code, retry_after


class Retry(SmsProblem):
    """Not sent; try again later (429, or no connection was made)."""


class Unknown(SmsProblem):
    """Perhaps sent: the request left and no clear answer came back."""


class Refused(SmsProblem):
    """Not sent, and sending again will not help."""


class SmsBackend(Protocol):
    name: str

    def send(self, to: str, body: str, *, reference: str) -> Accepted: ...

    def find(self, to: str, body: str, since: datetime) -> Accepted | None:
        """The message to ``to`` with ``body`` created since ``since``, if the provider
        has one (reconciling an unknown outcome)."""
        ...


class ConsoleBackend:
    """Development: the message goes to the log, and shows in the monitor as sent."""

    name = "console"

    def send(self, to: str, body: str, *, reference: str) -> Accepted:
        log.warning("SMS to %s (%s): %s", to, reference, body)
        return Accepted(f"console-{uuid.uuid4().hex[:24]}", "delivered")

    def find(self, to: str, body: str, since: datetime) -> Accepted | None:
        return None  # nothing left the machine: resending is the right thing


class RedirectingHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """Sends every request of the real Twilio client to ``base`` instead of Twilio's
    hosts — a local fake server in tests, benchmarks and demonstrations.  Setting the
    client's ``base_url`` would cover only the api domain (design.md §6)."""

    def __init__(self, base: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        parts = urlsplit(base)
        self.scheme, self.netloc = parts.scheme, parts.netloc

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        parts = urlsplit(url)
        return super().request(
            method, urlunsplit((self.scheme, self.netloc, parts.path, parts.query, "")),
            *args, **kwargs,
        )  # fmt: skip


def _problem(exc: TwilioRestException | TwilioServiceException) -> SmsProblem:
    status = int(exc.status)
    code = str(exc.code) if exc.code is not None else None
    message = str(getattr(exc, "detail", None) or getattr(exc, "msg", None) or exc)[:500]
    if status == 429:
        return Retry(message, http_status=status, code=code)
    if status >= 500:
        return Unknown(message, http_status=status, code=code)
    return Refused(message, http_status=status, code=code)


class TwilioBackend:
    name = "twilio"

    def __init__(
        self, account_sid: str, auth_token: str, from_number: str, *,
        status_callback: str | None = None, base_url: str | None = None, timeout: float = 15,
    ) -> None:  # fmt: skip
        http_client = (
            RedirectingHttpClient(base_url, timeout=timeout)
            if base_url
            else TwilioHttpClient(timeout=timeout)
        )
        self.client = Client(account_sid, auth_token, http_client=http_client)
        self.from_number, self.status_callback = from_number, status_callback

    def send(self, to: str, body: str, *, reference: str) -> Accepted:
        extra = {"status_callback": self.status_callback} if self.status_callback else {}
        try:
            message = self.client.messages.create(to=to, from_=self.from_number, body=body, **extra)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _problem(exc) from exc
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            # Refused or timed out while connecting: the request never reached Twilio.
            if isinstance(exc, requests.exceptions.ConnectTimeout) or (
                isinstance(exc, requests.exceptions.ConnectionError)
                and not isinstance(exc, requests.exceptions.ReadTimeout)
                and "NewConnectionError" in repr(exc)
            ):
                raise Retry(f"no connection to Twilio: {exc}"[:500]) from exc
            raise Unknown(f"no answer from Twilio: {exc}"[:500]) from exc
        return Accepted(str(message.sid), str(message.status))

    def find(self, to: str, body: str, since: datetime) -> Accepted | None:
        try:
            messages = self.client.messages.list(
                to=to, from_=self.from_number, date_sent_after=since - timedelta(minutes=5),
                limit=100,
            )  # fmt: skip
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _problem(exc) from exc
        except requests.exceptions.RequestException as exc:
            raise Retry(f"cannot ask Twilio: {exc}"[:500]) from exc
        for message in messages:
            if message.body == body:
                return Accepted(str(message.sid), str(message.status))
        return None


_backends: dict[int, SmsBackend] = {}


def backend_for(settings: Any) -> SmsBackend:
    """One backend per settings object, so that the Twilio client's connections are
    reused from one dispatch round to the next."""
    key = id(settings)
    if key not in _backends:
        _backends[key] = backend_from(settings)
    return _backends[key]


def backend_from(settings: Any) -> SmsBackend:
    """The backend the settings name (``RISKCTL_SMS_BACKEND``)."""
    if settings.SMS_BACKEND == "twilio":
        callback = (
            settings.PUBLIC_BASE_URL.rstrip("/") + "/api/v1/webhooks/twilio/status"
            if settings.PUBLIC_BASE_URL
            else None
        )
        return TwilioBackend(
            settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM_NUMBER,
            status_callback=callback, base_url=settings.TWILIO_BASE_URL,
            timeout=settings.SMS_TIMEOUT_SECONDS,
        )  # fmt: skip
    return ConsoleBackend()
