"""Page tokens: opaque to clients, an offset to us, bound to the method so they can't be mixed."""

from __future__ import annotations

import base64

from simhub.errors import FieldViolation, InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument(
            "page_size must not be negative",
            [
                FieldViolation(
                    "page_size",
                    f"found {requested}; "
                    f"allowed: 0 (default {DEFAULT_PAGE_SIZE}) to {MAX_PAGE_SIZE}",
                )
            ],
        )
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def decode(token: str, scope: str) -> int:
    """The offset a page token stands for; 0 for an empty token."""
    if not token:
        return 0
    try:
        got_scope, offset = base64.urlsafe_b64decode(token.encode()).decode().split(":")
        if got_scope != scope or int(offset) < 0:
            raise ValueError
        return int(offset)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidArgument(
            "page_token is not one this method gave out",
            [
                FieldViolation(
                    "page_token", "pass the next_page_token of the previous response unchanged"
                )
            ],
        ) from exc


def encode(offset: int, scope: str) -> str:
    return base64.urlsafe_b64encode(f"{scope}:{offset}".encode()).decode()


def next_token(offset: int, size: int, returned: int, scope: str, total: int | None = None) -> str:
    """The token of the next page, or "" when this page was the last."""
    end = offset + returned
    if returned < size or (total is not None and end >= total):
        return ""
    return encode(end, scope)
