#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every command line that README.md and the docs show, run as written (TAP).

A newcomer copies commands out of the docs; each must work.  This finds the
command lines in the Markdown files (inline code and code blocks: `make ...`,
`build/bin/...`, our programs with arguments, our scripts with arguments),
and runs each from the checkout's root with build/bin on PATH, through the
hand-written rendering in COMMANDS below (placeholders such as PATH or DIR
made concrete, [optional] parts and alternatives each tried).  A command line
in the docs that COMMANDS does not know fails, and so does an entry of
COMMANDS that the docs no longer show: the two cannot drift apart.

    doc_commands.py [--list]      --list: only print the command lines found
"""
import glob
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = ['README.md', 'docs/*.md', '*/README.md', 'tests/README.md']
BIN_PROGRAMS = {'vgpu-sim', 'vgpu-devmodel', 'vgpu-info', 'vgpu-demo', 'vgpu-bench'}
STEP_TIMEOUT = 900
STOP_GRACE = 10  # seconds from TERM to KILL, and from KILL to giving up

# Shell functions every rendering may use.  W is the run's scratch folder.
PRELUDE = r'''
set -euo pipefail
export PATH="$PWD/build/bin:$PATH"
sims=()
trap 'for p in "${sims[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
# start_sim SOCKET [vgpu-sim args...]: in the background, until it says ready.
start_sim() {
	local sock=$1 log
	shift
	log=$W/sim-$(basename "$sock").log
	build/bin/vgpu-sim --socket "$sock" "$@" >"$log" 2>&1 &
	sims+=($!)
	for _ in $(seq 300); do
		grep -q "^vgpu-sim: ready on $sock" "$log" && return 0
		kill -0 "${sims[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	echo "vgpu-sim $* did not get ready:"; tail -n 20 "$log"
	return 1
}
# The port a sim started with --tcp listens on.
sim_port() { sed -n 's/^vgpu-sim: listening on tcp:127.0.0.1:\([0-9]*\)$/\1/p' "$W/sim-$(basename "$1").log"; }
'''


def sim_and_info(name, sim_args=''):
    """A sim started with these arguments, and vgpu-info naming its device."""
    return ('start_sim "$W/{0}.sock" {1}\n'
            'VGPU_SOCKET="$W/{0}.sock" build/bin/vgpu-info | tee "$W/{0}.info"\n'
            'grep -q "^personality:" "$W/{0}.info"\n').format(name, sim_args)


# Each documented command line -> the cases that run it: (what, script) or a
# reason it cannot run here (a string).
COMMANDS = {
    'make': [('make builds build/bin', 'make -s\nls build/bin/vgpu-sim build/bin/vgpu-devmodel')],
    'make demo': [('make demo renders frames',
                   'rm -rf build/demo/frames\nmake -s demo\nls build/demo/frames/*.png')],
    'make test': 'the test suite itself, which is running this',
    'make package': [('make package writes the zip',
                      'rm -f build/package/vgpu-win64.zip\nmake -s package\n'
                      'ls build/package/vgpu-win64/vgpu.sys build/package/vgpu-win64/vgpu.cat '
                      'build/package/vgpu-win64.zip')],
    'make testos': [('make testos boots the guest and replays', 'make -s testos')],
    'make bench': [('make bench', 'make -s bench')],
    'make bench-gl': [('make bench-gl', 'make -s bench-gl | tee "$W/bench-gl.txt"\n'
                       'grep -q "^vgpu/native" "$W/bench-gl.txt"')],
    'make bench-wgl': [('make bench-wgl, one short round',
                        'VGPU_BENCH_WGL_ROUNDS=1 VGPU_BENCH_WGL_SECONDS=1 make -s bench-wgl'
                        ' | tee "$W/bench-wgl.txt"\n'
                        'grep -q "^vgpu/wine 1920x1080 " "$W/bench-wgl.txt"')],
    'make mesa': [('make mesa', 'make -s mesa')],
    'make fuzz-build': [('make fuzz-build builds the fuzzers',
                         'make -s fuzz-build\nls build/fuzz/tests/fuzz/fuzz_ioctl')],
    'make fuzz': 'make fuzz FUZZ_SECONDS=60 runs it, with fewer seconds',
    'make fuzz FUZZ_SECONDS=60': [('make fuzz, a few seconds each',
                                   'make -s fuzz FUZZ_SECONDS=3 | tee "$W/fuzz.txt"\n'
                                   'grep -q "^fuzz ioctl: [0-9]* execs, 0 crashes$" "$W/fuzz.txt"')],
    'make fuzz-coverage': [('make fuzz-coverage reports the core files',
                            'make -s fuzz-coverage | tee "$W/fuzz-cov.txt"\n'
                            'grep -q "^kmd/core/dispatch.c" "$W/fuzz-cov.txt"')],
    'build/bin/vgpu-sim --socket PATH [--tcp PORT] [--device qemu|model|model-mvisor]': [
        ('vgpu-sim --socket PATH, vgpu-info on it', sim_and_info('default')),
        ('vgpu-sim --device qemu, vgpu-info on it', sim_and_info('qemu', '--device qemu')),
        ('vgpu-sim --device model, vgpu-info on it', sim_and_info('model', '--device model')),
        ('vgpu-sim --device model-mvisor, vgpu-info on it',
         sim_and_info('mvisor', '--device model-mvisor')),
        ('vgpu-sim --tcp PORT, vgpu-info over TCP',
         'start_sim "$W/tcp.sock" --tcp 0\n'
         'VGPU_SOCKET="tcp:127.0.0.1:$(sim_port "$W/tcp.sock")" build/bin/vgpu-info'),
    ],
    'scripts/storm-kill.sh': [('storm-kill.sh, a short storm on each device',
                               'STORM_CLIENTS=6 STORM_PARALLEL=3 STORM_MAX_MS=600 '
                               'scripts/storm-kill.sh')],
    'scripts/soak.sh': [('soak.sh, a short soak on each device, GL programs included',
                         'SOAK_CLIENTS=2 SOAK_GL_CLIENTS=1 SOAK_WGL_CLIENTS=1 SOAK_SECONDS=5'
                         ' scripts/soak.sh')],
    'build/bin/vgpu-info': [('vgpu-info', 'start_sim "$W/info.sock"\n'
                             'VGPU_SOCKET="$W/info.sock" build/bin/vgpu-info')],
    'build/bin/vgpu-demo': [('vgpu-demo writes its image',
                             'start_sim "$W/demo.sock"\n'
                             '(cd "$W" && VGPU_SOCKET="$W/demo.sock" "$OLDPWD/build/bin/vgpu-demo")\n'
                             'test -s "$W/vgpu-demo.png"')],
    'build/bin/vgpu-bench': [('vgpu-bench', 'build/bin/vgpu-bench')],
    'vgpu-sim --device model': [('vgpu-sim --device model, vgpu-demo on it',
                                 'start_sim "$W/model.sock" --device model\n'
                                 '(cd "$W" && VGPU_SOCKET="$W/model.sock" vgpu-demo)')],
    'vgpu-devmodel (--fd=N | --socket-path=PATH) [--personality=standard|mvisor] '
    '[--host-visible=SIZE] [--staging] [--memory=SIZE] [--fault=SPEC]... [-v]': [
        ('vgpu-devmodel --socket-path=PATH with its options listens',
         'vgpu-devmodel --socket-path="$W/dm.sock" --personality=mvisor --host-visible=64M '
         '--staging --memory=256M -v >"$W/dm.log" 2>&1 &\n'
         'sims+=($!)\n'
         'for _ in $(seq 100); do [ -S "$W/dm.sock" ] && break; sleep 0.1; done\n'
         'test -S "$W/dm.sock"'),
    ],
    'make testos\nmake -C testos O=DIR\ntestos/run.sh DIR/testos.elf\n'
    'TESTOS_CAPTURES=a.vgcap,b.vgcap testos/run.sh DIR/testos.elf': [
        ('build the guest, run it, replay two captures',
         'make -s -C testos O="$W/guest"\n'
         'testos/run.sh "$W/guest/testos.elf"\n'
         'VGPU_SIM_RECORD="$W/a.vgcap" start_sim "$W/rec.sock"\n'
         '(cd "$W" && VGPU_SOCKET="$W/rec.sock" vgpu-demo >/dev/null)\n'
         'kill "${sims[-1]}"; wait "${sims[-1]}" || true\n'
         'cp "$W/a.vgcap" "$W/b.vgcap"\n'
         'TESTOS_CAPTURES="$W/a.vgcap,$W/b.vgcap" testos/run.sh "$W/guest/testos.elf"'),
    ],
    'VGPU_SIM_RECORD=out.vgcap vgpu-sim --socket S &\nVGPU_SOCKET=S vgpu-demo\nkill %1\n'
    'TESTOS_CAPTURES=out.vgcap testos/run.sh build/testos/testos.elf\n'
    'tests/testos/replay-test.sh BUILD_DIR KERNEL': [
        ('record vgpu-demo, replay it in the guest, then the whole test',
         'make -s -C testos O="$PWD/build/testos"\n'
         'cd "$W"\n'
         'VGPU_SIM_RECORD=out.vgcap vgpu-sim --socket S >sim-S.log 2>&1 &\n'
         'for _ in $(seq 300); do grep -q "ready on S" sim-S.log && break; sleep 0.1; done\n'
         'VGPU_SOCKET=S vgpu-demo\n'
         'kill %1; wait %1 || true\n'
         'cd "$OLDPWD"\n'
         'TESTOS_CAPTURES="$W/out.vgcap" testos/run.sh build/testos/testos.elf\n'
         'tests/testos/replay-test.sh build build/testos/testos.elf "$W/replay"'),
    ],
    'tests/testos/replay-test.sh BUILD_DIR KERNEL': [
        ('replay-test.sh BUILD_DIR KERNEL',
         'make -s -C testos O="$PWD/build/testos"\n'
         'tests/testos/replay-test.sh build build/testos/testos.elf "$W/replay-alone"'),
    ],
    'TESTOS_NT_CAPTURES=out.vgcap scripts/testos-nt.sh build\n'
    'tests/testos-nt/replay-test.sh BUILD_DIR GUEST': [
        ('record vgpu-demo, replay it through vgpu.sys, then the whole test',
         'make -s -C testos-nt O="$PWD/build/testos-nt"\n'
         'VGPU_SIM_RECORD="$W/out.vgcap" start_sim "$W/rec.sock"\n'
         '(cd "$W" && VGPU_SOCKET="$W/rec.sock" vgpu-demo >/dev/null)\n'
         'kill "${sims[-1]}"; wait "${sims[-1]}" || true\n'
         'TESTOS_NT_CAPTURES="$W/out.vgcap" scripts/testos-nt.sh build\n'
         'tests/testos-nt/replay-test.sh build build/testos-nt/testos-nt.bin "$W/nt-replay"'),
    ],
    'make testos-nt': [('make testos-nt runs every scenario', 'make -s testos-nt')],
    'scripts/newer-qemu.sh --prepare': [
        ('the newer QEMU is there, 9.2 or later',
         'scripts/newer-qemu.sh --prepare\n'
         'scripts/newer-qemu.sh --version | grep -E "version (9\\.[2-9]|[1-9][0-9]+)\\."'),
    ],
    'scripts/newer-qemu.sh QEMU-ARGS': [
        ('it starts a machine with blobs in host-visible memory',
         'echo quit | scripts/newer-qemu.sh -machine q35 -accel tcg -nodefaults -vga none '
         '-device virtio-gpu-gl-pci,blob=true,hostmem=64M '
         '-display egl-headless,rendernode=/dev/null -monitor stdio -S >/dev/null'),
    ],
    'make testos-nt\nmake -C testos-nt O=DIR\nscripts/testos-nt.sh BUILD_DIR [GUEST]': [
        ('build the NT guest alone, then run it on the package',
         'make -s -C testos-nt O="$W/nt"\n'
         'scripts/testos-nt.sh build "$W/nt/testos-nt.bin"'),
    ],
}


def is_command(text, in_block):
    """Does this piece of code show a command to run (not a file or a name)?"""
    try:
        words = shlex.split(text, comments=False)
    except ValueError:
        words = text.split()
    while words and re.match(r'^[A-Z_][A-Z0-9_]*=', words[0]):
        words.pop(0)
    if not words:
        return False
    first, args = words[0], words[1:]
    if first == 'make' or (first.startswith('build/bin/') and first != 'build/bin/'):
        return True
    with_args = bool(args) or in_block
    if first in BIN_PROGRAMS:
        return with_args
    if first == 'kill' and in_block:
        return True
    path = os.path.join(REPO, first)
    return with_args and '/' in first and os.path.isfile(path) and os.access(path, os.X_OK)


def normalise(line):
    return ' '.join(line.split())


def commands_in(text):
    """The command units of one Markdown text: an inline span, or the command
    lines of one code block (run together, in order, as one script)."""
    units = []
    block = None
    indented = []  # an indented block is one command wrapped over lines (a synopsis)

    def end_indented():
        if indented and is_command(indented[0], True):
            units.append(normalise(' '.join(indented)))
        indented.clear()

    for line in text.split('\n'):
        fence = re.match(r'^\s*```(\S*)', line)
        if fence:
            if block is None:
                block = (fence.group(1), [])
            else:
                lang, lines = block
                if lang in ('', 'sh', 'bash', 'console'):
                    cmds = [normalise(x) for x in lines if is_command(x, True)]
                    if cmds:
                        units.append('\n'.join(cmds))
                block = None
            continue
        if block is not None:
            block[1].append(re.sub(r'\s#\s.*$', '', line).strip())
            continue
        if line.startswith('    ') and line.strip():
            indented.append(line.strip())
            continue
        end_indented()
        for span in re.findall(r'(?<!`)`([^`]+)`(?!`)', line):
            if is_command(span, False):
                units.append(normalise(span))
    end_indented()
    return units


def documented():
    """{command unit: [files showing it]} over every doc, in order."""
    found = {}
    for pattern in DOCS:
        for path in sorted(glob.glob(os.path.join(REPO, pattern))):
            with open(path, encoding='utf-8') as f:
                for unit in commands_in(f.read()):
                    found.setdefault(unit, []).append(os.path.relpath(path, REPO))
    return found


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def case(self, ok, what):
        self.n += 1
        self.failed += 0 if ok else 1
        print('%s %d - %s' % ('ok' if ok else 'not ok', self.n, what), flush=True)

    def comment(self, text):
        for line in text.rstrip('\n').split('\n'):
            print('#   ' + line)


def stop_group(proc):
    """Ends every process a case started: a timed-out command's services
    (a server holding a lock, a display) must not outlive it.  TERM first,
    so that scripts stop what they started; KILL what is left STOP_GRACE later."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + STOP_GRACE
        while time.monotonic() < deadline:
            proc.poll()  # the leader, reaped, no longer counts as alive
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


def run_case(tap, what, script, work):
    start = time.monotonic()
    env = dict(os.environ, W=work)
    # Its own process group, so that a timeout stops all it started.
    proc = subprocess.Popen(['bash', '-c', PRELUDE + script], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        raw, _ = proc.communicate(timeout=STEP_TIMEOUT)
        ok, why = proc.returncode == 0, 'status %d' % proc.returncode
    except subprocess.TimeoutExpired:
        stop_group(proc)
        ok, why = False, 'timed out after %d s' % STEP_TIMEOUT
        try:
            raw, _ = proc.communicate(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            raw = b'(its output is held open by a process that left its group)'
    out = raw.decode(errors='replace')
    # A failure's output comes before its verdict, where the suite's summary
    # (scripts/tap_summary.py) looks for a case's diagnostics.
    if not ok:
        tap.comment(why + '\n' + '\n'.join(out.rstrip('\n').split('\n')[-30:]))
    tap.case(ok, '%s (%.0f s)' % (what, time.monotonic() - start))


def main():
    found = documented()
    if sys.argv[1:] == ['--list']:
        for unit, files in found.items():
            print('%s: %s' % (', '.join(files), unit.replace('\n', ' ; ')))
        return 0
    tap = Tap()
    for unit, files in found.items():
        where = ', '.join(sorted(set(files)))
        shown = unit.replace('\n', ' ; ')
        cases = COMMANDS.get(unit)
        if cases is None:
            tap.comment('add how to run it to COMMANDS in tests/docs/doc_commands.py')
            tap.case(False, '%s: `%s` is known to this test' % (where, shown))
        elif isinstance(cases, str):
            print('# not run: `%s` (%s): %s' % (shown, where, cases))
        else:
            for what, script in cases:
                with tempfile.TemporaryDirectory(prefix='vgpu-doc-') as work:
                    run_case(tap, '%s: %s' % (where, what), script, work)
    for unit in COMMANDS:
        if unit not in found:
            tap.case(False, 'COMMANDS entry `%s` is still shown in the docs' %
                     unit.replace('\n', ' ; '))
    print('1..%d' % tap.n)
    return 1 if tap.failed else 0


if __name__ == '__main__':
    sys.exit(main())
