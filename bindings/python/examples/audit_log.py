"""An audit log of what a guest opens and reads, from the trace stream.

    python3 audit_log.py [HOSTDEMO.wasm]

The config traces path_open and fd_read to a Python callable: each call
arrives, once finished, as a wasihost.TraceRecord (the instance, the call,
its arguments with paths as text, its errno by name, its results, its
duration). The callable prints one audit line per call (and keeps the
JSON lines, as `--trace FILE` writes them). Two guests run from the same
config: the instance number tells them apart. Prints the guests' output,
then:

    audit: #1 path_open "notes.txt" -> success, fd 4
    audit: #1 fd_read fd 4 -> success, 6 bytes
    audit: #1 fd_read fd 4 -> success, 0 bytes
    audit: #1 path_open "nope.txt" -> noent
    audit: #2 path_open "notes.txt" -> success, fd 4
    ...
    audit: 8 records, 2 instances
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
from pathlib import Path

from _common import hostdemo

from wasihost import Config, Instance, Module, TraceRecord


class AuditLog:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.jsonl = io.StringIO()

    def __call__(self, record: TraceRecord) -> None:
        # Runs on the guest's thread, after each traced call.
        self.jsonl.write(record.json + "\n")
        outcome = record.errno.wasi_name if record.errno is not None else "ended the guest"
        if record.name == "path_open":
            what = f'"{record.args["path"]}"'
            if record.results:
                outcome += f", fd {record.results['opened_fd']}"
        else:  # fd_read
            what = f"fd {record.args['fd']}"
            if record.results:
                outcome += f", {record.results['nread']} bytes"
        self.lines.append(f"audit: #{record.instance} {record.name} {what} -> {outcome}")


def main() -> int:
    wasm = hostdemo()
    audit = AuditLog()
    with tempfile.TemporaryDirectory() as d, Module.from_file(wasm) as module:
        Path(d, "notes.txt").write_text("hello\n")
        args = ["hostdemo", "open", "/data/notes.txt", "/data/nope.txt"]
        with Config(args=args, ro_dirs={"/data": d}, stdout=sys.stdout.buffer) as config:
            config.set_trace(audit, filter="path_open,fd_read")
            for _ in range(2):  # two guests of one config
                sys.stdout.flush()
                with Instance(module, config) as instance:
                    if instance.run() != 0:
                        return 1
    for line in audit.lines:
        print(line)
    records = [json.loads(line) for line in audit.jsonl.getvalue().splitlines()]
    print(f"audit: {len(records)} records, {len({r['instance'] for r in records})} instances")
    return 0


if __name__ == "__main__":
    sys.exit(main())
