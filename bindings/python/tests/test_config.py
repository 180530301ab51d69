"""Every Config option, seen from inside the guest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import wasihost
from wasihost import CAPTURE, Config, Instance, Module


def run_cfg(module: Module, config: Config) -> tuple[int, bytes]:
    """Runs an instance of ``module``; its exit code and captured stdout."""
    with Instance(module, config) as inst:
        return inst.run(), inst.captured("stdout").data


def test_a_new_config_grants_nothing(pyguest: Module) -> None:
    # No args (argv is empty), no env, no directories, stdout discarded.
    with Config(stdout=CAPTURE, stderr=CAPTURE) as config, Instance(pyguest, config) as inst:
        assert inst.run() == 2  # no mode
        assert inst.captured("stdout").data == b""
        assert inst.captured("stderr").data == b"unknown mode \n"
    with Instance(pyguest, Config()) as inst:
        assert inst.run() == 2
        with pytest.raises(wasihost.InvalidArgumentError, match="not captured"):
            inst.captured("stdout")


def test_args_are_passed_byte_for_byte(module, guests) -> None:  # type: ignore[no-untyped-def]
    args = ["args.wasm", "a b", "", "ünï 日本", b"\xff raw bytes", "--dir"]
    r = wasihost.run(module("args"), args[1:], argv0=args[0])
    lines = r.stdout.decode().splitlines()
    assert lines[0] == "args_sizes errno=0 count=6 size=%d" % sum(
        len(a if isinstance(a, bytes) else a.encode()) + 1 for a in args
    )
    hexes = [ln.split(" ", 2)[2] for ln in lines if ln.startswith("arg ")]
    assert hexes == [(a if isinstance(a, bytes) else a.encode()).hex() for a in args]
    assert "libc_argv ok" in lines


def test_push_arg_and_push_args(pyguest: Module) -> None:
    with Config(stdout=CAPTURE) as c:
        c.push_arg("prog").push_args(["args", "x", Path("/p")])
        assert run_cfg(pyguest, c)[1] == (b"argv[0]=prog\nargv[1]=args\nargv[2]=x\nargv[3]=/p\n")
        with pytest.raises(TypeError, match="list"):
            c.push_args("oops")


def test_nul_in_an_argument_is_refused() -> None:
    with Config() as c, pytest.raises(wasihost.WasiHostError, match="NUL"):
        c.push_arg("a\0b")


def test_nul_in_an_argument_is_an_invalid_argument_as_documented() -> None:
    # wasihost.h: a NUL byte where none may be is an invalid argument.
    with Config() as c, pytest.raises(wasihost.InvalidArgumentError) as e:
        c.push_arg("a\0b")
    assert "NUL" in str(e.value)


def test_env_dict_and_override_in_place(pyguest: Module) -> None:
    with Config(args=["p", "env"], env={"A": "1", "B": "x=y", "EMPTY": ""}, stdout=CAPTURE) as c:
        c.set_env("A", "2")
        assert run_cfg(pyguest, c)[1] == b"ENV=A=2\nENV=B=x=y\nENV=EMPTY=\n"


@pytest.mark.parametrize("name", ["", "A=B", "A\0"])
def test_bad_env_names_are_refused(name: str) -> None:
    # An invalid value: InvalidArgumentError, which is a ValueError too.
    with Config() as c, pytest.raises(ValueError) as e:
        c.set_env(name, "v")
    assert isinstance(e.value, wasihost.InvalidArgumentError)


def test_inherit_one_variable(pyguest: Module, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASIHOST_PY_TEST_VAR", "from host")
    monkeypatch.delenv("WASIHOST_PY_NOT_SET", raising=False)
    with Config(args=["p", "env"], stdout=CAPTURE) as c:
        c.inherit_env("WASIHOST_PY_TEST_VAR").inherit_env("WASIHOST_PY_NOT_SET")
        assert run_cfg(pyguest, c)[1] == b"ENV=WASIHOST_PY_TEST_VAR=from host\n"


def test_inherit_the_whole_environment(pyguest: Module, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASIHOST_PY_TEST_VAR", "whole")
    with Config(
        args=["p", "env"], inherit_env=True, env={"WASIHOST_PY_TEST_VAR": "mine"}, stdout=CAPTURE
    ) as c:
        out = run_cfg(pyguest, c)[1].decode()
    assert "ENV=WASIHOST_PY_TEST_VAR=mine\n" in out
    assert f"ENV=PATH={os.environ['PATH']}\n" in out


@pytest.mark.parametrize("kind", ["str", "bytes", "pathlike"])
def test_preopen_accepts_str_bytes_and_pathlike(pyguest: Module, tmp_path: Path, kind: str) -> None:
    (tmp_path / "f.txt").write_text("content")
    host = {"str": str(tmp_path), "bytes": os.fsencode(tmp_path), "pathlike": tmp_path}[kind]
    guest = {"str": "/data", "bytes": b"/data", "pathlike": Path("/data")}[kind]
    with Config(args=["p", "cat", "/data/f.txt"], stdout=CAPTURE) as c:
        c.preopen(host, guest)
        assert run_cfg(pyguest, c) == (0, b"content")


def test_read_write_preopen_lets_the_guest_write(pyguest: Module, tmp_path: Path) -> None:
    r = wasihost.run(pyguest, ["write", "/out/new.txt", "hi"], dirs={"/out": tmp_path})
    assert r.stdout == b"write errno=0\n"
    assert (tmp_path / "new.txt").read_text() == "hi"


def test_two_preopens_and_a_listing(pyguest: Module, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "x"), (b / "y")
    (a / "x").write_text("1"), (b / "y").write_text("2"), (b / "z").write_text("3")
    r = wasihost.run(pyguest, ["ls", "/b"], dirs={"/a": a}, ro_dirs={"/b": b})
    assert r.stdout == b"y\nz\n"


def test_missing_preopen_is_file_not_found_at_once(tmp_path: Path) -> None:
    with Config() as c, pytest.raises(FileNotFoundError) as e:
        c.preopen(tmp_path / "missing", "/data")
    assert isinstance(e.value, wasihost.ConfigError)
    assert e.value.wasi_errno == 44
    # Which path is which, in the message.
    assert str(e.value) == (
        f"cannot grant the host directory '{tmp_path / 'missing'}' at the guest path '/data':"
        " No such file or directory (os error 2)"
    )


@pytest.mark.parametrize(
    "form",
    ["pairs", "cli strings", "path alone", "iterator", "dict (guest: host)"],
)
def test_dirs_read_host_first_or_as_the_earlier_dict(
    pyguest: Module, tmp_path: Path, form: str
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (b / "y").write_text("2")
    kwargs = {
        "pairs": {"dirs": [(a, "/a")], "ro_dirs": [(b, "/b")]},
        "cli strings": {"dirs": [f"{a}::/a"], "ro_dirs": [f"{b}::/b"]},
        "path alone": {"dirs": [a], "ro_dirs": [str(b)]},  # seen at the same path
        "iterator": {"dirs": iter([(a, "/a")]), "ro_dirs": (x for x in [(b, "/b")])},
        "dict (guest: host)": {"dirs": {"/a": a}, "ro_dirs": {"/b": b}},
    }[form]
    guest_b = str(b) if form == "path alone" else "/b"
    r = wasihost.run(pyguest, ["ls", guest_b], **kwargs)
    assert r.stdout == b"y\n"
    # ro_dirs is read-only, dirs read-write, whatever the form.
    guest_a = str(a) if form == "path alone" else "/a"
    if form == "iterator":
        kwargs = {"dirs": iter([(a, "/a")]), "ro_dirs": iter([(b, "/b")])}
    r = wasihost.run(pyguest, ["write", f"{guest_a}/new.txt", "hi"], **kwargs)
    assert r.stdout == b"write errno=0\n" and (a / "new.txt").read_text() == "hi"
    if form == "iterator":
        kwargs = {"dirs": iter([(a, "/a")]), "ro_dirs": iter([(b, "/b")])}
    r = wasihost.run(pyguest, ["write", f"{guest_b}/new.txt", "hi"], **kwargs)
    assert r.stdout != b"write errno=0\n" and not (b / "new.txt").exists()


def test_a_missing_dir_names_the_item_and_each_side(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(FileNotFoundError) as e:
        Config(dirs=[(tmp_path, "/ok"), (missing, "/data")])
    assert str(e.value) == (
        f"dirs[1]: cannot grant the host directory '{missing}' at the guest path '/data':"
        " No such file or directory (os error 2)"
    )
    with pytest.raises(NotADirectoryError, match=r"^ro_dirs\['/data'\]: cannot grant the host"):
        (tmp_path / "file").write_text("x")
        Config(ro_dirs={"/data": tmp_path / "file"})


def test_a_dict_the_wrong_way_round_is_explained(tmp_path: Path) -> None:
    # {host: guest} where {guest: host} is meant: the message shows both fixes.
    with pytest.raises(FileNotFoundError) as e:
        Config(dirs={str(tmp_path): "/data"})
    assert str(e.value) == (
        f"dirs['{tmp_path}']: cannot grant the host directory '/data' at the guest path"
        f" '{tmp_path}': No such file or directory (os error 2) (the dict form is"
        f" {{guest path: host directory}}: did you mean {{'/data': '{tmp_path}'}}, or"
        f" [('{tmp_path}', '/data')], host first as in Config.preopen and --dir HOST::GUEST?)"
    )


def test_preopen_of_a_file_is_not_a_directory(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    with Config() as c, pytest.raises(NotADirectoryError) as e:
        c.preopen(f, "/data")
    assert isinstance(e.value, wasihost.ConfigError)


def test_max_open_fds(pyguest: Module, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    # stdio (3) + the preopen (1) + 4 opened = 8; then mfile (33).
    r = wasihost.run(pyguest, ["openmany", "/d/f"], dirs={"/d": tmp_path}, max_open_fds=8)
    assert r.stdout == b"opened 4 errno=33\n"
    with Config() as c, pytest.raises(ValueError):
        c.set_max_open_fds(-1)


def test_one_config_serves_many_instances(pyguest: Module) -> None:
    with Config(args=["p", "echo"], stdin=b"again", stdout=CAPTURE) as c:
        for _ in range(3):
            assert run_cfg(pyguest, c) == (0, b"again")


def test_instances_outlive_their_config_and_module(guests) -> None:  # type: ignore[no-untyped-def]
    engine = wasihost.Engine()
    module = Module.from_file(guests["pyguest"], engine=engine)
    config = Config(args=["p", "echo"], stdin=b"still here", stdout=CAPTURE)
    inst = Instance(module, config)
    config.close(), module.close(), engine.close()
    assert inst.run() == 0
    assert inst.captured("stdout").data == b"still here"
    inst.close()
