"""The routing cluster client of libcairn's C ABI (cairn_cluster_*, ABI
1.4) through ctypes, for scripts/demo-cluster: only the calls the demo uses.
Python hosts with the bindings built use cairn.Cluster instead.
"""

import ctypes
import json


class CairnError(Exception):
    pass


class Library:
    """The C ABI calls the demo uses, through ctypes."""

    def __init__(self, path):
        c = ctypes.CDLL(path)
        P, p = ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)
        size, i64 = ctypes.c_size_t, ctypes.c_int64
        for name, res, args in [
                ("cairn_status_name", ctypes.c_char_p, [ctypes.c_int]),
                ("cairn_free", None, [P]),
                ("cairn_options_create", P, []),
                ("cairn_options_destroy", None, [P]),
                ("cairn_options_set", ctypes.c_int,
                 [P, ctypes.c_char_p, ctypes.c_char_p, p]),
                ("cairn_cluster_open", ctypes.c_int, [P, p, p]),
                ("cairn_cluster_close", None, [P]),
                ("cairn_cluster_put", ctypes.c_int,
                 [P, P, ctypes.c_char_p, size, ctypes.c_char_p, size, p]),
                ("cairn_cluster_get", ctypes.c_int,
                 [P, ctypes.c_char_p, size, p, ctypes.POINTER(size), p]),
                ("cairn_cluster_nodes", ctypes.c_int, [P, p, p]),
                ("cairn_cluster_audit", ctypes.c_int,
                 [P, ctypes.c_char_p, i64, i64, ctypes.c_uint32, p, p])]:
            f = getattr(c, name)
            f.restype, f.argtypes = res, args
        self.c = c

    def take(self, ptr, size=None):
        """The bytes Cairn returned at ptr, freed."""
        if not ptr.value:
            return b""
        data = ctypes.string_at(ptr.value, size) if size is not None \
            else ctypes.string_at(ptr.value)
        self.c.cairn_free(ptr)
        return data

    def check(self, status, err):
        if status != 0:
            name = self.c.cairn_status_name(status).decode()
            raise CairnError(f"{name}: {self.take(err).decode()}")


class Cluster:
    """A routing cluster client (cairn_cluster_*), opened from options."""

    def __init__(self, lib, **options):
        self.lib, c = lib, lib.c
        o = c.cairn_options_create()
        try:
            for name, value in options.items():
                err = ctypes.c_void_p()
                lib.check(c.cairn_options_set(o, name.replace("__", ".").encode(),
                                              str(value).encode(),
                                              ctypes.byref(err)), err)
            self.handle, err = ctypes.c_void_p(), ctypes.c_void_p()
            lib.check(c.cairn_cluster_open(o, ctypes.byref(self.handle),
                                           ctypes.byref(err)), err)
        finally:
            c.cairn_options_destroy(o)

    def put(self, key, value):
        err = ctypes.c_void_p()
        self.lib.check(self.lib.c.cairn_cluster_put(
            self.handle, None, key, len(key), value, len(value),
            ctypes.byref(err)), err)

    def get(self, key):
        value, size, err = ctypes.c_void_p(), ctypes.c_size_t(), ctypes.c_void_p()
        self.lib.check(self.lib.c.cairn_cluster_get(
            self.handle, key, len(key), ctypes.byref(value), ctypes.byref(size),
            ctypes.byref(err)), err)
        return self.lib.take(value, size.value)

    def nodes(self):
        out, err = ctypes.c_void_p(), ctypes.c_void_p()
        self.lib.check(self.lib.c.cairn_cluster_nodes(
            self.handle, ctypes.byref(out), ctypes.byref(err)), err)
        return json.loads(self.lib.take(out))

    def audit(self, method="", since_us=0, until_us=0, limit=100000):
        out, err = ctypes.c_void_p(), ctypes.c_void_p()
        self.lib.check(self.lib.c.cairn_cluster_audit(
            self.handle, method.encode(), since_us, until_us, limit,
            ctypes.byref(out), ctypes.byref(err)), err)
        return [json.loads(line) for line in self.lib.take(out).splitlines()]

    def close(self):
        if self.handle:
            self.lib.c.cairn_cluster_close(self.handle)
            self.handle = None
