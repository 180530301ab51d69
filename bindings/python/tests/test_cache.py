"""wasihost.Cache: loads through the compiled-module cache, its size limit, disk usage, clear."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

import wasihost
from wasihost import Cache, CacheStatus, Module

# Two small modules that differ: two entries.
EXIT7_WAT = b"""(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 7))))
"""
EXIT9_WAT = EXIT7_WAT.replace(b"i32.const 7", b"i32.const 9")


def _entries(d: Path) -> list[Path]:
    return sorted(d.glob("*.cwasm"))


def _exit_code(module: Module) -> int:
    return wasihost.run(module).exit_code


def test_load_is_a_miss_then_a_hit(guests: dict[str, Path], tmp_path: Path) -> None:
    wasm = guests["proc"].read_bytes()
    with Cache(tmp_path / "c") as cache:
        with cache.load(wasm) as m:
            assert m.cache_status is CacheStatus.MISS
        (entry,) = _entries(tmp_path / "c")
        before = (entry.stat().st_ino, entry.read_bytes())
        with cache.load(wasm) as m:
            assert m.cache_status is CacheStatus.HIT
            r = wasihost.run(m, ["hello", "x"])
            assert (r.exit_code, r.stdout) == (0, b"hello x\n")
        # A hit reads the entry; it does not write it again.
        assert _entries(tmp_path / "c") == [entry]
        assert (entry.stat().st_ino, entry.read_bytes()) == before


def test_load_file_is_a_miss_then_a_hit_and_shares_entries_with_load(
    guests: dict[str, Path], tmp_path: Path
) -> None:
    with Cache(tmp_path / "c") as cache:
        with cache.load_file(guests["proc"]) as m:
            assert m.cache_status is CacheStatus.MISS
        with cache.load_file(str(guests["proc"]).encode()) as m:
            assert m.cache_status is CacheStatus.HIT
            r = wasihost.run(m, ["hello", "z"])
            assert (r.exit_code, r.stdout) == (0, b"hello z\n")
        # Entries are keyed by the module's bytes: the same entry for load().
        with cache.load(guests["proc"].read_bytes()) as m:
            assert m.cache_status is CacheStatus.HIT
        assert len(_entries(tmp_path / "c")) == 1


def test_load_file_sees_a_changed_file(tmp_path: Path) -> None:
    """The file's hash is remembered against its identity and times (once the
    file is older than the cache's 3 s stability window); a rewrite changes
    them, so the new content is loaded, never the old entry."""
    path = tmp_path / "m.wat"
    path.write_bytes(EXIT7_WAT)
    time.sleep(3.5)  # past ModuleCache::STABLE_AFTER: the hash is remembered
    with Cache(tmp_path / "c") as cache:
        with cache.load_file(path) as m:
            assert (m.cache_status, _exit_code(m)) == (CacheStatus.MISS, 7)
        with cache.load_file(path) as m:
            assert (m.cache_status, _exit_code(m)) == (CacheStatus.HIT, 7)
        path.write_bytes(EXIT9_WAT)  # same size, same inode
        with cache.load_file(path) as m:
            assert (m.cache_status, _exit_code(m)) == (CacheStatus.MISS, 9)
        with cache.load_file(path) as m:
            assert (m.cache_status, _exit_code(m)) == (CacheStatus.HIT, 9)


def test_disk_usage_and_clear(guests: dict[str, Path], tmp_path: Path) -> None:
    d = tmp_path / "c"
    with Cache(d) as cache:
        assert cache.disk_usage() == 0  # no directory yet
        assert cache.clear() == 0
        assert not d.exists()
        kept = cache.load(guests["proc"].read_bytes())
        cache.load(EXIT7_WAT).close()
        usage = cache.disk_usage()
        assert usage >= sum(e.stat().st_size for e in _entries(d)) > 0
        (d / "notes.txt").write_text("not the cache's")
        assert cache.disk_usage() == usage  # other files are not counted
        assert cache.clear() == usage
        assert cache.disk_usage() == 0
        assert _entries(d) == []
        assert (d / "notes.txt").read_text() == "not the cache's"
        # A module loaded before the clear still runs.
        with kept:
            r = wasihost.run(kept, ["hello", "after"])
            assert (r.exit_code, r.stdout) == (0, b"hello after\n")
        with cache.load(EXIT7_WAT) as m:
            assert m.cache_status is CacheStatus.MISS
        assert cache.clear() > 0


def test_max_size_evicts_the_least_recently_used(tmp_path: Path) -> None:
    # The disk one entry takes, measured in a cache of its own.
    with Cache(tmp_path / "measure") as cache:
        cache.load(EXIT7_WAT).close()
        one = cache.disk_usage()
    assert one > 0
    with Cache(tmp_path / "c", max_size=one + 1) as cache:
        assert cache.max_size == one + 1
        with cache.load(EXIT7_WAT) as m:
            assert m.cache_status is CacheStatus.MISS
        with cache.load(EXIT9_WAT) as m:
            assert m.cache_status is CacheStatus.MISS
        # Both do not fit: the older one went.
        assert len(_entries(tmp_path / "c")) == 1
        assert cache.disk_usage() <= one + 1
        with cache.load(EXIT9_WAT) as m:
            assert m.cache_status is CacheStatus.HIT
        with cache.load(EXIT7_WAT) as m:
            assert (m.cache_status, _exit_code(m)) == (CacheStatus.MISS, 7)


def test_a_hit_marks_an_entry_used(tmp_path: Path) -> None:
    exit5 = EXIT7_WAT.replace(b"i32.const 7", b"i32.const 5")
    with Cache(tmp_path / "measure") as cache:
        cache.load(EXIT7_WAT).close()
        one = cache.disk_usage()
    with Cache(tmp_path / "c", max_size=2 * one + 1) as cache:
        cache.load(EXIT7_WAT).close()
        time.sleep(0.05)
        cache.load(EXIT9_WAT).close()
        time.sleep(0.05)
        with cache.load(EXIT7_WAT) as m:  # now 9 is the least recently used
            assert m.cache_status is CacheStatus.HIT
        time.sleep(0.05)
        cache.load(exit5).close()
        with cache.load(EXIT7_WAT) as m:
            assert m.cache_status is CacheStatus.HIT
        with cache.load(EXIT9_WAT) as m:
            assert m.cache_status is CacheStatus.MISS


def test_an_entry_larger_than_the_limit_is_kept(tmp_path: Path) -> None:
    with Cache(tmp_path / "c", max_size=1) as cache:
        cache.load(EXIT7_WAT).close()
        with cache.load(EXIT7_WAT) as m:
            assert m.cache_status is CacheStatus.HIT
        cache.load(EXIT9_WAT).close()  # evicts 7, keeps 9
        assert len(_entries(tmp_path / "c")) == 1
        with cache.load(EXIT9_WAT) as m:
            assert m.cache_status is CacheStatus.HIT


def test_no_bound(tmp_path: Path) -> None:
    with Cache(tmp_path / "c", max_size=None) as cache:
        assert cache.max_size is None
        for wat in (EXIT7_WAT, EXIT9_WAT):
            cache.load(wat).close()
        assert len(_entries(tmp_path / "c")) == 2
    assert Cache(tmp_path / "c").max_size == Cache.DEFAULT_MAX_SIZE == 1 << 30


def test_the_default_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WASIHOST_CACHE_DIR", str(tmp_path / "default"))
    with Cache() as cache:
        assert cache.dir is None
        cache.load(EXIT7_WAT).close()
    assert len(_entries(tmp_path / "default")) == 1
    for name in ("WASIHOST_CACHE_DIR", "XDG_CACHE_HOME", "HOME"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(wasihost.InvalidArgumentError) as info:
        Cache()
    assert "WASIHOST_CACHE_DIR" in info.value.message
    # The conveniences run without a cache then, as the CLI does.
    with Module.from_file(_write(tmp_path), cache=True) as m:
        assert m.cache_status is CacheStatus.NOT_STORED
    assert wasihost.run(EXIT7_WAT, cache=True).exit_code == 7


def _write(tmp_path: Path) -> Path:
    p = tmp_path / "exit7.wat"
    p.write_bytes(EXIT7_WAT)
    return p


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        Cache(123)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Cache(tmp_path, max_size=-1)
    with pytest.raises(OverflowError):
        Cache(tmp_path, max_size=1 << 64)
    with pytest.raises(TypeError):
        Cache(tmp_path, max_size=True)
    with pytest.raises(TypeError):
        Cache(tmp_path, max_size=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Cache(tmp_path, allow_shared_dir="yes")  # type: ignore[arg-type]
    with pytest.raises(wasihost.InvalidArgumentError):
        Cache("")
    with Cache(tmp_path / "c") as cache:
        with pytest.raises(TypeError):
            cache.load("(module)")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            cache.load(b"(module)", engine="fast")  # type: ignore[arg-type]
        with pytest.raises(wasihost.ModuleError):
            cache.load(b"\0asm\x01\0\0\0\x99")
        with pytest.raises(FileNotFoundError) as info:
            cache.load_file(tmp_path / "missing.wasm")
        assert str(tmp_path / "missing.wasm") in info.value.message
        with pytest.raises(TypeError):
            cache.load_file(5)  # type: ignore[arg-type]
        assert _entries(tmp_path / "c") == []
    for use in (
        lambda: cache.load(EXIT7_WAT),
        lambda: cache.load_file(_write(tmp_path)),
        cache.disk_usage,
        cache.clear,
    ):
        with pytest.raises(ValueError, match="closed cache"):
            use()
    cache.close()  # idempotent
    assert cache.closed and "closed" in repr(cache)


def test_a_shared_directory_is_refused_unless_allowed(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    with Cache(shared) as cache:
        with pytest.raises(PermissionError):
            cache.load(EXIT7_WAT)
        with pytest.raises(PermissionError):
            cache.clear()
    with Cache(shared, allow_shared_dir=True) as cache:
        assert cache.allow_shared_dir
        with cache.load(EXIT7_WAT) as m:
            assert m.cache_status is CacheStatus.MISS
        assert cache.clear() > 0


def test_module_from_file_and_run_take_a_cache(guests: dict[str, Path], tmp_path: Path) -> None:
    with Cache(tmp_path / "c") as cache:
        with Module.from_file(guests["proc"], cache=cache) as m:
            assert m.cache_status is CacheStatus.MISS
        r = wasihost.run(guests["proc"], ["hello", "y"], cache=cache)
        assert (r.exit_code, r.stdout) == (0, b"hello y\n")
        assert wasihost.run(EXIT7_WAT, cache=cache).exit_code == 7
        assert len(_entries(tmp_path / "c")) == 2
        assert not cache.closed  # run() does not close a cache it was given


def test_run_cache_max_size(tmp_path: Path) -> None:
    d = tmp_path / "c"
    assert wasihost.run(EXIT7_WAT, cache=d, cache_max_size=1).exit_code == 7
    assert wasihost.run(EXIT9_WAT, cache=d, cache_max_size=1).exit_code == 9
    assert len(_entries(d)) == 1  # the first was evicted
    assert wasihost.run(EXIT7_WAT, cache=d, cache_max_size=None).exit_code == 7
    assert len(_entries(d)) == 2
    with pytest.raises(ValueError):
        wasihost.run(EXIT7_WAT, cache=d, cache_max_size=-1)
    with pytest.raises(TypeError):
        wasihost.run(EXIT7_WAT, cache=d, cache_max_size="1K")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Module.from_file(_write(tmp_path), cache=d, cache_max_size=1.0)  # type: ignore[arg-type]


def test_threads_share_a_cache(tmp_path: Path) -> None:
    statuses: list[CacheStatus | None] = []
    lock = threading.Lock()
    with Cache(tmp_path / "c") as cache:

        def load() -> None:
            with cache.load(EXIT7_WAT) as m:
                with lock:
                    statuses.append(m.cache_status)

        threads = [threading.Thread(target=load) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(statuses) == 8 and set(statuses) <= {CacheStatus.MISS, CacheStatus.HIT}
        with cache.load(EXIT7_WAT) as m:
            assert m.cache_status is CacheStatus.HIT
    assert len(_entries(tmp_path / "c")) == 1
