"""User and password for a SPARQL store, and urllib openers that answer its HTTP Basic
or Digest challenge.

Credentials come from options or from ``HIKGRAPH_ENDPOINT_USER`` and
``HIKGRAPH_ENDPOINT_PASSWORD``. They are sent only to a server that asks (a 401 with
``WWW-Authenticate``), never printed: :class:`Credentials` hides the password from its
``repr`` and :meth:`Credentials.scrub` takes it out of any message shown to a person.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

USER_VARIABLE = "HIKGRAPH_ENDPOINT_USER"
PASSWORD_VARIABLE = "HIKGRAPH_ENDPOINT_PASSWORD"
# Query parameters that carry a secret in some stores' URLs (QLever's access-token).
_SECRET_PARAMETER = re.compile(r"token|passw|secret|key", re.IGNORECASE)


class CredentialsError(ValueError):
    """A user without a password, or a password without a user."""


@dataclass(frozen=True)
class Credentials:
    """A user name and password for an endpoint."""

    user: str
    password: str = field(repr=False)

    def scrub(self, message: str) -> str:
        """Return *message* with the password replaced by ``***`` wherever it occurs."""
        return message.replace(self.password, "***") if self.password else message


def resolve_credentials(
    user: str | None = None,
    password: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Credentials | None:
    """Return the credentials given by *user* and *password*, each falling back to its
    environment variable (``HIKGRAPH_ENDPOINT_USER``, ``HIKGRAPH_ENDPOINT_PASSWORD``);
    None when neither names a user. Raises :class:`CredentialsError` when only one of
    the two is known (the message names the option and variable, never the value)."""
    env = os.environ if environ is None else environ
    user = user if user is not None else env.get(USER_VARIABLE) or None
    password = password if password is not None else env.get(PASSWORD_VARIABLE)
    if user is None and not password:
        return None
    if user is None:
        raise CredentialsError(f"a password needs a user: give --user or set {USER_VARIABLE}")
    if password is None:
        raise CredentialsError(
            f"user {user!r} needs a password: set {PASSWORD_VARIABLE} (or give --password)"
        )
    return Credentials(user, password)


class _DigestAuthHandler(urllib.request.HTTPDigestAuthHandler):
    """Digest that, once it has answered a challenge, signs every later request in
    advance with the same nonce (RFC 7616 nonce counts). Without this each upload would
    go out twice, and Virtuoso closes the connection on its 401 while a large body is
    still being sent, so the upload fails with a connection reset."""

    def __init__(self, passwords: urllib.request.HTTPPasswordMgr) -> None:
        super().__init__(passwords)
        self._challenge: dict[str, str] | None = None

    def get_authorization(self, req: urllib.request.Request, chal: Mapping[str, str]) -> Any:
        self._challenge = dict(chal)
        return super().get_authorization(req, chal)

    def http_request(self, req: urllib.request.Request) -> urllib.request.Request:
        if self._challenge is not None and not req.has_header(self.auth_header):
            answer = super().get_authorization(req, self._challenge)
            if answer:
                req.add_unredirected_header(self.auth_header, f"Digest {answer}")
        return req

    https_request = http_request


class _BasicAuthHandler(urllib.request.HTTPBasicAuthHandler):
    """Basic that, once a Basic challenge was answered with success, sends the same
    header in advance (for the reason given in :class:`_DigestAuthHandler`); it never
    sends credentials to a server that did not ask for them."""

    def __init__(self, passwords: urllib.request.HTTPPasswordMgr) -> None:
        super().__init__(passwords)
        self._header: str | None = None

    def retry_http_basic_auth(self, host: str, req: urllib.request.Request, realm: str) -> Any:
        response = super().retry_http_basic_auth(host, req, realm)
        if response is not None and 200 <= response.status < 300:
            self._header = req.get_header(self.auth_header)
        return response

    def http_request(self, req: urllib.request.Request) -> urllib.request.Request:
        if self._header is not None and not req.has_header(self.auth_header):
            req.add_unredirected_header(self.auth_header, self._header)
        return req

    https_request = http_request


def build_opener(
    credentials: Credentials | None, urls: Iterable[str] = ()
) -> urllib.request.OpenerDirector:
    """Return a urllib opener that answers Basic and Digest challenges of *urls* (and
    the paths below them) with *credentials*; a plain opener when *credentials* is
    None. Digest is tried before Basic, as urllib orders them."""
    if credentials is None:
        return urllib.request.build_opener()
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    for url in urls:
        passwords.add_password(None, url, credentials.user, credentials.password)
    return urllib.request.build_opener(_DigestAuthHandler(passwords), _BasicAuthHandler(passwords))


def display_url(url: str) -> str:
    """Return *url* fit to print: the values of query parameters named like a secret
    (``access-token``, ``key``, ``password``) replaced by ``***``."""
    parts = urllib.parse.urlsplit(url)
    if not parts.query:
        return url
    pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    shown = [(k, "***" if _SECRET_PARAMETER.search(k) else v) for k, v in pairs]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(shown, safe=":/*")))


def error_detail(error: urllib.error.HTTPError, limit: int = 300) -> str:
    """Return the first line of *error*'s body (at most *limit* characters), or ''."""
    fp: IO[bytes] | None = error.fp
    try:
        text = error.read(limit).decode("utf-8", "replace") if fp is not None else ""
    except OSError:
        text = ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else ""
