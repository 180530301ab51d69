//! Load a module, instantiate it with a WASI implementation, run `_start`.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use wasmtime::{Config, InstancePre, Linker, Store, UpdateDeadline, Val};

use crate::error::{Error, ErrorKind};
use crate::limits::{Cancel, InterruptHandle, Interrupted, Limits, TimedOut};
use crate::wasi_snapshot_preview1::calls::Hooks;
use crate::wasi_snapshot_preview1::link::{self, HandlerTrap, HostPanic, ProcExit, WasiState};
use crate::wasi_snapshot_preview1::native::NativeWasiImports;

/// A compilation and execution environment for modules (a
/// [`wasmtime::Engine`]). Cheap to clone; share one across threads.
///
/// Whether guest code can be stopped ([`EngineBuilder::interruptible`]) and
/// whether it meters fuel ([`EngineBuilder::fuel`]) are decided here, when
/// code is compiled: each adds checks to every loop and function, and
/// costs nothing when off (RATIONALE.md, Limits).
#[derive(Clone)]
pub struct Engine {
    inner: wasmtime::Engine,
    interruptible: bool,
    fuel: bool,
}

/// Settings for an [`Engine`]: `Engine::builder().interruptible(true).build()`.
#[derive(Clone)]
pub struct EngineBuilder {
    config: Config,
    interruptible: bool,
    fuel: bool,
}

impl EngineBuilder {
    /// Whether guests can be stopped: by an [`InterruptHandle`], by a
    /// timeout ([`Limits::timeout`]). Off by default, when guest code
    /// carries no check at all; on, every loop iteration and function
    /// entry checks an epoch counter (wasmtime's epoch interruption), as
    /// the wasmtime CLI does with `-W timeout`.
    pub fn interruptible(mut self, on: bool) -> Self {
        self.interruptible = on;
        self
    }

    /// Whether guest code meters fuel, so that [`Limits::fuel`] can bound
    /// the instructions it runs. Off by default; on, every basic block
    /// updates a counter (slower than interruption: measure it with your
    /// program).
    pub fn fuel(mut self, on: bool) -> Self {
        self.fuel = on;
        self
    }

    /// wasmtime settings of your own to start from (e.g. from
    /// [`Engine::default_config`]). Its epoch interruption and fuel
    /// settings are replaced by this builder's.
    pub fn wasmtime_config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The engine.
    pub fn build(self) -> Result<Engine, Error> {
        let mut config = self.config;
        config.epoch_interruption(self.interruptible);
        config.consume_fuel(self.fuel);
        // A `memory.atomic.wait` on a shared memory parks the thread until a
        // notify, which nothing can send when the guest is stopped: an
        // engine that promises to stop guests creates no shared memory
        // (RATIONALE.md, Limits).
        if self.interruptible {
            config.shared_memory(false);
        }
        wasmtime::Engine::new(&config)
            .map(|inner| Engine {
                inner,
                interruptible: self.interruptible,
                fuel: self.fuel,
            })
            .map_err(|e| Error::new(ErrorKind::Engine, format!("cannot create engine: {e:#}")))
    }
}

/// Sets one wasm feature on a [`wasmtime::Config`].
type SetFeature = fn(&mut Config, bool) -> &mut Config;

/// The wasm features of [`Engine::default_config`], in one place: the
/// proposal's name, whether it is on, and the `Config` method that sets it
/// (`None`: wasmtime has no switch, the feature is always on or off).
///
/// On: everything wasmtime 48 enables by default (the WebAssembly 3.0 set,
/// threads included), each set explicitly so that the list stays true
/// whatever a later wasmtime's defaults are. Off: proposals wasmtime 48
/// leaves off by default. README.md ("Wasm features") mirrors this table.
#[rustfmt::skip]
const WASM_FEATURES: &[(&str, bool, Option<SetFeature>)] = &[
    // WebAssembly 1.0 and 2.0.
    ("mutable-global",            true,  None),
    ("sign-extension",            true,  None),
    ("nontrapping-float-to-int",  true,  None),
    ("multi-value",               true,  Some(Config::wasm_multi_value)),
    ("bulk-memory",               true,  Some(Config::wasm_bulk_memory)),
    ("reference-types",           true,  Some(Config::wasm_reference_types)),
    ("simd",                      true,  Some(Config::wasm_simd)),
    // WebAssembly 3.0.
    ("relaxed-simd",              true,  Some(Config::wasm_relaxed_simd)),
    ("tail-call",                 true,  Some(Config::wasm_tail_call)),
    ("extended-const",            true,  Some(Config::wasm_extended_const)),
    ("function-references",       true,  Some(Config::wasm_function_references)),
    ("gc",                        true,  Some(Config::wasm_gc)),
    ("exceptions",                true,  Some(Config::wasm_exceptions)),
    ("multi-memory",              true,  Some(Config::wasm_multi_memory)),
    ("memory64",                  true,  Some(Config::wasm_memory64)),
    ("threads",                   true,  Some(threads)),
    // Off: not enabled by default in wasmtime 48.
    ("legacy-exceptions",         false, None),
    ("custom-page-sizes",         false, Some(Config::wasm_custom_page_sizes)),
    ("wide-arithmetic",           false, Some(Config::wasm_wide_arithmetic)),
    ("stack-switching",           false, Some(Config::wasm_stack_switching)),
    ("shared-everything-threads", false, Some(Config::wasm_shared_everything_threads)),
];

/// The threads proposal: atomic instructions, and shared memories, which
/// wasmtime validates with `wasm_threads` but creates only with
/// `shared_memory` (off by default: a tier 2 wasmtime feature).
fn threads(config: &mut Config, enable: bool) -> &mut Config {
    config.wasm_threads(enable).shared_memory(enable)
}

impl Engine {
    /// An engine with the default settings: Cranelift, the wasm features
    /// that wasmtime enables by default (see [`Engine::wasm_features`]),
    /// neither interruption nor fuel (see [`Engine::builder`]).
    pub fn new() -> Result<Engine, Error> {
        Engine::builder().build()
    }

    /// An engine that can be interrupted and given timeouts: shorthand for
    /// `Engine::builder().interruptible(true).build()`.
    pub fn interruptible() -> Result<Engine, Error> {
        Engine::builder().interruptible(true).build()
    }

    /// Settings for an engine, starting from [`Engine::default_config`].
    pub fn builder() -> EngineBuilder {
        EngineBuilder {
            config: Engine::default_config(),
            interruptible: false,
            fuel: false,
        }
    }

    /// Whether guests of this engine can be interrupted and timed out.
    pub fn is_interruptible(&self) -> bool {
        self.interruptible
    }

    /// Whether guests of this engine meter fuel.
    pub fn has_fuel(&self) -> bool {
        self.fuel
    }

    /// The settings [`Engine::new`] uses, to adjust and pass to
    /// [`Engine::with_config`].
    ///
    /// The wasm features on and off are those of [`Engine::wasm_features`];
    /// interruption and fuel are off ([`EngineBuilder`] sets them).
    pub fn default_config() -> wasmtime::Config {
        let mut config = wasmtime::Config::new();
        for &(_, enabled, set) in WASM_FEATURES {
            if let Some(set) = set {
                set(&mut config, enabled);
            }
        }
        config
    }

    /// The wasm proposals of [`Engine::default_config`] by name, and
    /// whether each is enabled: the whole list, in one place.
    ///
    /// Enabled: everything wasmtime 48 enables by default, that is the
    /// WebAssembly 1.0 and 2.0 features, relaxed SIMD, tail calls, extended
    /// constant expressions, function references, GC, exception handling
    /// (`try_table`, `throw`), multiple memories, 64-bit memories, and
    /// threads (atomic instructions and shared memories: a module that uses
    /// atomics, or defines and exports a shared memory, runs on the single
    /// thread that runs it; WASI preview1 has no way to start a thread; a
    /// module that imports a shared memory does not link, as the host
    /// provides no memory). Disabled: the legacy exception
    /// instructions (`try`/`catch`/`delegate`, which wasmtime does not
    /// implement), custom page sizes, wide arithmetic, stack switching and
    /// shared-everything threads.
    ///
    /// ```
    /// let threads = wasihost_core::Engine::wasm_features().find(|(name, _)| *name == "threads");
    /// assert_eq!(threads, Some(("threads", true)));
    /// ```
    pub fn wasm_features() -> impl Iterator<Item = (&'static str, bool)> {
        WASM_FEATURES
            .iter()
            .map(|&(name, enabled, _)| (name, enabled))
    }

    /// An engine with wasmtime settings of your own, without interruption
    /// or fuel (their settings in `config` are replaced; use
    /// [`EngineBuilder::wasmtime_config`] to have them).
    pub fn with_config(config: &wasmtime::Config) -> Result<Engine, Error> {
        Engine::builder().wasmtime_config(config.clone()).build()
    }

    /// The wasmtime engine underneath.
    pub fn wasmtime(&self) -> &wasmtime::Engine {
        &self.inner
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("interruptible", &self.interruptible)
            .field("fuel", &self.fuel)
            .finish_non_exhaustive()
    }
}

/// A compiled module, ready to instantiate any number of times, from any
/// thread. Clones share the compiled code.
#[derive(Clone)]
pub struct Module {
    inner: wasmtime::Module,
    engine: Engine,
    /// The module linked against the WASI glue, one per implementation
    /// type, built on first use: later instances skip building a linker
    /// and type-checking the imports.
    linked: Arc<Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>>,
}

impl Module {
    /// Compiles a module from its binary, or from WAT text.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module, Error> {
        Self::compile(engine, bytes.as_ref(), "module")
    }

    /// Compiles the module (binary or WAT text) in the file at `path`.
    pub fn from_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Module, Error> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| {
            Error::from_io(
                ErrorKind::Io,
                format!("cannot read module {}: {e}", path.display()),
                &e,
            )
        })?;
        Self::compile(engine, &bytes, &path.display().to_string())
    }

    /// Compiles a module from WAT text.
    pub fn from_wat(engine: &Engine, wat: &str) -> Result<Module, Error> {
        Self::compile(engine, wat.as_bytes(), "WAT module")
    }

    pub(crate) fn compile(engine: &Engine, bytes: &[u8], what: &str) -> Result<Module, Error> {
        wasmtime::Module::new(&engine.inner, bytes)
            .map(|inner| Module::from_wasmtime(engine, inner))
            .map_err(|e| {
                let mut msg = format!("invalid {what}: {e:#}");
                if msg.contains("legacy_exceptions") {
                    msg.push_str(
                        " (the module uses the legacy exception-handling instructions that \
                         older LLVM versions emit, which wasmtime does not run: rebuild it with \
                         a newer toolchain, or convert it with `wasm-opt --translate-to-exnref`)",
                    );
                }
                Error::new(ErrorKind::Module, msg)
            })
    }

    /// Wraps a module compiled (or deserialized) for `engine`.
    pub(crate) fn from_wasmtime(engine: &Engine, inner: wasmtime::Module) -> Module {
        Module {
            inner,
            engine: engine.clone(),
            linked: Arc::default(),
        }
    }

    /// The engine the module was compiled for.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The wasmtime module underneath.
    pub fn wasmtime(&self) -> &wasmtime::Module {
        &self.inner
    }

    /// Instantiates the module with `imports` serving its WASI imports,
    /// under the default [`Limits`].
    ///
    /// A trap or `proc_exit` in the module's start function is an error
    /// here; [`Module::run`] reports it as an [`Outcome`] instead.
    pub fn instantiate<T: NativeWasiImports>(&self, imports: T) -> Result<Instance<T>, Error> {
        self.instantiate_with(imports, &Limits::default(), None)
    }

    /// Instantiates the module under `limits`. The module's start function
    /// runs under them already (its own timeout, the fuel), and under
    /// `interrupt` when given: a handle made with [`InterruptHandle::new`]
    /// before this call can stop a start function that never returns.
    /// Without one, the instance gets a handle of its own.
    ///
    /// Errors: a timeout or an interrupt handle on an engine that is not
    /// interruptible, fuel on one without fuel metering (kind
    /// [`ErrorKind::Config`]), a link error, or a start function that did
    /// not return (its [`Outcome`] in the message).
    pub fn instantiate_with<T: NativeWasiImports>(
        &self,
        imports: T,
        limits: &Limits,
        interrupt: Option<&InterruptHandle>,
    ) -> Result<Instance<T>, Error> {
        self.instantiate_with_hooks(imports, limits, interrupt, None)
    }

    /// [`Module::instantiate_with`], with the instance's WASI calls routed
    /// through `hooks` (handlers and a tracer, see [`Hooks`]), the start
    /// function's included.
    pub fn instantiate_with_hooks<T: NativeWasiImports>(
        &self,
        imports: T,
        limits: &Limits,
        interrupt: Option<&InterruptHandle>,
        hooks: Option<&Hooks>,
    ) -> Result<Instance<T>, Error> {
        match self.instantiate_or_end(imports, limits, interrupt, hooks)? {
            Ok(instance) => Ok(instance),
            Err(outcome) => Err(Error::new(
                ErrorKind::Link,
                format!("the module's start function did not return: {outcome}"),
            )),
        }
    }

    /// Instantiates the module, telling a link or configuration error
    /// (`Err`) from a guest that ended in its start function
    /// (`Ok(Err(outcome))`).
    pub(crate) fn instantiate_or_end<T: NativeWasiImports>(
        &self,
        imports: T,
        limits: &Limits,
        interrupt: Option<&InterruptHandle>,
        hooks: Option<&Hooks>,
    ) -> Result<Result<Instance<T>, Outcome>, Error> {
        let pre = self.linked_for::<T>()?;
        self.check_limits(limits, interrupt)?;
        let (mut store, cancel) = self.new_store(imports, limits, interrupt);
        store.data_mut().set_hooks(hooks);
        let entry = match &cancel {
            Some(c) => Some(c.enter(limits.get_timeout())?),
            None => None,
        };
        let made = pre.instantiate(&mut store);
        drop(entry);
        match made {
            Ok(instance) => Ok(Ok(Instance {
                store,
                instance,
                cancel,
                timeout: limits.get_timeout(),
            })),
            Err(e) => Ok(Err(outcome_of(e, &store))),
        }
    }

    /// Refuses limits the engine cannot enforce, naming the fix.
    fn check_limits(
        &self,
        limits: &Limits,
        interrupt: Option<&InterruptHandle>,
    ) -> Result<(), Error> {
        let want = if limits.get_timeout().is_some() {
            Some("a timeout")
        } else if interrupt.is_some() {
            Some("an interrupt handle")
        } else {
            None
        };
        if let (Some(what), false) = (want, self.engine.interruptible) {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "{what} needs an interruptible engine, and this module's engine is not \
                     (create it with interruption on: Engine::builder().interruptible(true), \
                     WASIHOST_ENGINE_INTERRUPTIBLE in C)"
                ),
            ));
        }
        if self.engine.interruptible
            && self.inner.exports().any(|e| match e.ty() {
                wasmtime::ExternType::Memory(m) => m.is_shared(),
                _ => false,
            })
        {
            return Err(Error::new(
                ErrorKind::Config,
                "the module defines a shared memory (wasm threads), which an interruptible \
                 engine does not create: a memory.atomic.wait on it could not be interrupted \
                 (run it on an engine without interruption)"
                    .to_string(),
            ));
        }
        if limits.get_fuel().is_some() && !self.engine.fuel {
            return Err(Error::new(
                ErrorKind::Config,
                "a fuel limit needs an engine with fuel metering, and this module's engine has \
                 none (create it with Engine::builder().fuel(true), WASIHOST_ENGINE_FUEL in C)"
                    .to_string(),
            ));
        }
        Ok(())
    }

    /// A store for one instance, with its limits installed and, on an
    /// interruptible engine, the check of its cancel token: when the
    /// engine's epoch moves on (an interrupt or timeout of any instance of
    /// the engine), the guest stops only if its own token is set.
    fn new_store<T: NativeWasiImports>(
        &self,
        imports: T,
        limits: &Limits,
        interrupt: Option<&InterruptHandle>,
    ) -> (Store<WasiState<T>>, Option<Arc<Cancel>>) {
        let engine = &self.engine;
        let cancel = engine.interruptible.then(|| {
            let c = interrupt.map_or_else(|| InterruptHandle::new().cancel, |h| h.cancel.clone());
            c.attach(&engine.inner);
            c
        });
        let mut store = Store::new(
            &engine.inner,
            WasiState::limited(imports, limits, cancel.clone(), None),
        );
        store.limiter(|s| &mut s.limiter);
        if let Some(c) = &cancel {
            store.set_epoch_deadline(1);
            let c = c.clone();
            store.epoch_deadline_callback(move |_| match c.stop_error() {
                Some(e) => Err(e),
                None => Ok(UpdateDeadline::Continue(1)),
            });
        }
        if engine.fuel {
            // Cannot fail: the engine meters fuel.
            let _ = store.set_fuel(limits.get_fuel().unwrap_or(u64::MAX));
        }
        (store, cancel)
    }

    /// The module linked against the WASI glue for `T`, from the cache.
    fn linked_for<T: NativeWasiImports>(&self) -> Result<InstancePre<WasiState<T>>, Error> {
        let mut cache = self.linked.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(pre) = cache
            .get(&TypeId::of::<T>())
            .and_then(|p| p.downcast_ref::<InstancePre<WasiState<T>>>())
        {
            return Ok(pre.clone());
        }
        let mut linker = Linker::new(&self.engine.inner);
        link::add_to_linker(&mut linker)
            .map_err(|e| Error::new(ErrorKind::Link, format!("cannot link WASI: {e:#}")))?;
        let pre = linker
            .instantiate_pre(&self.inner)
            .map_err(|e| Error::new(ErrorKind::Link, format!("cannot link module: {e:#}")))?;
        cache.insert(TypeId::of::<T>(), Box::new(pre.clone()));
        Ok(pre)
    }

    /// Instantiates the module with `imports` under the default
    /// [`Limits`] and runs its `_start`.
    ///
    /// Returns how the guest ended: [`Outcome::Exit`] with its exit code
    /// (0 when `_start` returns), or another [`Outcome`]. Errors are for a
    /// module that cannot be linked or has no `_start`.
    pub fn run<T: NativeWasiImports>(&self, imports: T) -> Result<Outcome, Error> {
        self.run_with(imports, &Limits::default(), None)
    }

    /// [`Module::run`] under `limits`, and stopped by `interrupt` when
    /// given: the timeout covers the start function and `_start` each.
    /// Errors as for [`Module::instantiate_with`].
    pub fn run_with<T: NativeWasiImports>(
        &self,
        imports: T,
        limits: &Limits,
        interrupt: Option<&InterruptHandle>,
    ) -> Result<Outcome, Error> {
        if self.inner.get_export("_start").is_none() {
            return Err(Error::new(
                ErrorKind::Link,
                "module has no `_start` export: it is not a WASI command".to_string(),
            ));
        }
        self.run_with_hooks(imports, limits, interrupt, None)
    }

    /// [`Module::run_with`], with the guest's WASI calls routed through
    /// `hooks` (see [`Hooks`]).
    pub fn run_with_hooks<T: NativeWasiImports>(
        &self,
        imports: T,
        limits: &Limits,
        interrupt: Option<&InterruptHandle>,
        hooks: Option<&Hooks>,
    ) -> Result<Outcome, Error> {
        if self.inner.get_export("_start").is_none() {
            return Err(Error::new(
                ErrorKind::Link,
                "module has no `_start` export: it is not a WASI command".to_string(),
            ));
        }
        match self.instantiate_or_end(imports, limits, interrupt, hooks)? {
            Ok(mut instance) => instance.run(),
            Err(outcome) => Ok(outcome),
        }
    }
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("name", &self.inner.name())
            .finish_non_exhaustive()
    }
}

/// An instantiated module and its store.
pub struct Instance<T: NativeWasiImports> {
    store: Store<WasiState<T>>,
    instance: wasmtime::Instance,
    /// The cancel token, on an interruptible engine.
    cancel: Option<Arc<Cancel>>,
    /// The timeout of each run or call.
    timeout: Option<Duration>,
}

impl<T: NativeWasiImports> std::fmt::Debug for Instance<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("interruptible", &self.cancel.is_some())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl<T: NativeWasiImports> Instance<T> {
    /// Runs the exported `_start` function.
    pub fn run(&mut self) -> Result<Outcome, Error> {
        let start = self
            .instance
            .get_typed_func::<(), ()>(&mut self.store, "_start")
            .map_err(|e| {
                Error::new(
                    ErrorKind::Link,
                    format!("module has no usable `_start` export: {e:#}"),
                )
            })?;
        if self.cancel.as_ref().is_some_and(|c| c.is_interrupted()) {
            return Ok(Outcome::Interrupted);
        }
        let entry = self.enter()?;
        let ran = start.call(&mut self.store, ());
        drop(entry);
        match ran {
            Ok(()) => Ok(Outcome::Exit(0)),
            Err(e) => Ok(outcome_of(e, &self.store)),
        }
    }

    /// Starts an entry into the guest under the timeout.
    fn enter(&self) -> Result<Option<crate::limits::Entry>, Error> {
        match &self.cancel {
            Some(c) => c.enter(self.timeout).map(Some),
            None => Ok(None),
        }
    }

    /// Calls the exported function `name` with `args`, writing its return
    /// values to `results` (whose length must be the function's result
    /// count).
    ///
    /// Returns `Ok(None)` when the function returned, or `Ok(Some(outcome))`
    /// when the guest ended during the call (it called `proc_exit`,
    /// trapped, was interrupted, timed out or ran out of fuel). Errors are
    /// for a missing export or arguments that do not match its signature;
    /// the message says which.
    pub fn call(
        &mut self,
        name: &str,
        args: &[Val],
        results: &mut [Val],
    ) -> Result<Option<Outcome>, Error> {
        let func = self
            .instance
            .get_func(&mut self.store, name)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Link,
                    format!("the module exports no function named {name:?}"),
                )
            })?;
        // Checked without allocating; the type names are formatted only
        // for the error.
        let ty = func.ty(&self.store);
        let args_match = ty.params().len() == args.len()
            && ty
                .params()
                .zip(args)
                .all(|(t, v)| v.matches_ty(&self.store, &t).unwrap_or(false));
        if !args_match || ty.results().len() != results.len() {
            let names = |it: &mut dyn Iterator<Item = String>| it.collect::<Vec<_>>().join(", ");
            let given = names(&mut args.iter().map(|v| match v.ty(&self.store) {
                Ok(t) => t.to_string(),
                Err(_) => "?".to_string(),
            }));
            return Err(Error::new(
                ErrorKind::Link,
                format!(
                    "function {name:?} has type ({}) -> ({}), but was called with ({given}) and room for {} results",
                    names(&mut ty.params().map(|t| t.to_string())),
                    names(&mut ty.results().map(|t| t.to_string())),
                    results.len()
                ),
            ));
        }
        if self.cancel.as_ref().is_some_and(|c| c.is_interrupted()) {
            return Ok(Some(Outcome::Interrupted));
        }
        let entry = self.enter()?;
        let called = func.call(&mut self.store, args, results);
        drop(entry);
        match called {
            Ok(()) => Ok(None),
            Err(e) => Ok(Some(outcome_of(e, &self.store))),
        }
    }

    /// A handle that stops this instance from any thread: the one given to
    /// [`Module::instantiate_with`], or the instance's own. Fails (kind
    /// [`ErrorKind::Config`]) when the engine is not interruptible.
    pub fn interrupt_handle(&self) -> Result<InterruptHandle, Error> {
        match &self.cancel {
            Some(c) => Ok(InterruptHandle { cancel: c.clone() }),
            None => Err(Error::new(
                ErrorKind::Config,
                "this instance cannot be interrupted: its engine was created without \
                 interruption (Engine::builder().interruptible(true), \
                 WASIHOST_ENGINE_INTERRUPTIBLE in C)"
                    .to_string(),
            )),
        }
    }

    /// Changes the timeout of later runs and calls (`None`: no timeout).
    /// Fails when the engine is not interruptible.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<(), Error> {
        if timeout.is_some() && self.cancel.is_none() {
            return Err(Error::new(
                ErrorKind::Config,
                "a timeout needs an interruptible engine, and this instance's engine is not \
                 (Engine::builder().interruptible(true), WASIHOST_ENGINE_INTERRUPTIBLE in C)"
                    .to_string(),
            ));
        }
        self.timeout = timeout;
        Ok(())
    }

    /// Whether a `memory.grow` or `table.grow` of the guest was refused
    /// because of [`Limits::max_memory`] or [`Limits::max_table_elements`]
    /// (the guest saw -1, and may have gone on).
    pub fn memory_limit_reached(&self) -> bool {
        self.store.data().limiter.reached()
    }

    /// The fuel left, on an engine with fuel metering.
    pub fn fuel_left(&self) -> Option<u64> {
        self.store.get_fuel().ok()
    }

    /// The instance's number: unique in the process, from 1; its trace
    /// records and its calls' [`Call::instance`](crate::wasi_snapshot_preview1::Call::instance)
    /// carry it.
    pub fn number(&self) -> u64 {
        self.store.data().instance_number()
    }

    /// The WASI implementation serving this instance.
    pub fn imports(&self) -> &T {
        self.store.data().imports()
    }

    /// The wasmtime store, to call other exports or set limits.
    pub fn store_mut(&mut self) -> &mut Store<WasiState<T>> {
        &mut self.store
    }

    /// The wasmtime instance.
    pub fn wasmtime(&self) -> wasmtime::Instance {
        self.instance
    }

    /// The compiled module this instance was made from: its exports and
    /// their types (`module().get_export(name)`), valid after the
    /// [`Module`] it came from is dropped.
    pub fn module(&self) -> &wasmtime::Module {
        self.instance.module(&self.store)
    }
}

/// How a guest's run or call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The guest finished: `_start` returned (code 0) or it called
    /// `proc_exit` with this code.
    Exit(u32),
    /// The guest trapped.
    Trap(Trap),
    /// The guest was stopped through an [`InterruptHandle`].
    Interrupted,
    /// The guest ran past its [`Limits::timeout`].
    TimedOut,
    /// The guest used up its [`Limits::fuel`].
    FuelExhausted,
    /// The module's memories or tables, as declared, need more than
    /// [`Limits::max_memory`] or [`Limits::max_table_elements`], so it
    /// could not be instantiated. (A `memory.grow` refused later is not an
    /// ending: the guest sees -1; see [`Instance::memory_limit_reached`].)
    MemoryLimit,
}

impl Outcome {
    /// The exit code, if the guest exited.
    pub fn exit_code(&self) -> Option<u32> {
        match self {
            Outcome::Exit(c) => Some(*c),
            _ => None,
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Exit(code) => write!(f, "exited with code {code}"),
            Outcome::Trap(t) => write!(f, "trapped: {}", t.message),
            Outcome::Interrupted => f.write_str("interrupted"),
            Outcome::TimedOut => f.write_str("timed out"),
            Outcome::FuelExhausted => f.write_str("ran out of fuel"),
            Outcome::MemoryLimit => f.write_str("needs more memory than its limit"),
        }
    }
}

/// A trap: what kind, and the message (the cause, then the wasm
/// backtrace when wasmtime recorded one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    /// The kind of trap.
    pub code: TrapCode,
    /// What happened and where.
    pub message: String,
}

impl std::fmt::Display for Trap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The kind of a [`Trap`]. The numbers are those of `WASIHOST_TRAP_*` in
/// the C API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum TrapCode {
    /// Any other cause (a host error that aborted the guest, a trap kind
    /// this list does not name).
    Other = 0,
    /// The `unreachable` instruction (C's `abort()`, Rust's panic).
    Unreachable = 1,
    /// A memory access out of bounds.
    MemoryOutOfBounds = 2,
    /// Integer division by zero.
    IntegerDivisionByZero = 3,
    /// Integer overflow (`INT_MIN / -1`).
    IntegerOverflow = 4,
    /// A float to integer conversion out of range.
    BadConversionToInteger = 5,
    /// The call stack is exhausted.
    StackOverflow = 6,
    /// An indirect call to a null table entry.
    IndirectCallToNull = 7,
    /// An indirect call with the wrong signature.
    BadSignature = 8,
    /// A table access out of bounds.
    TableOutOfBounds = 9,
    /// A null reference was used.
    NullReference = 10,
    /// A misaligned atomic access.
    HeapMisaligned = 11,
    /// A WASI method of the host panicked.
    HostPanic = 12,
    /// A call handler ([`CallHandler`](crate::wasi_snapshot_preview1::CallHandler))
    /// ended the guest with a trap, or failed.
    Handler = 13,
}

impl TrapCode {
    fn of(trap: wasmtime::Trap) -> TrapCode {
        use wasmtime::Trap as W;
        match trap {
            W::UnreachableCodeReached => TrapCode::Unreachable,
            W::MemoryOutOfBounds => TrapCode::MemoryOutOfBounds,
            W::IntegerDivisionByZero => TrapCode::IntegerDivisionByZero,
            W::IntegerOverflow => TrapCode::IntegerOverflow,
            W::BadConversionToInteger => TrapCode::BadConversionToInteger,
            W::StackOverflow => TrapCode::StackOverflow,
            W::IndirectCallToNull => TrapCode::IndirectCallToNull,
            W::BadSignature => TrapCode::BadSignature,
            W::TableOutOfBounds => TrapCode::TableOutOfBounds,
            W::NullReference => TrapCode::NullReference,
            W::HeapMisaligned => TrapCode::HeapMisaligned,
            _ => TrapCode::Other,
        }
    }
}

/// Classifies an error from running guest code. Every such error is an
/// outcome: an exit, an interrupt, a timeout, fuel used up, a memory limit
/// at instantiation, or a trap (wasm traps, host panics, and any other
/// host error that aborted the guest).
fn outcome_of<T>(e: wasmtime::Error, store: &Store<WasiState<T>>) -> Outcome {
    if let Some(exit) = e.downcast_ref::<ProcExit>() {
        return Outcome::Exit(exit.0);
    }
    if e.downcast_ref::<Interrupted>().is_some() {
        return Outcome::Interrupted;
    }
    if e.downcast_ref::<TimedOut>().is_some() {
        return Outcome::TimedOut;
    }
    if let Some(h) = e.downcast_ref::<HandlerTrap>() {
        return Outcome::Trap(Trap {
            code: TrapCode::Handler,
            message: h.to_string(),
        });
    }
    if let Some(p) = e.downcast_ref::<HostPanic>() {
        return Outcome::Trap(Trap {
            code: TrapCode::HostPanic,
            message: p.to_string(),
        });
    }
    match e.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::OutOfFuel) => Outcome::FuelExhausted,
        Some(&t) => Outcome::Trap(Trap {
            code: TrapCode::of(t),
            message: trap_message(&e),
        }),
        // Not a trap of guest code: at instantiation, the limiter refusing
        // a memory or table as declared.
        None if store.data().limiter.reached() => Outcome::MemoryLimit,
        None => Outcome::Trap(Trap {
            code: TrapCode::Other,
            message: trap_message(&e),
        }),
    }
}

/// The cause first (`wasm trap: integer divide by zero`), then the wasm
/// backtrace when wasmtime recorded one.
fn trap_message(e: &wasmtime::Error) -> String {
    let mut msg = e.root_cause().to_string();
    if let Some(bt) = e.downcast_ref::<wasmtime::WasmBacktrace>() {
        let bt = bt.to_string();
        if !bt.trim().is_empty() {
            msg.push('\n');
            msg.push_str(bt.trim_end());
        }
    }
    msg
}
