"""What the examples share: where the guest is."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def hostdemo() -> str:
    """The hostdemo guest: argv[1], else the repository's build/guests/hostdemo.wasm."""
    if len(sys.argv) > 1:
        return sys.argv[1]
    path = REPO / "build" / "guests" / "hostdemo.wasm"
    if not path.exists():
        sys.exit(f"{path} is missing: run `make guests` at the repository root, or give its path")
    return str(path)
