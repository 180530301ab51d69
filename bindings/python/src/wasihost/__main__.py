"""``python -m wasihost [OPTIONS] FILE.wasm [ARGS...]``: see :mod:`wasihost.cli`."""

import signal
import sys

from .cli import main

if __name__ == "__main__":
    # Signals as for the C runner. Python ignores SIGPIPE: restored, a guest
    # writing into a closed pipe ends the run (`... | head` stops it) instead
    # of seeing EPIPE and going on. Python turns SIGINT into
    # KeyboardInterrupt, which it could raise only once the guest returns:
    # restored, Ctrl-C stops a guest that never does.
    for name in ("SIGPIPE", "SIGINT"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    sys.exit(main())
