"""`cairn serve`: the node host program — its control protocol on stdin,
the port file, signals, EOF on stdin, options from a file and bad options.
Every read from the server is bounded by a timeout."""

import os
import selectors
import signal
import subprocess

from conftest import OPTIONS, TIMEOUT, TOOL


class Server:
    """A `cairn serve` process with pipes to its stdin, stdout, stderr."""

    def __init__(self, db, *args, stdin=subprocess.PIPE):
        argv = [TOOL, "serve", str(db)] + OPTIONS + [str(a) for a in args]
        self.proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self._buffers = {self.proc.stdout: b"", self.proc.stderr: b""}

    def line(self, stream, timeout=TIMEOUT):
        """The next line of `stream` (stdout or stderr), within `timeout`."""
        sel = selectors.DefaultSelector()
        sel.register(stream, selectors.EVENT_READ)
        try:
            while b"\n" not in self._buffers[stream]:
                assert sel.select(timeout), "no line within %ss" % timeout
                chunk = os.read(stream.fileno(), 65536)
                assert chunk, "EOF; stderr: %r" % self._buffers[
                    self.proc.stderr]
                self._buffers[stream] += chunk
        finally:
            sel.close()
        line, rest = self._buffers[stream].split(b"\n", 1)
        self._buffers[stream] = rest
        return line.decode()

    def command(self, text):
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()
        return self.line(self.proc.stdout)

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=TIMEOUT)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=TIMEOUT)


def test_control_protocol_and_clean_sigterm(tool, tmp_path):
    port_file = tmp_path / "port"
    s = Server(tool.db, "--port-file", port_file)
    try:
        assert s.command("put k1 v1") == "ok"
        assert s.command("put k\\x20two value\\twith\\x20space") == "ok"
        assert s.command("get k1") == "ok v1"
        assert s.command("get k\\x20two") == "ok value\\twith\\x20space"
        assert s.command("get nope").startswith("err NOT_FOUND ")
        assert s.command("count") == "ok 2"
        assert s.command("keys") == "ok k\\x20two k1"  # ' ' < '1'
        count, digest = s.command("checksum").split()[1:]
        assert count == "2" and len(digest) == 16, digest
        assert s.command("keys k\\x20") == "ok k\\x20two"
        assert s.command("del k1") == "ok"
        assert s.command("del k1") == "ok"  # a missing key is fine
        assert s.command("count") == "ok 1"
        assert s.command("status") == 'ok {"enabled":false}'
        # Malformed lines get exactly one error reply each.
        assert s.command("").startswith("err INVALID_ARGUMENT empty")
        assert s.command("frobnicate").startswith(
            "err INVALID_ARGUMENT unknown command 'frobnicate'")
        assert s.command("put onlykey").startswith(
            "err INVALID_ARGUMENT wrong number of arguments; usage: put KEY")
        assert s.command("get bad\\q").startswith(
            "err INVALID_ARGUMENT key 'bad\\q'")
        assert s.command("compare soon").startswith("err ")
        assert s.command("sync-put a b none").startswith("err ")
        # Replication is off: the peer calls say so (or are missing).
        assert s.command("peer-add 2@127.0.0.1:9").startswith("err ")
        assert s.command("resync x").startswith("err ")
        assert s.command("get k\\x20two") == "ok value\\twith\\x20space"
        assert port_file.read_text() == "0\n"  # replication off
        assert s.stop() == 0
        err = s.proc.stderr.read().decode()
        assert "serving" in err and "closing" in err, err
    finally:
        s.kill()
    # The tool reads what the server wrote (and prints it escaped).
    assert tool.ok("get", "k two") == "value\\twith space\n"


def test_quit_and_sigint_close_cleanly(tool):
    s = Server(tool.db)
    try:
        assert s.command("put a 1") == "ok"
        assert s.command("quit") == "ok"
        assert s.proc.wait(timeout=TIMEOUT) == 0
    finally:
        s.kill()
    s = Server(tool.db)
    try:
        assert s.command("get a") == "ok 1"
        assert s.stop(signal.SIGINT) == 0
    finally:
        s.kill()


def test_eof_on_stdin_keeps_serving(tool):
    s = Server(tool.db, "--status-interval-ms", "20", stdin=subprocess.DEVNULL)
    try:
        assert "serving" in s.line(s.proc.stderr)
        # Status lines keep coming after stdin ended: still serving.
        for _ in range(3):
            assert s.line(s.proc.stderr).startswith("cairn serve: status {")
        assert s.proc.poll() is None
        assert s.stop() == 0
    finally:
        s.kill()


def test_an_overlong_line_is_refused_and_the_next_one_served(tool):
    s = Server(tool.db)
    try:
        s.proc.stdin.write(b"put k " + b"v" * (2 << 20) + b"\n")
        assert s.line(s.proc.stdout).startswith(
            "err INVALID_ARGUMENT control line longer than")
        assert s.command("count") == "ok 0"
        assert s.stop() == 0
    finally:
        s.kill()


def test_options_file_then_flags(tool, tmp_path):
    options = tmp_path / "node.conf"
    options.write_text("# a node\n\n  create_if_missing = false  \n")
    r = tool.run("serve", tool.db, "--options-file", options, db=False,
                 stdin=b"")
    assert r.returncode == 3, r.stderr  # not created: the file was read
    assert b"does not exist" in r.stderr or b"NOT_FOUND" in r.stderr, r.stderr
    s = Server(tool.db, "--options-file", options, "-o",
               "create_if_missing=true")
    try:
        assert s.command("count") == "ok 0"  # the flag won
        assert s.stop() == 0
    finally:
        s.kill()


def test_bad_options_exit_2_naming_the_culprit(tool, tmp_path):
    r = tool.run("serve", tool.db, "-o", "cache.capacity_mb=lots", db=False)
    assert r.returncode == 2 and b"cache.capacity_mb" in r.stderr, r.stderr
    r = tool.run("serve", tool.db, "-o", "replication.peers=2@nowhere",
                 db=False)
    assert r.returncode == 2 and b"replication." in r.stderr, r.stderr
    bad = tmp_path / "bad.conf"
    bad.write_text("cache.capacity_mb=1\njust words\n")
    r = tool.run("serve", tool.db, "--options-file", bad, db=False)
    assert r.returncode == 2, r.stderr
    assert b"line 2" in r.stderr and b"just words" in r.stderr, r.stderr
    r = tool.run("serve", tool.db, "--options-file", tmp_path / "missing",
                 db=False)
    assert r.returncode == 2 and b"missing" in r.stderr, r.stderr
    r = tool.run("serve", tool.db, "--status-interval-ms", "-5", db=False)
    assert r.returncode == 2, r.stderr
