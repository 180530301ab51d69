"""Instances on several threads at once, and interrupts from another thread."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import wasihost
from wasihost import CAPTURE, Config, Instance, Module

THREADS = 4
TIMEOUT = 300  # only against hangs


def test_four_threads_run_instances_at_once(pyguest: Module) -> None:
    # Each guest writes its first line, then its callback waits at a
    # barrier: it passes only when all four guests are running together.
    barrier = threading.Barrier(THREADS, timeout=TIMEOUT)

    def one(k: int) -> tuple[int, bytes, bytes]:
        sink = io.BytesIO()
        first = [True]

        def write(data: bytes) -> None:
            sink.write(data)
            if first[0]:
                first[0] = False
                barrier.wait()

        with (
            Config(
                args=["p", "upper"],
                stdin=f"thread {k}\n".encode() * 1000,
                stdout=write,
                stderr=CAPTURE,
            ) as c,
            Instance(pyguest, c) as inst,
        ):
            code = inst.run()
            return code, sink.getvalue(), inst.captured("stderr").data

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(one, range(THREADS), timeout=TIMEOUT))
    for k, (code, out, err) in enumerate(results):
        assert (code, err) == (0, b"")
        assert out == f"THREAD {k}\n".encode() * 1000


def test_one_config_and_module_shared_by_threads(pyguest: Module, tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("shared input\n")
    with Config(args=["p", "cat", "/d/in.txt"], ro_dirs={"/d": tmp_path}, stdout=CAPTURE) as config:

        def one(_: int) -> bytes:
            results = []
            for _ in range(5):
                with Instance(pyguest, config) as inst:
                    assert inst.run() == 0
                    results.append(inst.captured().data)
            assert len(set(results)) == 1
            return results[0]

        with ThreadPoolExecutor(THREADS) as pool:
            outs = list(pool.map(one, range(THREADS), timeout=TIMEOUT))
    assert outs == [b"shared input\n"] * THREADS


def test_a_shared_callback_is_called_from_every_thread(pyguest: Module) -> None:
    lock = threading.Lock()
    seen: dict[int, bytes] = {}

    def write(data: bytes) -> None:
        with lock:
            ident = threading.get_ident()
            seen[ident] = seen.get(ident, b"") + data

    with Config(args=["p", "writes"], stdout=write) as config:

        def one(_: int) -> int:
            with Instance(pyguest, config) as inst:
                return inst.run()

        with ThreadPoolExecutor(THREADS) as pool:
            assert list(pool.map(one, range(THREADS * 2), timeout=TIMEOUT)) == [0] * THREADS * 2
    assert sum(v.count(b"line 1\n") for v in seen.values()) == THREADS * 2


def test_callback_exceptions_go_to_their_own_thread(pyguest: Module) -> None:
    # The same callback fails for some threads only: each thread sees its own.
    def write(data: bytes) -> None:
        name = threading.current_thread().name
        if name.endswith("odd"):
            raise RuntimeError(name)

    with Config(args=["p", "writes"], stdout=write) as config:

        def one(name: str) -> str:
            threading.current_thread().name = name
            with Instance(pyguest, config) as inst:
                try:
                    inst.run()
                    return "ok"
                except RuntimeError as e:
                    return str(e)

        names = [f"t{k}-{'odd' if k % 2 else 'even'}" for k in range(THREADS)]
        with ThreadPoolExecutor(THREADS) as pool:
            got = list(pool.map(one, names, timeout=TIMEOUT))
    assert got == [n if n.endswith("odd") else "ok" for n in names]


@pytest.mark.parametrize("how", ["instance", "handle"])
def test_interrupt_from_another_thread(pyguest: Module, how: str) -> None:
    spinning = threading.Event()
    with (
        Config(args=["p", "spin"], stdout=lambda b: spinning.set()) as c,
        Instance(pyguest, c) as inst,
    ):
        handle = inst.interrupt_handle()
        stop = inst.interrupt if how == "instance" else handle.interrupt
        # The guest runs on this thread; another thread stops it once it spins.
        t = threading.Thread(target=lambda: (spinning.wait(TIMEOUT), stop()))
        t.start()
        with pytest.raises(wasihost.Interrupted):
            inst.run()
        t.join(TIMEOUT)
        handle.close()


def test_interrupting_many_instances(pyguest: Module) -> None:
    ready = threading.Barrier(THREADS + 1, timeout=TIMEOUT)
    instances: list[Instance] = []
    lock = threading.Lock()

    def one(_: int) -> str:
        first = [True]

        def write(data: bytes) -> None:
            if first[0]:
                first[0] = False
                ready.wait()

        with Config(args=["p", "spin"], stdout=write) as c, Instance(pyguest, c) as inst:
            with lock:
                instances.append(inst)
            try:
                inst.run()
            except wasihost.Interrupted:
                return "interrupted"
            return "returned"

    with ThreadPoolExecutor(THREADS) as pool:
        futs = [pool.submit(one, k) for k in range(THREADS)]
        ready.wait()  # all four spin now
        for inst in list(instances):
            inst.interrupt()
        assert [f.result(TIMEOUT) for f in futs] == ["interrupted"] * THREADS
