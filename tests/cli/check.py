#!/usr/bin/env python3
"""Checks a wasihost command-line runner against the CLI contract
(../shared/DESIGN.md, "The CLI contract") with the cases in cases.json.

    check.py --cli "build/examples-c/wasihost-run"      # the C CLI
    check.py --cli "python3 -m wasihost"                 # any other runner
    check.py --embed build/examples-c/embed              # the embed example
    check.py --cli ... --only trap_,exit_ -v

The guests are the C programs of tests/guests (the ones the Rust tests
use) and examples/guests/wordfreq.c, compiled with
`clang --target=wasm32-wasi -O2` into build/cli-guests. Every expected
output is derived from what those programs do (see their header
comments, and the generators below), never recorded from a runner.

cases.json holds two tables: "cli" (run as CLI-PREFIX ARGS...) and
"embed" (run as EMBED ARGS...). A case is one run, or "steps": runs in
order sharing one scratch directory. A run has:

  run        the arguments after the command prefix
  setup      files to make first: {"mkdir": P}, {"write": P, "text": T},
             {"write_hex": P, "hex": H}, {"symlink": P, "to": T},
             {"corrupt_cache": DIR} (overwrites every entry in DIR),
             {"chmod": P, "mode": "777"} (octal)
  env        variables added to the runner's environment
  unset_env  variables removed from it
  stdin      text fed to the runner's stdin (default: empty), or
             {"gen": "silent_pipe"}: a pipe whose write end check.py holds
             open, writing nothing, until the runner exits (a read of it
             blocks until something stops the guest)
  cwd        working directory (default: the scratch directory)
  umask      the runner's umask, octal (default: check.py's own)
  expect     status (exact), stdout / stderr (exact), stdout_contains /
             stderr_contains (substrings; of stderr, in any case: messages
             differ in capitals between layers), stdout_match (a Python
             regular expression the whole stdout must match, for a number
             only the library knows, e.g. "freed [1-9][0-9]* bytes\n"),
             stderr_one_line (one line,
             ending in a newline), files ({path: exact content}),
             files_contain / files_lack ({path: [substrings]}: each is in
             the file / none is; a trace has durations, so no exact
             content), absent
             ([paths that must not exist]), cache ({"dir": D, "entries":
             N, "same_as_before": bool}: N *.cwasm entries in D; the same
             file (inode and bytes) as after the previous step, or not;
             "entry_mode": "600": every entry's mode, octal), modes
             ({path: octal mode}: the permission bits of each path)
  tags       labels --skip-tag can leave out
  xfail      why the case is known to fail (a library bug): reported, not
             counted as a failure; a pass is an error (drop the marker)

Placeholders in any string: {tmp} (the case's scratch directory), {cache}
(a cache directory shared by the whole check run), {guest:NAME} (the
compiled guest), {guests} (their directory), {data} (examples/data),
{root} (the repository). An expected text is a string or a list of parts:
strings and generator objects ({"gen": "args_dump", ...}, see GENERATORS).

Every run gets HOME, XDG_CACHE_HOME and WASIHOST_CACHE_DIR pointing into
the scratch directory (a case may override or unset them), so no run ever
writes under the real $HOME. Output that mentions a sanitizer report
fails the case.

No timings: every check is on exact output, status and files.
"""

import argparse
import concurrent.futures
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# The guests: name -> source. tests/guests/*.c include util.c (and some
# fs_util.c), so any change there rebuilds them all.
GUESTS = {
    "args": "tests/guests/args.c",
    "proc": "tests/guests/proc.c",
    "stdio": "tests/guests/stdio.c",
    "sandbox": "tests/guests/sandbox.c",
    "wordfreq": "examples/guests/wordfreq.c",
    "atomics": "tests/guests/atomics.c",
    "limits": "tests/guests/limits.c",
    "fs_cap": "tests/guests/fs_cap.c",
    "hostdemo": "examples/guests/hostdemo.c",
}

# Extra compile flags of some guests (the same as tests/wasm_features.rs):
# atomics.c defines and exports a shared memory and uses atomic instructions.
GUEST_FLAGS = {
    "atomics": ["-matomics", "-mbulk-memory", "-Wl,--shared-memory",
                "-Wl,--max-memory=1048576", "-Wl,--no-check-features"],
}

# Generous: only to turn a hang into a failure, never a measurement.
RUN_TIMEOUT = 600

SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
                   "runtime error:")


# ---------------------------------------------------------------------------
# Building the guests
# ---------------------------------------------------------------------------

def build_guests(out_dir, names):
    """Compiles the guests into out_dir when missing or older than their
    sources; gives {name: path}. The flags are those of tests/common/mod.rs."""
    os.makedirs(out_dir, exist_ok=True)
    clang = os.environ.get("CLANG", "clang")
    base = [clang, "--target=wasm32-wasi", "-O2"]
    if os.environ.get("WASI_SYSROOT"):
        base.append("--sysroot=" + os.environ["WASI_SYSROOT"])
    shared = [os.path.join(ROOT, "tests/guests", f)
              for f in os.listdir(os.path.join(ROOT, "tests/guests")) if f.endswith(".c")]
    paths, jobs = {}, []
    for name in names:
        src = os.path.join(ROOT, GUESTS[name])
        wasm = os.path.join(out_dir, name + ".wasm")
        paths[name] = wasm
        deps = [src] + (shared if GUESTS[name].startswith("tests/") else [])
        newest = max(os.path.getmtime(d) for d in deps)
        if os.path.exists(wasm) and os.path.getmtime(wasm) >= newest:
            continue
        tmp = "%s.%d.tmp" % (wasm, os.getpid())
        cmd = base + GUEST_FLAGS.get(name, []) + ["-Wall", "-Wextra", "-Wno-unused-parameter",
                                                  src, "-o", tmp]
        jobs.append((name, wasm, tmp, cmd))
    procs = []
    for name, wasm, tmp, cmd in jobs:
        try:
            procs.append((name, wasm, tmp, subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
        except OSError as e:
            sys.exit("check.py: cannot run %s (%s): run `make deps` at the top" % (clang, e))
    for name, wasm, tmp, p in procs:
        _, err = p.communicate()
        if p.returncode != 0:
            sys.exit("check.py: compiling guest %s failed (clang with wasm32-wasi support "
                     "is needed: `make deps`):\n%s" % (name, err.decode(errors="replace")))
        os.replace(tmp, wasm)
    return paths


# ---------------------------------------------------------------------------
# Expected outputs, derived from the guests' sources
# ---------------------------------------------------------------------------

def gen_args_dump(args, env=()):
    """What tests/guests/args.c prints when its raw args are `args` and its
    environment is `env` (NAME=VALUE strings, in order): for each list its
    sizes, each item in hex, the layout check; then libc's argc/argv and
    getenv("GUEST_VAR")."""
    out = []
    for kind, item, items in (("args", "arg", args), ("environ", "env", env)):
        raw = [s.encode() for s in items]
        out.append("%s_sizes errno=0 count=%d size=%d\n"
                   % (kind, len(raw), sum(len(b) + 1 for b in raw)))
        out.append("%s_get errno=0\n" % kind)
        for i, b in enumerate(raw):
            out.append("%s %d %s\n" % (item, i, b.hex()))
        out.append("%s_layout ok\n" % kind)
    guest_var = None
    for kv in env:
        name, _, value = kv.partition("=")
        if name == "GUEST_VAR":
            guest_var = value
    out.append("libc_argc %d\nlibc_argv ok\n" % len(args))
    out.append("getenv %s\n" % (guest_var if guest_var is not None else "(null)"))
    return "".join(out)


def wordfreq_count(path):
    """Runs examples/guests/wordfreq.c's algorithm on a file: words are runs
    of ASCII letters and inner apostrophes (case-folded, at most 255 bytes
    kept); trailing apostrophes are dropped, except on a word that ends the
    input. Gives (sorted [(word, count)], lines, words, bytes)."""
    data = open(path, "rb").read()
    counts, word, words = {}, bytearray(), 0

    def add(w):
        counts[bytes(w)] = counts.get(bytes(w), 0) + 1

    for c in data:
        alpha = (65 <= c <= 90) or (97 <= c <= 122)
        if alpha or (c == 0x27 and word):
            if len(word) < 255:
                word.append(c | 0x20 if alpha else c)
        elif word:
            while word and word[-1] == 0x27:
                word.pop()
            if word:
                add(word)
                words += 1
            word = bytearray()
    if word:
        add(word)
        words += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked, data.count(b"\n"), words, len(data)


def gen_wordfreq_table(input, top):
    """The table wordfreq writes: a header, then the `top` most frequent
    words ("%-16s %u")."""
    ranked = wordfreq_count(input)[0]
    lines = ["%-16s %s\n" % ("word", "count")]
    for w, n in ranked[:top]:
        lines.append("%-16s %u\n" % (w.decode(), n))
    return "".join(lines)


def gen_wordfreq_summary(input, lang=None):
    """wordfreq's last stdout line."""
    ranked, lines, words, nbytes = wordfreq_count(input)
    return "-- %d lines, %d words, %d distinct, %d bytes (LANG=%s)\n" % (
        lines, words, len(ranked), nbytes, lang if lang is not None else "unset")


def gen_prefix_lines(prefix, text):
    """`text` with `prefix` before every line (as embed.c's callback does)."""
    parts = text.split("\n")
    out = "\n".join(prefix + p if p or i < len(parts) - 1 else p for i, p in enumerate(parts))
    return out


def gen_length(text):
    """The byte length of `text`, in decimal."""
    return str(len(text.encode()))


GENERATORS = {
    "args_dump": gen_args_dump,
    "wordfreq_table": gen_wordfreq_table,
    "wordfreq_summary": gen_wordfreq_summary,
    "prefix_lines": gen_prefix_lines,
    "length": gen_length,
}


def render(spec):
    """An expected text: a string, a generator object, or a list of parts."""
    if isinstance(spec, str):
        return spec
    if isinstance(spec, list):
        return "".join(render(p) for p in spec)
    if isinstance(spec, dict) and "gen" in spec:
        kwargs = {k: (render(v) if k in ("text",) else v)
                  for k, v in spec.items() if k != "gen"}
        return GENERATORS[spec["gen"]](**kwargs)
    raise ValueError("bad expected text: %r" % (spec,))


# ---------------------------------------------------------------------------
# Running a case
# ---------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{(tmp|cache|guests|data|root|guest:[a-z_0-9]+)\}")


def expand(value, vars):
    if isinstance(value, str):
        def sub(m):
            key = m.group(1)
            if key not in vars:
                raise KeyError("unknown placeholder {%s}" % key)
            return vars[key]
        return PLACEHOLDER.sub(sub, value)
    if isinstance(value, list):
        return [expand(v, vars) for v in value]
    if isinstance(value, dict):
        return {expand(k, vars): expand(v, vars) for k, v in value.items()}
    return value


def do_setup(op):
    if "mkdir" in op:
        os.makedirs(op["mkdir"], exist_ok=True)
    elif "write" in op or "write_hex" in op:
        path = op.get("write") or op["write_hex"]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = op["text"].encode() if "write" in op else bytes.fromhex(op["hex"])
        with open(path, "wb") as f:
            f.write(data)
    elif "symlink" in op:
        os.makedirs(os.path.dirname(op["symlink"]), exist_ok=True)
        os.symlink(op["to"], op["symlink"])
    elif "chmod" in op:
        os.chmod(op["chmod"], int(op["mode"], 8))
    elif "corrupt_cache" in op:
        for e in cache_entries(op["corrupt_cache"]):
            with open(e, "r+b") as f:
                f.seek(100)
                f.write(b"corrupted by check.py")
    else:
        raise ValueError("bad setup op %r" % (op,))


def cache_entries(d):
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".cwasm"))


def cache_identity(path):
    st = os.stat(path)
    with open(path, "rb") as f:
        return (st.st_ino, f.read())


def show(text, limit=3000):
    if len(text) > limit:
        text = text[:limit] + "\n... (%d more characters)" % (len(text) - limit)
    return text


def run_step(step, prefix, vars, state):
    """Runs one step; gives a list of failure messages."""
    for op in step.get("setup", []):
        do_setup(op)
    env = dict(os.environ)
    home = os.path.join(vars["tmp"], "home")
    env.update({"HOME": home, "XDG_CACHE_HOME": os.path.join(home, "xdg"),
                "WASIHOST_CACHE_DIR": os.path.join(home, "wasihost-cache")})
    env.update(step.get("env", {}))
    for name in step.get("unset_env", []):
        env.pop(name, None)
    cmd = prefix + step["run"]
    if "umask" in step:
        # Through the shell: os.umask in this threaded process would race.
        cmd = ["sh", "-c", 'umask %s && exec "$@"' % step["umask"], "sh"] + cmd
    stdin = step.get("stdin", "")
    held = []  # a silent pipe's ends, closed after the run
    if isinstance(stdin, dict):
        if stdin != {"gen": "silent_pipe"}:
            raise ValueError("bad stdin %r" % (stdin,))
        # Not inheritable (PEP 446): only the runner gets the read end, as
        # its stdin; the write end stays here, open and silent.
        held = list(os.pipe())
        feed = {"stdin": held[0]}
    else:
        feed = {"input": stdin.encode()}
    try:
        p = subprocess.run(cmd, capture_output=True, cwd=step.get("cwd", vars["tmp"]),
                           env=env, timeout=RUN_TIMEOUT, **feed)
    except subprocess.TimeoutExpired:
        return ["no exit after %d s: %s" % (RUN_TIMEOUT, shlex.join(cmd))]
    finally:
        for fd in held:
            os.close(fd)
    out = p.stdout.decode(errors="replace")
    err = p.stderr.decode(errors="replace")
    exp = step["expect"]
    fails = []
    status = p.returncode if p.returncode >= 0 else 128 - p.returncode
    if status != exp["status"]:
        fails.append("status %d, want %d" % (status, exp["status"]))
    if "stdout" in exp and out != render(exp["stdout"]):
        fails.append("stdout differs:\n--- want:\n%s\n--- got:\n%s"
                     % (show(render(exp["stdout"])), show(out)))
    for s in exp.get("stdout_contains", []):
        if s not in out:
            fails.append("stdout lacks %r" % s)
    if "stdout_match" in exp and not re.fullmatch(exp["stdout_match"], out):
        fails.append("stdout does not match %r:\n%s" % (exp["stdout_match"], show(out)))
    if "stderr" in exp and err != render(exp["stderr"]):
        fails.append("stderr differs:\n--- want:\n%s\n--- got:\n%s"
                     % (show(render(exp["stderr"])), show(err)))
    for s in exp.get("stderr_contains", []):
        if s.lower() not in err.lower():
            fails.append("stderr lacks %r" % s)
    if exp.get("stderr_one_line") and (err.count("\n") != 1 or not err.endswith("\n")):
        fails.append("stderr is not one line")
    for mark in SANITIZER_MARKS:
        if mark in err or mark in out:
            fails.append("sanitizer report (%s)" % mark)
            break
    for path, want in exp.get("files", {}).items():
        try:
            got = open(path, "rb").read().decode(errors="replace")
        except OSError as e:
            fails.append("file %s: %s" % (path, e))
            continue
        if got != render(want):
            fails.append("file %s differs:\n--- want:\n%s\n--- got:\n%s"
                         % (path, show(render(want)), show(got)))
    for key, present in (("files_contain", True), ("files_lack", False)):
        for path, parts in exp.get(key, {}).items():
            try:
                got = open(path, "rb").read().decode(errors="replace")
            except OSError as e:
                fails.append("file %s: %s" % (path, e))
                continue
            for part in parts:
                if (render(part) in got) != present:
                    fails.append("file %s %s %r:\n%s" % (
                        path, "lacks" if present else "holds", render(part), show(got)))
    for path, want in exp.get("modes", {}).items():
        try:
            got = "%o" % (os.lstat(path).st_mode & 0o7777)
        except OSError as e:
            fails.append("mode of %s: %s" % (path, e))
            continue
        if got != want:
            fails.append("mode of %s is %s, want %s" % (path, got, want))
    for path in exp.get("absent", []):
        if os.path.lexists(path):
            fails.append("%s exists" % path)
    if "cache" in exp:
        c = exp["cache"]
        entries = cache_entries(c["dir"])
        if len(entries) != c["entries"]:
            fails.append("cache %s holds %d entries, want %d: %s"
                         % (c["dir"], len(entries), c["entries"], entries))
        elif entries:
            for e in entries:
                got = "%o" % (os.stat(e).st_mode & 0o7777)
                if "entry_mode" in c and got != c["entry_mode"]:
                    fails.append("cache entry %s has mode %s, want %s"
                                 % (e, got, c["entry_mode"]))
            ident = [cache_identity(e) for e in entries]
            before = state.get(c["dir"])
            if "same_as_before" in c:
                if before is None:
                    fails.append("bad case: no earlier cache state for %s" % c["dir"])
                elif (ident == before) != c["same_as_before"]:
                    fails.append("cache entry %s, want %s" % (
                        "unchanged" if ident == before else "rewritten",
                        "unchanged (a hit)" if c["same_as_before"] else "rewritten"))
            state[c["dir"]] = ident
    if fails:
        fails.insert(0, "command: %s" % shlex.join(cmd))
        if not any(f.startswith("stdout differs") for f in fails):
            fails.append("--- stdout:\n" + show(out))
        if not any(f.startswith("stderr differs") for f in fails):
            fails.append("--- stderr:\n" + show(err))
    return fails


def run_case(case, prefix, base_vars, scratch_root):
    tmp = tempfile.mkdtemp(prefix=case["name"] + ".", dir=scratch_root)
    vars = dict(base_vars, tmp=tmp)
    case = expand(case, vars)
    state, fails = {}, []
    for i, step in enumerate(case.get("steps") or [case]):
        step_fails = run_step(step, prefix, vars, state)
        if step_fails:
            fails = ["step %d: %s" % (i + 1, step_fails[0])] + step_fails[1:]
            break
    # Whatever the case did, nothing may have landed in the default cache
    # locations unless the case itself pointed them elsewhere.
    home = os.path.join(tmp, "home")
    if not fails and os.path.lexists(home):
        fails.append("the run wrote under $HOME: %s" % os.listdir(home))
    if not fails:
        shutil.rmtree(tmp, ignore_errors=True)
    return fails


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", help="the runner's command prefix, split like a shell would")
    ap.add_argument("--embed", action="append", default=[],
                    help="an embed binary (repeatable)")
    ap.add_argument("--cases", default=os.path.join(HERE, "cases.json"))
    ap.add_argument("--guests-dir", default=os.path.join(ROOT, "build", "cli-guests"))
    ap.add_argument("--only", help="comma list: run the cases whose name contains one")
    ap.add_argument("--skip-tag", action="append", default=[],
                    help="skip the cases with this tag (e.g. equals-form, for a runner "
                         "without --option=VALUE)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    if not a.cli and not a.embed:
        ap.error("give --cli and/or --embed")

    with open(a.cases) as f:
        tables = json.load(f)
    targets = []
    if a.cli:
        prefix = shlex.split(a.cli)
        # A path to a program (not a command on $PATH) works from any cwd.
        if os.sep in prefix[0]:
            prefix[0] = os.path.abspath(prefix[0])
        targets.append(("cli", prefix, a.cli))
    for e in a.embed:
        targets.append(("embed", [os.path.abspath(e)], e))
    names = set()
    for table, _, _ in targets:
        for c in tables[table]:
            if c["name"] in names and table == "cli":
                sys.exit("check.py: duplicate case %s" % c["name"])
            names.add(c["name"])
    only = a.only.split(",") if a.only else None

    guests = build_guests(a.guests_dir, sorted(GUESTS))
    scratch_root = tempfile.mkdtemp(prefix="wasihost-cli-check.")
    base_vars = {"cache": os.path.join(scratch_root, "shared-cache"),
                 "guests": a.guests_dir, "data": os.path.join(ROOT, "examples", "data"),
                 "root": ROOT}
    base_vars.update({"guest:" + n: p for n, p in guests.items()})

    work = [(table, prefix, label, c) for table, prefix, label in targets
            for c in tables[table] if not only or any(o in c["name"] for o in only)
            if not set(c.get("tags", [])) & set(a.skip_tag)]
    failed = xfailed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        futures = [(w, pool.submit(run_case, w[3], w[1], base_vars, scratch_root))
                   for w in work]
        for (table, prefix, label, c), fut in futures:
            fails = fut.result()
            if "xfail" in c:
                # A known bug outside the runner: its failure is expected,
                # and a pass means the marker must go.
                if fails:
                    xfailed += 1
                    print("xfail %s %s: %s" % (table, c["name"], c["xfail"]))
                    if a.verbose:
                        for line in fails:
                            print("    " + line.replace("\n", "\n    "))
                    continue
                fails = ["passes, but is marked xfail (%s): remove the marker" % c["xfail"]]
            if fails:
                failed += 1
                print("FAIL %s %s [%s]" % (table, c["name"], label))
                for line in fails:
                    print("    " + line.replace("\n", "\n    "))
            elif a.verbose:
                print("ok   %s %s" % (table, c["name"]))
    if not failed:
        shutil.rmtree(scratch_root, ignore_errors=True)
    else:
        print("scratch directories of failed cases kept under %s" % scratch_root)
    counts = {}
    for table, _, _, _ in work:
        counts[table] = counts.get(table, 0) + 1
    print("check.py: %d of %d cases passed, %d known failures (%s) for %s" % (
        len(work) - failed - xfailed, len(work), xfailed,
        ", ".join("%s: %d" % kv for kv in sorted(counts.items())),
        " and ".join(label for _, _, label in targets)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
