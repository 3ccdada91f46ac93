#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""doc_commands.py's own runner (TAP): a case that outlives its time is
stopped with everything it started, a TERM-deaf child included, so that no
lock or service it held keeps the next case waiting; a case that ends in
time passes."""
import contextlib
import fcntl
import importlib.util
import io
import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('doc_commands', os.path.join(HERE, 'doc_commands.py'))
doc_commands = importlib.util.module_from_spec(spec)
spec.loader.exec_module(doc_commands)
doc_commands.STEP_TIMEOUT = 2
doc_commands.STOP_GRACE = 2


def alive(pid):
    """Running: a zombie no one has reaped yet has ended too."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


def lock_is_free(path):
    with open(path, 'w') as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def run_case(tap, what, script, work):
    """The runner's own verdict, shown as comments of this test's."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        doc_commands.run_case(tap, what, script, work)
    for line in out.getvalue().splitlines():
        print('# ' + line)


def main():
    inner = doc_commands.Tap()
    work = tempfile.mkdtemp(prefix='doc-commands-')
    lock, pids = os.path.join(work, 'lock'), os.path.join(work, 'pids')
    # A service that takes a lock and ignores TERM, and a shell that waits on it.
    hung = ('exec {l}>"$W/lock"; flock "$l"\n'
            '(trap "" TERM; echo $BASHPID >>"$W/pids"; exec sleep 600) &\n'
            'echo $$ >>"$W/pids"; wait\n')
    run_case(inner, 'hangs', hung, work)
    started = [int(p) for p in open(pids).read().split()]
    results = [
        (inner.failed == 1, 'a case past its time fails'),
        (len(started) == 2 and not [p for p in started if alive(p)],
         'it and its TERM-deaf child are gone (%s)' % started),
        (lock_is_free(lock), 'the lock they held is free'),
    ]
    run_case(inner, 'ends', 'echo done\n', work)
    results.append((inner.failed == 1, 'a case that ends in time passes'))
    shutil.rmtree(work)
    for n, (ok, what) in enumerate(results, 1):
        print('%s %d - %s' % ('ok' if ok else 'not ok', n, what))
    print('1..%d' % len(results))
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == '__main__':
    sys.exit(main())
