"""The guest reaches only what it was granted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import wasihost
from wasihost import Module

PERM, NOENT, NOTCAPABLE = 63, 44, 76


@pytest.fixture
def jail(tmp_path: Path) -> Path:
    """tmp/jail (granted) with inside.txt and sub/; tmp/secret.txt outside; links out."""
    jail = tmp_path / "jail"
    (jail / "sub").mkdir(parents=True)
    (jail / "inside.txt").write_text("inside")
    (tmp_path / "secret.txt").write_text("SECRET")
    os.symlink(tmp_path / "secret.txt", jail / "abs_link")
    os.symlink("../secret.txt", jail / "rel_link")
    os.symlink(tmp_path, jail / "dir_link")
    return jail


def escape(pyguest: Module, jail: Path, *paths: str) -> dict[str, int]:
    r = wasihost.run(pyguest, ["escape", *paths], dirs={"/jail": jail})
    out = r.stdout.decode()
    assert "LEAK" not in out and "SECRET" not in out, out
    result = {}
    for line in out.splitlines():
        path, _, e = line.rpartition(" errno=")
        result[path] = int(e)
    assert list(result) == list(paths)
    return result


def test_paths_inside_the_jail_open(pyguest: Module, jail: Path) -> None:
    r = wasihost.run(
        pyguest, ["escape", "inside.txt", "sub/../inside.txt", "."], dirs={"/jail": jail}
    )
    assert r.stdout == (
        b"inside.txt errno=0\n  LEAK inside\nsub/../inside.txt errno=0\n  LEAK inside\n. errno=0\n"
    )


def test_dotdot_and_absolute_paths_are_refused(pyguest: Module, jail: Path) -> None:
    got = escape(
        pyguest,
        jail,
        "../secret.txt",
        "sub/../../secret.txt",
        "..",
        "/etc/passwd",
        str(jail.parent / "secret.txt"),
        "sub/../../jail/../secret.txt",
    )
    assert set(got.values()) == {PERM}, got


def test_symlinks_out_are_refused(pyguest: Module, jail: Path) -> None:
    got = escape(pyguest, jail, "abs_link", "rel_link", "dir_link/secret.txt", "dir_link")
    assert set(got.values()) == {PERM}, got


def test_libc_paths_outside_every_preopen_fail(pyguest: Module, jail: Path) -> None:
    for path in ("/etc/passwd", "/jail/../secret.txt", "/jail/abs_link", "secret.txt"):
        r = wasihost.run(pyguest, ["cat", path], dirs={"/jail": jail})
        assert r.exit_code == 1 and r.stdout == b"", path
        # perm from the host, or notcapable from wasi-libc when no preopen matches.
        assert r.stderr in (b"cat errno=%d\n" % e for e in (PERM, NOTCAPABLE)), (path, r.stderr)


def test_guest_symlink_pointing_out_cannot_be_followed(pyguest: Module, jail: Path) -> None:
    # A symlink the guest makes itself is resolved inside the jail too.
    os.symlink("../../secret.txt", jail / "sub" / "up2")
    got = escape(pyguest, jail, "sub/up2")
    assert got == {"sub/up2": PERM}


def test_nothing_outside_changes(pyguest: Module, jail: Path) -> None:
    for args in (
        ["write", "/jail/../secret.txt", "pwned"],
        ["unlink", "/jail/rel_link/x"],
        ["write", "/jail/abs_link", "pwned"],
        ["mkdir", "/jail/../newdir"],
    ):
        wasihost.run(pyguest, args, dirs={"/jail": jail})
    assert (jail.parent / "secret.txt").read_text() == "SECRET"
    assert not (jail.parent / "newdir").exists()


def test_read_only_preopen_refuses_every_write(pyguest: Module, tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "f.txt").write_text("keep")
    before = sorted(os.listdir(ro))
    for args, label in (
        (["write", "/ro/f.txt", "x"], b"write"),
        (["write", "/ro/new.txt", "x"], b"write"),
        (["append", "/ro/f.txt", "x"], b"append"),
        (["mkdir", "/ro/d"], b"mkdir"),
        (["unlink", "/ro/f.txt"], b"unlink"),
    ):
        r = wasihost.run(pyguest, args, ro_dirs={"/ro": ro})
        assert r.stdout == label + b" errno=%d\n" % NOTCAPABLE, (args, r.stdout)
    assert sorted(os.listdir(ro)) == before
    assert (ro / "f.txt").read_text() == "keep"
    # Reading still works.
    r = wasihost.run(pyguest, ["cat", "/ro/f.txt"], ro_dirs={"/ro": ro})
    assert (r.exit_code, r.stdout) == (0, b"keep")


def test_read_only_via_config_preopen(pyguest: Module, tmp_path: Path) -> None:
    with wasihost.Config(args=["p", "write", "/d/x", "y"], stdout=wasihost.CAPTURE) as c:
        c.preopen(tmp_path, "/d", readonly=True)
        with wasihost.Instance(pyguest, c) as inst:
            inst.run()
            assert inst.captured().data == b"write errno=%d\n" % NOTCAPABLE
    assert not (tmp_path / "x").exists()


def test_no_preopen_means_no_filesystem(pyguest: Module) -> None:
    r = wasihost.run(pyguest, ["cat", "/etc/passwd"])
    assert r.exit_code == 1 and r.stdout == b""
