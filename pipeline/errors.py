"""The exception tree. Every error says what to do about it."""

from __future__ import annotations


class KtcpError(Exception):
    """Base of every error ktcp raises on purpose."""


class UsageError(KtcpError):
    """Bad flags or settings (CLI exit status 2)."""


class InputError(KtcpError):
    """An input could not be read (CLI exit status 1)."""


class DatabaseError(UsageError):
    """An enrichment database is missing, unreadable or not the kind of file expected."""


class KernelDebugError(KtcpError):
    """The kernel's dynamic debug facility is absent or we may not change it."""


class RefusedError(KtcpError):
    """The destination refused this client for good (certificate, shared key, credentials):
    retrying cannot help until the configuration changes."""
