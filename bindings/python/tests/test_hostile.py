"""A hostile guest cannot make the host allocate per guest iovec.

The guest grows its memory to about 1.1 GiB without touching it and passes
2**27 iovecs (1 GiB of untouched, all-zero memory) to one ``fd_write`` or
``fd_read``. The host takes at most IOV_MAX (1024) of them per call, so the
call costs nothing; a host that allocated 16-32 bytes per guest iovec
would need 2-4 GiB and abort. It runs in a child interpreter whose address
space is limited, after instantiation, to what is mapped + 512 MiB
(wasmtime reserves several GiB of address space per memory when it
instantiates, so the limit is relative to that). The child must exit
normally and report what the guest saw: a short transfer or an errno.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

PKG_SRC = Path(__file__).resolve().parent.parent / "src"

PAGES = 18022  # 64 KiB pages: 1.1 GiB
IOVS_LEN = 1 << 27  # 2**27 iovecs of 8 bytes: [0, 1 GiB)
NPTR = 0x4000_0010  # the result count, just past the iovec array
BUF = 0x4000_0100  # fd_read: the first iovec's 16-byte buffer
OUT = 0x4000_1000  # the report the guest writes to stdout
REPORT_IOV = 0x4000_0020
STDIN = b"hostile stdin\n"


def _emit(text: str) -> str:
    return "".join(f"(call $putc (i32.const {ord(c)}))" for c in text)


def hostile_wat(func: str) -> str:
    """The guest: ``func`` ("fd_write" on fd 1 or "fd_read" on fd 0) with 2**27 iovecs.

    It prints ``<func> errno=E n=N data=...`` (data: what fd_read put in
    its buffer) and exits 0; exit code 99 if the memory could not grow.
    """
    fd = 1 if func == "fd_write" else 0
    # fd_read: the first iovec reads into BUF; the 2**27 - 1 others are empty.
    setup = (
        f"(i32.store (i32.const 0) (i32.const {BUF})) (i32.store (i32.const 4) (i32.const 16))"
        if func == "fd_read"
        else ""
    )
    return f"""(module
  (import "wasi_snapshot_preview1" "{func}" (func $io (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (global $len (mut i32) (i32.const 0))
  (func $putc (param $c i32)
    (i32.store8 (i32.add (i32.const {OUT}) (global.get $len)) (local.get $c))
    (global.set $len (i32.add (global.get $len) (i32.const 1))))
  (func $putnum (param $n i32)
    (if (i32.ge_u (local.get $n) (i32.const 10))
      (then (call $putnum (i32.div_u (local.get $n) (i32.const 10)))))
    (call $putc (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10)))))
  (func (export "_start")
    (local $errno i32) (local $n i32) (local $i i32)
    (if (i32.eq (memory.grow (i32.const {PAGES - 1})) (i32.const -1))
      (then (call $exit (i32.const 99))))
    {setup}
    (local.set $errno
      (call $io (i32.const {fd}) (i32.const 0) (i32.const {IOVS_LEN}) (i32.const {NPTR})))
    (local.set $n (i32.load (i32.const {NPTR})))
    {_emit(func + " errno=")}(call $putnum (local.get $errno))
    {_emit(" n=")}(call $putnum (local.get $n))
    {_emit(" data=")}
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (select (local.get $n) (i32.const 16)
                                                   (i32.lt_u (local.get $n) (i32.const 16)))))
      (br_if $done (i32.ne (i32.const {fd}) (i32.const 0)))
      (call $putc (i32.load8_u (i32.add (i32.const {BUF}) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (call $putc (i32.const 10))
    (i32.store (i32.const {REPORT_IOV}) (i32.const {OUT}))
    (i32.store (i32.const {REPORT_IOV + 4}) (global.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const {REPORT_IOV}) (i32.const 1) (i32.const {NPTR})))
    (call $exit (i32.const 0))))
"""


# The child: instantiate, then limit the address space to what is mapped
# + 512 MiB, then run. It prints the exit code and the captured stdout.
CHILD = r"""
import resource, sys
import wasihost

wat_path = sys.argv[1]
stdin = sys.argv[2].encode()
with wasihost.Module.from_file(wat_path) as module, wasihost.Config(
    args=["hostile"], stdin=stdin, stdout=wasihost.CAPTURE, stderr=wasihost.CAPTURE
) as config, wasihost.Instance(module, config) as inst:
    with open("/proc/self/status") as f:
        vm_kib = next(int(line.split()[1]) for line in f if line.startswith("VmSize:"))
    limit = vm_kib * 1024 + (512 << 20)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    code = inst.run()
    out = inst.captured("stdout").data
    sys.stdout.write("exit=%d limit=%d stdout=%r\n" % (code, limit, out))
"""

REPORT = re.compile(
    r"exit=(\d+) limit=\d+ stdout=b'(fd_write|fd_read) errno=(\d+) n=(\d+) data=(.*)\\n'"
)


def run_child(tmp_path: Path, func: str) -> tuple[int, int, bytes]:
    """Runs the hostile guest in a child interpreter: (exit code, errno, n) and the data read."""
    wat = tmp_path / f"hostile_{func}.wat"
    wat.write_text(hostile_wat(func))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PKG_SRC), env.get("PYTHONPATH")]))
    p = subprocess.run(
        [sys.executable, "-c", CHILD, str(wat), STDIN.decode()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        timeout=600,  # against a hang only
    )
    died = ""
    if p.returncode < 0:
        died = f"killed by {signal.Signals(-p.returncode).name}; "
    assert p.returncode == 0, (
        f"{died}the child exited {p.returncode}\nstdout: {p.stdout.decode(errors='replace')}"
        f"\nstderr: {p.stderr.decode(errors='replace')[-3000:]}"
    )
    m = REPORT.search(p.stdout.decode())
    assert m, f"unexpected report: {p.stdout!r} (stderr: {p.stderr[-2000:]!r})"
    code, name, errno, n, data = m.groups()
    assert name == func
    assert code == "0", f"exit code {code} (99: memory.grow failed)"
    return int(errno), int(n), data.encode().decode("unicode_escape").encode("latin-1")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_fd_write_with_2_27_iovecs_under_an_address_space_limit(tmp_path: Path) -> None:
    errno, n, _ = run_child(tmp_path, "fd_write")
    # Every iovec is empty: a short write of 0 bytes, or an errno.
    assert (errno, n) == (0, 0) or errno != 0, (errno, n)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_fd_read_with_2_27_iovecs_under_an_address_space_limit(tmp_path: Path) -> None:
    errno, n, data = run_child(tmp_path, "fd_read")
    # The first iovec holds 16 bytes, the others none: the stdin bytes, or an errno.
    if errno == 0:
        assert n == len(STDIN) and data == STDIN, (n, data)
