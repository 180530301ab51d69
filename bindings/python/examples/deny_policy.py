"""A policy on path_open: refuse the names that match a pattern, the built-in for the rest.

    python3 deny_policy.py [HOSTDEMO.wasm]

The guest (examples/guests/hostdemo.c, `open` mode) opens four files of a
scratch directory. The handler sees every path_open: it refuses keys and
certificates with EACCES and calls the default implementation for the
others, so a missing file still fails with ENOENT as usual. Prints:

    /data/notes.txt: 6 bytes
    /data/id.key: error Permission denied
    /data/sub/cert.pem: error Permission denied
    /data/missing.txt: error No such file or directory
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import sys
import tempfile
from pathlib import Path

from _common import hostdemo

import wasihost
from wasihost import Call, Errno

DENIED = ("*.key", "*.pem")


def policy(call: Call) -> Errno:
    # The path is as the guest gave it, relative to the directory fd
    # call.args["fd"]: normalize it before matching ("x/../id.key").
    assert call.path is not None
    name = posixpath.basename(posixpath.normpath(os.fsdecode(call.path)))
    if any(fnmatch.fnmatch(name, pattern) for pattern in DENIED):
        return Errno.ACCES
    return call.call_default()


def main() -> int:
    wasm = hostdemo()
    with tempfile.TemporaryDirectory() as d:
        Path(d, "sub").mkdir()
        Path(d, "notes.txt").write_text("hello\n")
        Path(d, "id.key").write_text("-----BEGIN PRIVATE KEY-----\n")
        Path(d, "sub", "cert.pem").write_text("-----BEGIN CERTIFICATE-----\n")
        paths = ["/data/notes.txt", "/data/id.key", "/data/sub/cert.pem", "/data/missing.txt"]
        result = wasihost.run(
            wasm, ["open", *paths], dirs={"/data": d}, handlers={"path_open": policy}
        )
    assert result.stdout is not None
    sys.stdout.write(result.stdout.decode())
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
