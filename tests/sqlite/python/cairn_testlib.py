"""Helpers shared by the Python tests of the `cairn` SQLite extension.

Plain functions (no pytest fixtures; those are in conftest.py), importable
from the test modules because pytest puts this directory on sys.path.
"""
import ctypes
import hashlib
import os
import pathlib
import re
import selectors
import sqlite3
import subprocess
import sys
import time

# tests/sqlite/python -> the repository root is three levels up.
REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
DEFAULT_EXTENSION = REPO_ROOT / "build" / "plugin" / "libcairn_sqlite.so"

# Bounds for anything a test waits for (subprocess start, exit).
SUBPROCESS_TIMEOUT = 30.0


def extension_path():
    """The extension to load: $CAIRN_SQLITE_EXT, else the default build."""
    env = os.environ.get("CAIRN_SQLITE_EXT")
    return pathlib.Path(env) if env else DEFAULT_EXTENSION


def cairn_library_path(ext):
    """The libcairn.so.1 the extension will dlopen (cairn_lib.cc)."""
    env = os.environ.get("CAIRN_LIBRARY")
    return pathlib.Path(env) if env else pathlib.Path(ext).parent / "libcairn.so.1"


def sql_str(s):
    """`s` as a SQL string literal."""
    return "'" + str(s).replace("'", "''") + "'"


# Options every test store gets unless overridden: small shared-memory
# cache (one 1 MiB segment), no fsync per commit.
DEFAULT_OPTIONS = {
    "create_if_missing": 1,
    "sync": 0,
    "cache.capacity_mb": 1,
    "cache.instances": 1,
}


def using_args(path, **options):
    """The argument list of `USING cairn(...)` for store `path`.

    `options` override DEFAULT_OPTIONS; a value of None drops the option.
    Option names with a dot are passed as keyword arguments through a dict,
    e.g. using_args(p, **{"cache.capacity_mb": 0}).
    """
    merged = dict(DEFAULT_OPTIONS)
    merged.update(options)
    parts = ["path=" + sql_str(path)]
    for name, value in merged.items():
        if value is None:
            continue
        parts.append('"%s"=%s' % (name, value))
    return ", ".join(parts)


def create_sql(table, path, **options):
    return "CREATE VIRTUAL TABLE %s USING cairn(%s)" % (table, using_args(path, **options))


NATIVE_SCHEMA = "(key BLOB PRIMARY KEY NOT NULL, value BLOB) WITHOUT ROWID"


def native_sql(table):
    return "CREATE TABLE %s%s" % (table, NATIVE_SCHEMA)


def open_connection(db_path, ext, text_factory=None):
    """A sqlite3 connection in autocommit mode with the extension loaded."""
    conn = sqlite3.connect(str(db_path), isolation_level=None)
    try:
        if text_factory is not None:
            conn.text_factory = text_factory
        conn.enable_load_extension(True)
        conn.load_extension(str(ext))
        conn.enable_load_extension(False)
    except BaseException:
        conn.close()
        raise
    return conn


def norm_value(v):
    """A value as (python type, repr): exact, so 1 != 1.0, -0.0 != 0.0,
    'ab' != b'ab'; and totally ordered for sorting. Long values become
    their length and digest, to keep assertion messages readable."""
    if isinstance(v, (str, bytes)) and len(v) > 64:
        raw = v if isinstance(v, bytes) else v.encode("utf-8", "surrogatepass")
        return (type(v).__name__, "%r...<%d long, sha1 %s>"
                % (v[:16], len(v), hashlib.sha1(raw).hexdigest()))
    return (type(v).__name__, repr(v))


def norm_rows(rows):
    return [tuple(norm_value(v) for v in row) for row in rows]


def surrogate_text(b):
    """text_factory that never fails: invalid UTF-8 (e.g. CAST(x'ff' AS
    TEXT)) decodes to surrogates instead of raising."""
    return b.decode("utf-8", "surrogateescape")


def is_store_dir(path):
    return os.path.isdir(path) and os.path.exists(os.path.join(path, "CAIRN.LOCK"))


class CairnLib:
    """The Cairn C API through ctypes (plain exported functions), for
    cleanup (cairn_destroy frees the shared-memory segments that `rm -rf`
    would leak) and for making stores the extension did not create."""

    def __init__(self, path):
        self.lib = ctypes.CDLL(str(path))
        L = self.lib
        vp, cp = ctypes.c_void_p, ctypes.c_char_p
        pcp = ctypes.POINTER(ctypes.c_void_p)
        L.cairn_options_create.restype = vp
        L.cairn_options_destroy.argtypes = [vp]
        L.cairn_options_set.argtypes = [vp, cp, cp, pcp]
        L.cairn_options_set.restype = ctypes.c_int
        L.cairn_open.argtypes = [vp, cp, ctypes.POINTER(vp), pcp]
        L.cairn_open.restype = ctypes.c_int
        L.cairn_close.argtypes = [vp]
        L.cairn_destroy.argtypes = [cp, pcp]
        L.cairn_destroy.restype = ctypes.c_int
        L.cairn_put.argtypes = [vp, vp, cp, ctypes.c_size_t, cp, ctypes.c_size_t, pcp]
        L.cairn_put.restype = ctypes.c_int
        L.cairn_free.argtypes = [vp]

    def _check(self, status, err, what):
        if status != 0:
            msg = ctypes.cast(err, ctypes.c_char_p).value if err.value else b""
            self.lib.cairn_free(err)
            raise RuntimeError("%s failed: status %d: %r" % (what, status, msg))

    def destroy(self, path):
        err = ctypes.c_void_p()
        status = self.lib.cairn_destroy(str(path).encode(), ctypes.byref(err))
        msg = ctypes.cast(err, ctypes.c_char_p).value if err.value else b""
        if err.value:
            self.lib.cairn_free(err)
        return status, msg

    def make_plain_store(self, path, items):
        """Creates a Cairn database at `path` holding `items` (bytes->bytes),
        written directly, not through the SQLite extension."""
        L = self.lib
        opts = L.cairn_options_create()
        db = ctypes.c_void_p()
        err = ctypes.c_void_p()
        try:
            for name, value in (("create_if_missing", b"true"),
                                ("cache.capacity_mb", b"0")):
                self._check(L.cairn_options_set(opts, name.encode(), value,
                                                ctypes.byref(err)), err, name)
            self._check(L.cairn_open(opts, str(path).encode(), ctypes.byref(db),
                                     ctypes.byref(err)), err, "cairn_open")
            for k, v in items.items():
                self._check(L.cairn_put(db, None, k, len(k), v, len(v),
                                        ctypes.byref(err)), err, "cairn_put")
        finally:
            if db.value:
                L.cairn_close(db)
            L.cairn_options_destroy(opts)


# A child process that opens a store through the extension and keeps it
# open until its stdin closes: argv = extension, sqlite db, store path.
HOLDER_SCRIPT = r"""
import sqlite3, sys
ext, db, store = sys.argv[1:4]
conn = sqlite3.connect(db, isolation_level=None)
conn.enable_load_extension(True)
conn.load_extension(ext)
quoted = "'" + store.replace("'", "''") + "'"
conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS held USING cairn(path=" + quoted +
             ", create_if_missing=1, sync=0, \"cache.capacity_mb\"=1, \"cache.instances\"=1)")
conn.execute("INSERT OR REPLACE INTO held VALUES ('holder', 1)")
n = conn.execute("SELECT count(*) FROM held").fetchone()[0]
print("ready", n, flush=True)
sys.stdin.readline()
conn.close()
print("closed", flush=True)
"""


class StoreHolder:
    """Runs HOLDER_SCRIPT; use as a context manager. Always reaped."""

    def __init__(self, ext, db, store):
        self.args = [sys.executable, "-c", HOLDER_SCRIPT, str(ext), str(db), str(store)]
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            line = self._readline(SUBPROCESS_TIMEOUT)
            if not line.startswith("ready"):
                raise AssertionError("store holder did not start: stdout %r, stderr %r"
                                     % (line, self._stderr()))
        except BaseException:
            self.kill()
            raise
        return self

    @property
    def pid(self):
        return self.proc.pid

    def _readline(self, timeout):
        deadline = time.monotonic() + timeout
        buf = b""
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while not buf.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise AssertionError("store holder: no output within %ss" % timeout)
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                buf += chunk
        return buf.decode(errors="replace")

    def _stderr(self):
        try:
            self.proc.kill()
            _, err = self.proc.communicate(timeout=SUBPROCESS_TIMEOUT)
            return err.decode(errors="replace")
        except Exception as e:  # diagnostics only
            return "<%s>" % e

    def release(self):
        """Lets the child close the store and exit; returns its exit code."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=SUBPROCESS_TIMEOUT)
        finally:
            self.kill()
        return self.proc.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=SUBPROCESS_TIMEOUT)
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except Exception:
                pass

    def __exit__(self, *exc):
        self.kill()
        return False


def error_of(fn):
    """Runs fn(); returns the sqlite3.Error it raised (fails if none)."""
    try:
        fn()
    except sqlite3.Error as e:
        return e
    raise AssertionError("expected a sqlite3.Error, got success")


_TABLE_IN_MSG = re.compile(r"\b(\w+)\.key\b")


def normalize_message(msg, tables):
    """Replaces `<table>.key` for the given table names with T.key."""
    return _TABLE_IN_MSG.sub(lambda m: "T.key" if m.group(1) in tables else m.group(0), msg)
