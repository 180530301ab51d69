"""close(), context managers, garbage collection, use after close."""

from __future__ import annotations

import gc
import threading
import weakref
from pathlib import Path
from typing import Any, Callable

import pytest

import wasihost
from wasihost import Config, Engine, Instance, InterruptHandle, Module

WAT = '(module (func (export "_start")) (func (export "spin") (loop $l (br $l))))'


def make_all() -> dict[str, Any]:
    engine = Engine(interruptible=True)  # for the interrupt handle
    module = Module.from_wat(WAT, engine=engine)
    config = Config()
    instance = Instance(module, config)
    handle = instance.interrupt_handle()
    return {
        "engine": engine,
        "module": module,
        "config": config,
        "instance": instance,
        "handle": handle,
    }


USES: dict[str, Callable[[Any], Any]] = {
    "engine": lambda e: Module.from_wat(WAT, engine=e),
    "module": lambda m: m.serialize(),
    "module_export": lambda m: m.has_export("_start"),
    "config": lambda c: c.push_arg("x"),
    "config_instance": lambda c: Instance(Module.from_wat(WAT), c),
    "config_limit": lambda c: c.set_max_memory(1 << 20),
    "instance": lambda i: i.run(),
    "instance_call": lambda i: i.call("_start"),
    "instance_interrupt": lambda i: i.interrupt(),
    "instance_handle": lambda i: i.interrupt_handle(),
    "handle": lambda h: h.interrupt(),
}


@pytest.mark.parametrize("use", sorted(USES))
def test_use_after_close_is_a_value_error(use: str) -> None:
    objs = make_all()
    obj = objs[use.split("_")[0]]
    obj.close()
    with pytest.raises(ValueError, match="closed"):
        USES[use](obj)
    for o in objs.values():
        o.close()


def test_close_is_idempotent_and_closed_reports_it() -> None:
    for name, obj in make_all().items():
        assert not obj.closed
        obj.close()
        obj.close()
        assert obj.closed, name
        assert "closed" in repr(obj)


def test_context_managers_close() -> None:
    with (
        Engine(interruptible=True) as e,
        Module.from_wat(WAT, engine=e) as m,
        Config() as c,
        Instance(m, c) as i,
        i.interrupt_handle() as h,
    ):
        assert i.run() == 0
    assert all(x.closed for x in (e, m, c, i, h))


def test_garbage_collection_frees_the_handles() -> None:
    objs = make_all()
    finalizers = [o._finalizer for o in objs.values()]
    refs = [weakref.ref(o) for o in objs.values()]
    assert all(f.alive for f in finalizers)
    del objs
    gc.collect()
    assert all(r() is None for r in refs)
    assert not any(f.alive for f in finalizers)


def test_closing_in_any_order_keeps_the_rest_working(guests: dict[str, Path]) -> None:
    objs = make_all()
    for name in ("engine", "module", "config"):
        objs[name].close()
    assert objs["instance"].run() == 0
    objs["instance"].close()
    objs["handle"].interrupt()  # may outlive its instance
    objs["handle"].close()


def test_an_instance_cannot_be_closed_or_run_while_another_thread_runs_it(pyguest: Module) -> None:
    spinning = threading.Event()
    errors: list[BaseException] = []
    # The guest writes "spinning" (the callback says so), then loops forever.
    with (
        Config(args=["p", "spin"], stdout=lambda b: spinning.set()) as c,
        Instance(pyguest, c) as inst,
    ):

        def body() -> None:
            try:
                inst.run()
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

        t = threading.Thread(target=body)
        t.start()
        assert spinning.wait(300)
        with pytest.raises(RuntimeError, match="another thread"):
            inst.close()
        with pytest.raises(RuntimeError, match="in use"):
            inst.run()
        # Also a call whose type is not known yet: its lookup does not wait.
        with pytest.raises(RuntimeError, match="in use"):
            inst.call("_start")
        inst.interrupt()
        t.join(300)
        assert not t.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], wasihost.Interrupted)
    assert inst.closed


def test_a_callback_cannot_reenter_or_close_its_running_instance(pyguest: Module) -> None:
    holder: dict[str, Instance] = {}
    for action, message in (
        (lambda: holder["i"].run(), "in use"),
        (lambda: holder["i"].close(), "from a call"),
    ):
        with (
            Config(args=["p", "writes"], stdout=lambda b, f=action: f()) as c,
            Instance(pyguest, c) as inst,
        ):
            holder["i"] = inst
            with pytest.raises(RuntimeError, match=message):
                inst.run()
            assert not inst.closed


def test_interrupt_handle_is_its_own_object(engine: Engine) -> None:
    with Module.from_wat(WAT, engine=engine) as m, Instance(m) as inst:
        h = inst.interrupt_handle()
        assert isinstance(h, InterruptHandle)
        h.interrupt()
        with pytest.raises(wasihost.Interrupted):
            inst.call("spin")
        h.close()


def test_the_default_engine_is_shared() -> None:
    assert wasihost.default_engine() is wasihost.default_engine()
