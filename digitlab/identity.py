"""Who is asking: visitor ids only the server can have issued, operator tokens, local requests.

A visitor id (128 random bits) is the only key to a visitor's data, so the
cookie that carries it is signed: ``<id>.<signature>``, an HMAC-SHA256 under
the server's secret key. A made-up id (``000…0``) or someone else's id with a
wrong signature is not accepted; nobody can pick their id. An operator token is
the same kind of signature over the visitor id: it is worth nothing in another
browser, whose visitor id differs.

The key: ``DIGITLAB_SECRET_KEY`` (servers sharing a database must share it),
else a file in the user-data folder made on first use. No Streamlit here.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import secrets
import threading
from hashlib import sha256
from typing import Mapping
from urllib.parse import urlsplit

from digitlab import config, paths
from digitlab.db.visitors import VISITOR_ID

# The cookie that carries a visitor's signed id (set by the server, ui/server.py; read by the page, ui/visitor.py).
VISITOR_COOKIE = "digitlab_visitor"
KEY_FILE = "secret_key"
KEY_BYTES = 32
SIGNATURE_HEX = 32  # 128 bits of the HMAC: as hard to guess as the id itself
# Headers a proxy adds: a request carrying any of them came through one, from elsewhere.
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip", "x-forwarded-host", "x-forwarded-proto")
LOOPBACK_NAMES = ("localhost",)

_key: bytes | None = None
_key_lock = threading.Lock()
log = logging.getLogger(__name__)


def secret_key() -> bytes:
    """The key that signs ids and tokens: from the environment, else ``user_data/secret_key`` (made once,
    readable by the server's user only). A folder that cannot be written gives a key for this process
    only (logged): visitors then keep their id until the server restarts."""
    global _key
    from_env = config.secret_key_from_env()
    if from_env:
        return from_env
    with _key_lock:
        if _key is None:
            _key = _key_from_file()
        return _key


def _key_from_file() -> bytes:
    path = paths.user_data_dir() / KEY_FILE
    try:
        data = path.read_bytes()
        if len(data) >= KEY_BYTES:
            return data
    except OSError:
        pass
    key = secrets.token_bytes(KEY_BYTES)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two servers starting together on one folder make one key, not two.
        fd = os.open(path.with_suffix(".new"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
        os.link(path.with_suffix(".new"), path)  # fails if another process made the key meanwhile
    except FileExistsError:
        pass
    except OSError as e:
        log.warning("cannot keep the secret key in %s (%s): visitor ids last until the server restarts", path, e)
        return key
    finally:
        path.with_suffix(".new").unlink(missing_ok=True)
    return path.read_bytes()


def forget_key() -> None:
    """Read the key again next time (tests; a key file replaced by the operator)."""
    global _key
    with _key_lock:
        _key = None


def _sign(purpose: str, value: str) -> str:
    return hmac.new(secret_key(), f"{purpose}|{value}".encode(), sha256).hexdigest()[:SIGNATURE_HEX]


def visitor_cookie(visitor_id: str) -> str:
    """The cookie value that carries ``visitor_id``: ``<id>.<signature>``."""
    if not VISITOR_ID.match(visitor_id):
        raise ValueError("not a visitor id")
    return f"{visitor_id}.{_sign('visitor', visitor_id)}"


def visitor_from_cookie(value: object) -> str | None:
    """The visitor id a cookie value carries if the server signed it, else None."""
    if not isinstance(value, str) or "." not in value:
        return None
    visitor_id, _, signature = value.partition(".")
    if not VISITOR_ID.match(visitor_id) or not hmac.compare_digest(signature, _sign("visitor", visitor_id)):
        return None
    return visitor_id


def unsigned_legacy_id(value: object) -> str | None:
    """A bare 32-hex id, as cookies made before ids were signed held; the caller accepts it only if the
    database recorded it (the server issued it then)."""
    return value if isinstance(value, str) and VISITOR_ID.match(value) else None


def operator_token(visitor_id: str) -> str:
    """What a browser keeps once it became the operator: worth nothing with any other visitor id."""
    return _sign("operator", visitor_id)


def is_operator_token(visitor_id: str, token: object) -> bool:
    return isinstance(token, str) and hmac.compare_digest(token, operator_token(visitor_id))


def is_operator_secret(given: str) -> bool:
    """Whether ``given`` is the operator secret (none set: nothing is)."""
    secret = config.operator_secret()
    return secret is not None and hmac.compare_digest(given.strip().encode(), secret.encode())


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_local_request(remote_ip: str | None, headers: Mapping[str, str]) -> bool:
    """Whether a request comes from a browser on the server's own machine, straight (no proxy).

    ``remote_ip``: the peer's address (None where Streamlit says "localhost", ``st.context.ip_address``);
    ``headers``: the request's headers. All three must hold: the peer is a loopback address, no
    proxy header is present (a proxy on the same machine would make every visitor local; uvicorn also
    puts a local proxy's X-Forwarded-For in the peer's place), and the browser asked for a loopback
    host name (a proxy passes on the public name it was asked for).
    """
    if remote_ip is not None and not (isinstance(remote_ip, str) and _is_loopback(remote_ip)):
        return False
    lower = {k.lower(): v for k, v in headers.items()}
    if any(h in lower for h in FORWARDING_HEADERS):
        return False
    host = lower.get("host")
    if not host:
        return False  # no request at all (a script run without a browser): nobody is asking
    return _is_loopback(urlsplit(f"//{host}").hostname or "")
