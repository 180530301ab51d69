"""A virtual /dev/urandom: a file that exists only in the handlers of the host.

    python3 virtual_urandom.py [HOSTDEMO.wasm]

The guest gets an empty scratch directory at /dev (fd 3). Opening
/dev/urandom there makes wasi-libc call path_open(3, "urandom"): a
handler answers it with a file descriptor of its own, and the fd_* calls
on that descriptor (fd_read fills the guest's iovecs, fd_close,
fd_fdstat_get; the rest is refused) never reach the real host. Every
other call falls through to the built-in implementation. The bytes come
from random.Random(SEED), so the run is reproducible. Prints:

    /dev/urandom: <32 hex digits>
    /dev/null: error No such file or directory
"""

from __future__ import annotations

import random
import struct
import sys
import tempfile

from _common import hostdemo

import wasihost
from wasihost import Call, Errno, Module

SEED = 2024
RIGHT_FD_READ = 1 << 1
FILETYPE_CHARACTER_DEVICE = 2


class VirtualURandom:
    """Serves "urandom" in the directory fd ``dir_fd`` from a seeded generator."""

    def __init__(self, dir_fd: int, seed: int) -> None:
        self.dir_fd = dir_fd
        self.rng = random.Random(seed)
        self.open_fds: set[int] = set()
        self.next_fd = 0x4000_0000  # far above what the host hands out

    def path_open(self, call: Call) -> Errno:
        if call.args["fd"] != self.dir_fd or call.path != b"urandom":
            return call.call_default()
        fd = self.next_fd
        self.next_fd += 1
        self.open_fds.add(fd)
        call.results["opened_fd"] = fd
        return Errno.SUCCESS

    def fd_call(self, call: Call) -> Errno:
        if call.args.get("fd") not in self.open_fds:
            return call.call_default()  # a real fd: the built-in
        if call.name == "fd_read":
            size = sum(len(v) for v in call.iovecs())
            call.results["nread"] = call.fill_iovecs(self.rng.randbytes(size))
            return Errno.SUCCESS
        if call.name == "fd_close":
            self.open_fds.discard(call.args["fd"])
            return Errno.SUCCESS
        if call.name == "fd_fdstat_get":
            # A structure result, in the layout of wasi/api.h's __wasi_fdstat_t.
            call.results["stat"] = struct.pack(
                "<BxHxxxxQQ", FILETYPE_CHARACTER_DEVICE, 0, RIGHT_FD_READ, 0
            )
            return Errno.SUCCESS
        return Errno.NOTSUP if call.name != "fd_seek" else Errno.SPIPE


def main() -> int:
    wasm = hostdemo()
    device = VirtualURandom(dir_fd=3, seed=SEED)  # /dev is the first preopen: fd 3
    # path_open for the name; every fd_* call for the descriptor (most fall through).
    handlers = {"path_open": device.path_open, "fd": device.fd_call}
    with tempfile.TemporaryDirectory() as dev, Module.from_file(wasm) as module:
        for args in (["random", "/dev/urandom", "16"], ["open", "/dev/null"]):
            result = wasihost.run(module, args, dirs={"/dev": dev}, handlers=handlers)
            assert result.stdout is not None
            sys.stdout.write(result.stdout.decode())
            if result.exit_code:
                return result.exit_code
    assert not device.open_fds, "the guest closed what it opened"
    return 0


if __name__ == "__main__":
    sys.exit(main())
