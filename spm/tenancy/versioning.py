"""Optimistic locking: a write names the ``version`` it read, and a stale one is refused.

Models that people edit at the same time (a quota in the manager's grid, a sale) carry a
``version`` raised by every change. A caller sends back the version it read; the service
locks the row, compares, and raises ``StaleVersion`` carrying the row as it is now, so
the caller can show "changed by someone else" with the current value instead of
overwriting it silently. The API answers it with a 409 and the current object
(``spm.api.base.TenantAPIMixin``), for every app.
"""

from typing import Any

STALE_MESSAGE = "Someone changed this since you read it: reload and try again."


class StaleVersion(Exception):
    """The object changed since the caller read it; ``current`` is the object as it is now."""

    def __init__(self, current: Any, message: str = STALE_MESSAGE) -> None:
        self.current = current
        self.message = message
        super().__init__(message)


def check_version(obj: Any, version: int | None) -> None:
    """Raise ``StaleVersion`` unless ``version`` is ``obj``'s version.

    ``None`` means the caller read no version and asks for no check (last write wins). The
    caller holds the row lock (``select_for_update``) so nobody changes it after the check.
    """
    if version is not None and version != obj.version:
        raise StaleVersion(obj)
