"""Result types of cairn.Cluster (the class itself is in the extension)."""

__all__ = ["ScanResult"]


class ScanResult(list):
    """What Cluster.scan returns: a list of (key, value) tuples, in key order.

    ``truncated`` is True when the scan stopped at its limit; continue with
    ``cluster.scan(result[-1][0] + b"\\0", end, limit)``.
    """

    __slots__ = ("truncated",)

    def __init__(self, entries=(), truncated=False):
        super().__init__(entries)
        self.truncated = truncated

    def __repr__(self):
        return f"ScanResult({list.__repr__(self)}, truncated={self.truncated})"
