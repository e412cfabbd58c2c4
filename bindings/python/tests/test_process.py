"""One owner per database (BusyError naming the pid) and fork safety."""

import os
import subprocess
import sys
import textwrap

import pytest

import cairn

PYTHON = sys.executable


def child_env():
    # The child finds cairn the way this process did (PYTHONPATH or install).
    env = dict(os.environ)
    package_parent = os.path.dirname(os.path.dirname(cairn.__file__))
    env["PYTHONPATH"] = package_parent + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_busy_in_same_process(db):
    with pytest.raises(cairn.BusyError, match=f"pid {os.getpid()}"):
        cairn.DB(db.path)
    db.put(b"still", b"works")  # the failed open left the owner alone
    assert db.get(b"still") == b"works"


def test_busy_in_subprocess_names_owner_pid(db):
    code = textwrap.dedent(f"""
        import cairn, sys
        try:
            cairn.DB({db.path!r})
        except cairn.BusyError as e:
            print(e)
            sys.exit(3)
        sys.exit(0)
    """)
    proc = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True,
                          env=child_env(), timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert str(os.getpid()) in proc.stdout


def test_busy_when_subprocess_owns_it(db_path):
    cairn.DB(db_path, create_if_missing=True).close()
    code = textwrap.dedent(f"""
        import cairn, sys
        db = cairn.DB({db_path!r})
        print("ready", flush=True)
        sys.stdin.readline()
        db.close()
    """)
    proc = subprocess.Popen([PYTHON, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=child_env())
    try:
        assert proc.stdout.readline().strip() == "ready"
        with pytest.raises(cairn.BusyError, match=f"process {proc.pid}"):
            cairn.DB(db_path)
        with pytest.raises(cairn.BusyError):
            cairn.destroy(db_path)
    finally:
        proc.stdin.write("\n")
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
    with cairn.DB(db_path) as db:  # released when the owner closed it
        db.put(b"a", b"b")


def run_in_child(body):
    """Forks; the child runs body() and exits via os._exit with its result
    (0 = success). Returns the child's exit code."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = body()
        except BaseException as e:  # report anything; never return to pytest
            os.write(2, f"child failed: {e!r}\n".encode())
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_fork_child_gets_error_and_parent_is_unharmed(db):
    for i in range(100):
        db.put(b"k%03d" % i, b"v")
    snap = db.snapshot()
    it = db.iterator()
    next(it)
    batch = db.write_batch()
    batch.put(b"from-child", b"x")

    def child():
        calls = [
            lambda: db.get(b"k000"),
            lambda: db.put(b"from-child", b"x"),
            lambda: db.delete(b"k000"),
            lambda: b"k000" in db,
            lambda: db.multi_get([b"k000"]),
            lambda: db.iterator(),
            lambda: db.snapshot(),
            lambda: db.write_batch(),
            lambda: db.property("cairn.stats"),
            lambda: db.stats(),
            lambda: next(it),
            lambda: snap.get(b"k000"),
            lambda: snap.iterator(),
            lambda: batch.write(),
        ]
        for i, call in enumerate(calls):
            try:
                call()
            except cairn.Error as e:
                if str(os.getpid()) not in str(e):
                    os.write(2, f"call {i}: message lacks the child pid: {e}\n".encode())
                    return 2
            else:
                os.write(2, f"call {i} did not raise\n".encode())
                return 2
        db.close()  # detaches only: must not close the parent's handle
        assert db.closed
        return 0

    assert run_in_child(child) == 0
    # The parent's handle, iterator and snapshot still work.
    assert db.get(b"k000") == b"v"
    assert db.get(b"from-child") is None
    assert next(it) == (b"k001", b"v")
    assert snap.get(b"k099") == b"v"
    db.put(b"after", b"fork")
    assert db.get(b"after") == b"fork"
    assert not db.closed


def test_fork_child_finalizers_leave_parent_alone(db):
    db.put(b"a", b"1")
    snap = db.snapshot()
    it = db.iterator()

    def child():
        nonlocal snap, it
        import gc

        # Dropping the child's references must not release the parent's
        # snapshot, iterator or database.
        del snap, it
        gc.collect()
        return 0

    assert run_in_child(child) == 0
    assert snap.get(b"a") == b"1"
    assert list(it) == [(b"a", b"1")]
    db.put(b"b", b"2")
    assert db.get(b"b") == b"2"


def test_fork_child_can_open_its_own_database(db, tmp_dir):
    other = os.path.join(tmp_dir, "child-db")

    def child():
        with cairn.DB(other, create_if_missing=True) as own:
            own.put(b"c", b"child")
            return 0 if own.get(b"c") == b"child" else 2

    assert run_in_child(child) == 0
    with cairn.DB(other) as own:
        assert own.get(b"c") == b"child"
