//! Load a module, instantiate it with a WASI implementation, run `_start`.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use wasmtime::{Config, InstancePre, Linker, Store, UpdateDeadline, Val};

use crate::error::{Error, ErrorKind};
use crate::wasi_snapshot_preview1::link::{self, HostPanic, ProcExit, WasiState};
use crate::wasi_snapshot_preview1::native::NativeWasiImports;

/// A compilation and execution environment for modules (a
/// [`wasmtime::Engine`]). Cheap to clone; share one across threads.
#[derive(Clone)]
pub struct Engine {
    inner: wasmtime::Engine,
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
    /// and interruption through [`Instance::interrupt_handle`].
    pub fn new() -> Result<Engine, Error> {
        Engine::with_config(&Engine::default_config())
    }

    /// The settings [`Engine::new`] uses, to adjust and pass to
    /// [`Engine::with_config`].
    ///
    /// The wasm features on and off are those of [`Engine::wasm_features`].
    /// Epoch interruption is on, so that [`InterruptHandle::interrupt`] can
    /// stop a running guest.
    pub fn default_config() -> wasmtime::Config {
        let mut config = wasmtime::Config::new();
        for &(_, enabled, set) in WASM_FEATURES {
            if let Some(set) = set {
                set(&mut config, enabled);
            }
        }
        config.epoch_interruption(true);
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

    /// An engine with wasmtime settings of your own. Without
    /// [`wasmtime::Config::epoch_interruption`], interrupt handles have no
    /// effect on running wasm code.
    pub fn with_config(config: &wasmtime::Config) -> Result<Engine, Error> {
        wasmtime::Engine::new(config)
            .map(|inner| Engine { inner })
            .map_err(|e| Error::new(ErrorKind::Engine, format!("cannot create engine: {e:#}")))
    }

    /// The wasmtime engine underneath.
    pub fn wasmtime(&self) -> &wasmtime::Engine {
        &self.inner
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
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

    fn compile(engine: &Engine, bytes: &[u8], what: &str) -> Result<Module, Error> {
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

    /// Instantiates the module with `imports` serving its WASI imports.
    ///
    /// A trap or `proc_exit` in the module's start function is an error
    /// here; [`Module::run`] reports it as an [`Outcome`] instead.
    pub fn instantiate<T: NativeWasiImports>(&self, imports: T) -> Result<Instance<T>, Error> {
        match self.instantiate_or_end(imports)? {
            Ok(instance) => Ok(instance),
            Err(Outcome::Exit(code)) => Err(Error::new(
                ErrorKind::Link,
                format!("the module's start function exited with code {code}"),
            )),
            Err(Outcome::Trap(msg)) => Err(Error::new(
                ErrorKind::Link,
                format!("the module's start function trapped: {msg}"),
            )),
            Err(Outcome::Interrupted) => Err(Error::new(
                ErrorKind::Link,
                "the module's start function was interrupted".to_string(),
            )),
        }
    }

    /// Instantiates the module, telling a link error (`Err`) from a guest
    /// that ended in its start function (`Ok(Err(outcome))`).
    pub(crate) fn instantiate_or_end<T: NativeWasiImports>(
        &self,
        imports: T,
    ) -> Result<Result<Instance<T>, Outcome>, Error> {
        let pre = self.linked_for::<T>()?;
        let (mut store, interrupted) = self.new_store(imports);
        match pre.instantiate(&mut store) {
            Ok(instance) => Ok(Ok(Instance {
                store,
                instance,
                interrupted,
            })),
            Err(e) => Ok(Err(outcome_of(e))),
        }
    }

    /// A store for one instance, with the interrupt check installed: when
    /// the engine's epoch moves on (an interrupt of any instance of the
    /// engine), the guest stops only if its own flag is set.
    fn new_store<T: NativeWasiImports>(
        &self,
        imports: T,
    ) -> (Store<WasiState<T>>, Arc<AtomicBool>) {
        let interrupted = Arc::new(AtomicBool::new(false));
        let mut store = Store::new(&self.engine.inner, WasiState::new(imports));
        store.set_epoch_deadline(1);
        let flag = interrupted.clone();
        store.epoch_deadline_callback(move |_| {
            if flag.load(Ordering::SeqCst) {
                Err(wasmtime::Error::new(Interrupted))
            } else {
                Ok(UpdateDeadline::Continue(1))
            }
        });
        (store, interrupted)
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

    /// Instantiates the module with `imports` and runs its `_start`.
    ///
    /// Returns how the guest ended: [`Outcome::Exit`] with its exit code
    /// (0 when `_start` returns), or [`Outcome::Trap`]. Errors are for a
    /// module that cannot be linked or has no `_start`.
    pub fn run<T: NativeWasiImports>(&self, imports: T) -> Result<Outcome, Error> {
        let pre = self.linked_for::<T>()?;
        if self.inner.get_export("_start").is_none() {
            return Err(Error::new(
                ErrorKind::Link,
                "module has no `_start` export: it is not a WASI command".to_string(),
            ));
        }
        let (mut store, interrupted) = self.new_store(imports);
        match pre.instantiate(&mut store) {
            Ok(instance) => Instance {
                store,
                instance,
                interrupted,
            }
            .run(),
            Err(e) => Ok(outcome_of(e)),
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
    interrupted: Arc<AtomicBool>,
}

/// Stops a running guest from another thread; see
/// [`Instance::interrupt_handle`].
#[derive(Clone)]
pub struct InterruptHandle {
    flag: Arc<AtomicBool>,
    engine: wasmtime::Engine,
}

impl InterruptHandle {
    /// Stops the instance: the call running in it (or, if none is running,
    /// the next one) ends with [`Outcome::Interrupted`] at its next loop
    /// iteration or function entry, and so does every later call. A guest
    /// blocked inside a host call (a read from a pipe, a sleep) stops when
    /// that call returns.
    pub fn interrupt(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.engine.increment_epoch();
    }

    /// Whether [`interrupt`](Self::interrupt) was called.
    pub fn is_interrupted(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

impl std::fmt::Debug for InterruptHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InterruptHandle")
            .field("interrupted", &self.is_interrupted())
            .finish()
    }
}

/// The error an interrupted guest stops with.
#[derive(Debug)]
struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

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
        if self.interrupted.load(Ordering::SeqCst) {
            return Ok(Outcome::Interrupted);
        }
        match start.call(&mut self.store, ()) {
            Ok(()) => Ok(Outcome::Exit(0)),
            Err(e) => Ok(outcome_of(e)),
        }
    }

    /// Calls the exported function `name` with `args`, writing its return
    /// values to `results` (whose length must be the function's result
    /// count).
    ///
    /// Returns `Ok(None)` when the function returned, or `Ok(Some(outcome))`
    /// when the guest ended during the call (it called `proc_exit`,
    /// trapped, or was interrupted). Errors are for a missing export or
    /// arguments that do not match its signature; the message says which.
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
        if self.interrupted.load(Ordering::SeqCst) {
            return Ok(Some(Outcome::Interrupted));
        }
        match func.call(&mut self.store, args, results) {
            Ok(()) => Ok(None),
            Err(e) => Ok(Some(outcome_of(e))),
        }
    }

    /// A handle that stops this instance from any thread.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        InterruptHandle {
            flag: self.interrupted.clone(),
            engine: self.store.engine().clone(),
        }
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
}

/// How a guest's run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The guest finished: `_start` returned (code 0) or it called
    /// `proc_exit` with this code.
    Exit(u32),
    /// The guest trapped; the message says why and where.
    Trap(String),
    /// The guest was stopped through an [`InterruptHandle`].
    Interrupted,
}

impl Outcome {
    /// The exit code, if the guest exited.
    pub fn exit_code(&self) -> Option<u32> {
        match self {
            Outcome::Exit(c) => Some(*c),
            Outcome::Trap(_) | Outcome::Interrupted => None,
        }
    }
}

/// Classifies an error from running guest code. Every such error is an
/// outcome: an exit, or a trap (wasm traps, host panics, and any other
/// host error that aborted the guest).
fn outcome_of(e: wasmtime::Error) -> Outcome {
    if let Some(exit) = e.downcast_ref::<ProcExit>() {
        return Outcome::Exit(exit.0);
    }
    if e.downcast_ref::<Interrupted>().is_some() {
        return Outcome::Interrupted;
    }
    if let Some(p) = e.downcast_ref::<HostPanic>() {
        return Outcome::Trap(p.to_string());
    }
    Outcome::Trap(trap_message(&e))
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
