"""Exceptions raised by Cairn.

Every failing call of the C ABI returns a status; the bindings raise the
subclass of :class:`Error` named for it, with the C ABI's message (which
names the culprit: the option, the limit, the owner's pid...). A missing key
is not an error: ``get`` returns its default.

Some classes also derive from the closest built-in exception, so code that
already catches ``ValueError``, ``OSError`` or ``TimeoutError`` keeps
working.
"""

__all__ = [
    "Error",
    "NotFoundError",
    "InvalidArgumentError",
    "StorageIOError",
    "CorruptionError",
    "BusyError",
    "UnavailableError",
    "ClosedError",
    "IteratorInvalidError",
    "OperationTimeout",
    "NotSupportedError",
    "InternalError",
]


class Error(Exception):
    """Base class of every Cairn error.

    Raised as is (not a subclass) when a database handle is used in a process
    forked after it was opened.
    """

    #: The C ABI status name (``cairn_status_name``) this class stands for.
    status = "ERROR"


class NotFoundError(Error, LookupError):
    """CAIRN_NOT_FOUND: the database or property does not exist."""

    status = "NOT_FOUND"


class InvalidArgumentError(Error, ValueError):
    """CAIRN_INVALID_ARGUMENT: bad input (limits, unknown option, bad value,
    error_if_exists). Fix the call; retrying it as is fails again."""

    status = "INVALID_ARGUMENT"


class StorageIOError(Error, OSError):
    """CAIRN_IO_ERROR: a filesystem failure, permission or full disk."""

    status = "IO_ERROR"


class CorruptionError(Error):
    """CAIRN_CORRUPTION: stored data failed a checksum or parse."""

    status = "CORRUPTION"


class BusyError(Error):
    """CAIRN_BUSY: the database is open in another process (or another DB
    object of this one); the message names the owner's pid."""

    status = "BUSY"


class UnavailableError(Error):
    """CAIRN_UNAVAILABLE: retry later. The database is closed or the snapshot
    released; a sync-mode write could not reach enough peers (durable here);
    or no node of a cairn.Cluster could serve the call (the message lists
    every node and why)."""

    status = "UNAVAILABLE"


class ClosedError(UnavailableError, RuntimeError):
    """A closed database, or a released snapshot or closed iterator, was used.

    Also a RuntimeError, which is what plyvel raises in these cases, so code
    ported from plyvel that catches RuntimeError keeps working; and an
    UnavailableError, which is what earlier Cairn versions raised.
    """


class IteratorInvalidError(Error):
    """A raw iterator (DB.raw_iterator()) was read or moved with next() /
    prev() while not positioned on an entry (valid() is False). Named as in
    plyvel."""


class OperationTimeout(Error, TimeoutError):
    """CAIRN_TIMEOUT: a deadline passed; retry later."""

    status = "TIMEOUT"


class NotSupportedError(Error):
    """CAIRN_NOT_SUPPORTED: not available in this build or mode."""

    status = "NOT_SUPPORTED"


class InternalError(Error):
    """CAIRN_INTERNAL: a bug in Cairn (or out of memory); please report it."""

    status = "INTERNAL"


# The one table from C ABI status to class, indexed by cairn_status_t
# (CAIRN_OK's slot holds the base class; it is never raised for OK). The
# extension module raises through it (src/errors.cc).
_BY_STATUS = (
    Error,                 # CAIRN_OK
    NotFoundError,         # CAIRN_NOT_FOUND
    InvalidArgumentError,  # CAIRN_INVALID_ARGUMENT
    StorageIOError,        # CAIRN_IO_ERROR
    CorruptionError,       # CAIRN_CORRUPTION
    BusyError,             # CAIRN_BUSY
    UnavailableError,      # CAIRN_UNAVAILABLE
    OperationTimeout,      # CAIRN_TIMEOUT
    NotSupportedError,     # CAIRN_NOT_SUPPORTED
    InternalError,         # CAIRN_INTERNAL
)
