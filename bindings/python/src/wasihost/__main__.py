"""``python -m wasihost [OPTIONS] FILE.wasm [ARGS...]``: see :mod:`wasihost.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
