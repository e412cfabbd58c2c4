#!/usr/bin/env python3
"""Runs the README's code blocks, the way Rust runs doc tests.

Every fenced block in the README carries a marker: an HTML comment on the
line before it (blank lines and other comments may sit between), which
GitHub does not render:

  <!-- doctest: run -->            run the block (by its fence language:
                                    sh, python, or sql; see below) and
                                    fail if it exits non-zero
  <!-- doctest: run db=PATH -->    (sql) run it in `sqlite3 -bail` on the
                                    database file PATH, with the cairn
                                    extension loaded, in PATH's directory
  <!-- doctest: file=PATH -->      write the block to PATH (for a later run
                                    block, e.g. a C example and the shell
                                    block that compiles it)
  <!-- doctest: output -->         the block is the exact stdout of the
                                    last run block (trailing blanks ignored)
  <!-- doctest: skip REASON -->    do not run it; the reason is required

A block without a marker fails the test, so a new section opts in or out
explicitly. How blocks run:

  - paths under /tmp/ are moved into a private directory, so runs do not
    collide and leave nothing in /tmp;
  - `sh` blocks run in bash (-e -o pipefail) in a view of the checkout:
    its top-level entries symlinked, with `build-python` pointing at the
    build tree under test;
  - `python` blocks run in /usr/bin/python3 with that build's package on
    PYTHONPATH;
  - blocks run in README order, so a block may use what an earlier one
    wrote; every example must clean up after itself: a database (a
    directory with CURRENT) left under /tmp fails the test (and is then
    destroyed with cairn.destroy, which also frees its shared memory).

  readme_doctest.py --readme README.md --build-dir BUILD [--list]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

MARKER = re.compile(r"^<!--\s*doctest:\s*(.*?)\s*-->\s*$")
COMMENT = re.compile(r"^<!--.*-->\s*$")
FENCE = re.compile(r"^```(\S*)\s*$")
TIMEOUT = 300


class Block:
    def __init__(self, line, lang, text, marker):
        self.line, self.lang, self.text, self.marker = line, lang, text, marker

    def __str__(self):
        return f"README.md:{self.line} ({self.lang or 'no language'})"


def parse(path):
    """The fenced blocks of `path`, each with its marker (or None)."""
    lines = open(path, encoding="utf-8").read().split("\n")
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, lang = i, m.group(1)
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        if j == len(lines):
            sys.exit(f"README.md:{start + 1}: unterminated code block")
        marker, k = None, start - 1
        while k >= 0 and (not lines[k].strip() or COMMENT.match(lines[k])):
            mm = MARKER.match(lines[k])
            if mm:
                marker = mm.group(1)
                break
            k -= 1
        blocks.append(Block(start + 1, lang, "\n".join(lines[start + 1:j]) + "\n",
                            marker))
        i = j + 1
    return blocks


def compare(expected, actual):
    norm = lambda s: [l.rstrip() for l in s.rstrip("\n").split("\n")]
    return norm(expected) == norm(actual)


class Runner:
    def __init__(self, repo, build, work):
        self.repo, self.build, self.work = repo, build, work
        self.tmp = os.path.join(work, "tmp")
        self.checkout = os.path.join(work, "checkout")
        os.makedirs(self.tmp)
        os.makedirs(self.checkout)
        for name in os.listdir(repo):
            if name.startswith("build") or name == ".git":
                continue
            os.symlink(os.path.join(repo, name), os.path.join(self.checkout, name))
        os.symlink(build, os.path.join(self.checkout, "build-python"))
        self.env = dict(os.environ)
        self.env["PYTHONPATH"] = os.path.join(build, "bindings", "python")
        self.env["PYTHONDONTWRITEBYTECODE"] = "1"
        self.env["TMPDIR"] = self.tmp
        self.last_output = None

    def localize(self, text):
        return text.replace("/tmp/", self.tmp + "/")

    def run(self, block, args):
        text = self.localize(block.text)
        stdin = subprocess.DEVNULL
        script = os.path.join(self.work, f"block-{block.line}")
        if block.lang in ("sh", "python"):
            with open(script, "w") as f:
                f.write(text)
        if block.lang == "sh":
            cmd, cwd = ["bash", "-e", "-o", "pipefail", script], self.checkout
        elif block.lang == "python":
            cmd, cwd = ["/usr/bin/python3", script], self.work
        elif block.lang == "sql":
            if "db" not in args:
                raise AssertionError("a sql block needs run db=PATH")
            db = self.localize(args["db"])
            os.makedirs(os.path.dirname(db), exist_ok=True)
            ext = os.path.join(self.build, "plugin", "libcairn_sqlite")
            cmd = ["sqlite3", "-bail", "-cmd", f".load {ext}", db]
            cwd, stdin = os.path.dirname(db), None
        else:
            raise AssertionError(f"cannot run a '{block.lang}' block "
                                 "(mark it file=PATH or skip)")
        p = subprocess.run(cmd, input=text if stdin is None else None,
                           stdin=stdin, cwd=cwd, env=self.env,
                           capture_output=True, text=True, timeout=TIMEOUT)
        if p.returncode != 0:
            raise AssertionError(
                f"exited {p.returncode}\n--- block ---\n{text}"
                f"--- stdout ---\n{p.stdout}--- stderr ---\n{p.stderr}")
        self.last_output = p.stdout

    def leftovers(self):
        """Databases the examples left behind (destroyed here)."""
        left = []
        for root, dirs, files in os.walk(self.tmp):
            if "CURRENT" in files or "CAIRN.LOCK" in files:
                left.append(root)
        if left:
            sys.path.insert(0, self.env["PYTHONPATH"])
            import cairn
            for d in left:
                cairn.destroy(d)
        return left


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--readme", required=True)
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--list", action="store_true", help="list blocks, run none")
    opts = ap.parse_args()
    readme = os.path.abspath(opts.readme)
    blocks = parse(readme)
    unmarked = [b for b in blocks if b.marker is None]
    if unmarked:
        for b in unmarked:
            print(f"{b}: no <!-- doctest: run|file=PATH|output|skip REASON --> "
                  "marker before this block", file=sys.stderr)
        return 1
    if opts.list:
        for b in blocks:
            print(f"{b}: {b.marker}")
        return 0
    work = tempfile.mkdtemp(prefix="cairn-doctest-")
    failures, ran, skipped = 0, 0, 0
    try:
        r = Runner(os.path.dirname(readme), os.path.abspath(opts.build_dir), work)
        for b in blocks:
            verb, _, rest = b.marker.partition(" ")
            args = dict(a.split("=", 1) for a in rest.split() if "=" in a)
            if verb.startswith("file="):
                args, verb = {"file": verb[5:]}, "file"
            try:
                if verb == "skip":
                    if not rest.strip():
                        raise AssertionError("skip needs a reason")
                    skipped += 1
                elif verb == "file":
                    path = r.localize(args["file"])
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    with open(path, "w") as f:
                        f.write(b.text)
                elif verb == "run":
                    r.last_output = None
                    r.run(b, args)
                    ran += 1
                elif verb == "output":
                    if r.last_output is None:
                        raise AssertionError("no run block (that succeeded) before it")
                    if not compare(r.localize(b.text), r.last_output):
                        raise AssertionError(
                            "output differs\n--- README ---\n" + b.text +
                            "--- actual ---\n" + r.last_output)
                else:
                    raise AssertionError(f"unknown marker '{b.marker}'")
            except (AssertionError, subprocess.TimeoutExpired) as e:
                failures += 1
                print(f"FAIL {b}: {e}", file=sys.stderr)
        left = r.leftovers()
        for d in left:
            failures += 1
            print(f"FAIL: an example left the database {d} behind "
                  "(examples must destroy what they create)", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"readme_doctest: {len(blocks)} blocks, {ran} run, {skipped} skipped, "
          f"{failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
