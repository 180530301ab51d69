"""A reproducible run: deterministic time and randomness, run twice, compared byte for byte.

    python3 reproducible_run.py [HOSTDEMO.wasm] [SEED]

The guest (hostdemo `time` mode) prints the wall clock, the monotonic
clock, sleeps 1.5 s, prints the monotonic clock again, 8 random bytes
and the names in a directory. In deterministic mode the wall clock is
frozen at 2000-01-01T00:00:00Z, the monotonic clock starts at 0 and
advances only by what the guest sleeps (at once: the run does not wait),
and the random bytes come from SEED; so two runs print the same bytes.
Prints the output once, then "the two runs printed the same N bytes"
(exit 0), or the difference (exit 1).
"""

from __future__ import annotations

import difflib
import sys
import tempfile
from pathlib import Path

from _common import hostdemo

import wasihost


def run_once(wasm: str, directory: str, seed: int) -> bytes:
    result = wasihost.run(wasm, ["time", "/data"], ro_dirs={"/data": directory}, deterministic=seed)
    assert result.stdout is not None
    return result.stdout


def main() -> int:
    wasm = hostdemo()
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    with tempfile.TemporaryDirectory() as d:
        for name in ("a.txt", "b.txt", "c.txt"):
            Path(d, name).write_text(name)
        first, second = run_once(wasm, d, seed), run_once(wasm, d, seed)
    sys.stdout.write(first.decode())
    if first != second:
        sys.stdout.writelines(
            difflib.unified_diff(
                first.decode().splitlines(True), second.decode().splitlines(True), "run 1", "run 2"
            )
        )
        return 1
    print(f"the two runs printed the same {len(first)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
