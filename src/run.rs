//! Load a module, instantiate it with a WASI implementation, run `_start`.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use wasmtime::{InstancePre, Linker, Store};

use crate::error::{Error, ErrorKind};
use crate::wasi_snapshot_preview1::link::{self, HostPanic, ProcExit, WasiState};
use crate::wasi_snapshot_preview1::native::NativeWasiImports;

/// A compilation and execution environment for modules (a
/// [`wasmtime::Engine`]). Cheap to clone; share one across threads.
#[derive(Clone)]
pub struct Engine {
    inner: wasmtime::Engine,
}

impl Engine {
    /// An engine with the default settings.
    pub fn new() -> Result<Engine, Error> {
        let config = wasmtime::Config::new();
        Engine::with_config(&config)
    }

    /// An engine with wasmtime settings of your own.
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
            Error::with_io(
                ErrorKind::Io,
                format!("cannot read module {}: {e}", path.display()),
                e.kind(),
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
            .map(|inner| Module {
                inner,
                engine: engine.clone(),
                linked: Arc::default(),
            })
            .map_err(|e| Error::new(ErrorKind::Module, format!("invalid {what}: {e:#}")))
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
        let pre = self.linked_for::<T>()?;
        let mut store = Store::new(&self.engine.inner, WasiState::new(imports));
        match pre.instantiate(&mut store) {
            Ok(instance) => Ok(Instance { store, instance }),
            Err(e) => Err(Error::new(
                ErrorKind::Link,
                format!("cannot instantiate module: {e:#}"),
            )),
        }
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
        let mut store = Store::new(&self.engine.inner, WasiState::new(imports));
        match pre.instantiate(&mut store) {
            Ok(instance) => Instance { store, instance }.run(),
            Err(e) => Ok(outcome_of(e)),
        }
    }
}

/// An instantiated module and its store.
pub struct Instance<T: NativeWasiImports> {
    store: Store<WasiState<T>>,
    instance: wasmtime::Instance,
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
        match start.call(&mut self.store, ()) {
            Ok(()) => Ok(Outcome::Exit(0)),
            Err(e) => Ok(outcome_of(e)),
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
}

impl Outcome {
    /// The exit code, if the guest exited.
    pub fn exit_code(&self) -> Option<u32> {
        match self {
            Outcome::Exit(c) => Some(*c),
            Outcome::Trap(_) => None,
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
