//! The trait a WASI preview1 implementation provides: one method per
//! import of `wasi_snapshot_preview1`.
//!
//! The names and signatures are the project's contract (see
//! `shared/spec/NativeWasiImports.txt`). Pointers arrive as
//! [`WasmSlicePtr`]s to be dereferenced through the [`Ctx`]; results that the
//! ABI returns through out-pointers come back as tuples, and the glue in
//! [`link`](super::link) writes them to guest memory only when the errno is
//! [`errno::success`]. The glue has already checked that those out-pointers
//! are valid before the method runs, so a method's side effects are never
//! lost to a bad result pointer.
//!
//! The trait and its forwarding impls are generated from the
//! [table](super::table), where each method's signature and documentation
//! are written once.

#![allow(clippy::too_many_arguments)]

use std::convert::Infallible;
use std::sync::Arc;

use super::calls::ret_ty;
use super::memory::{Ctx, WasmSlicePtr};
use super::table::wasi_calls;
use super::types::*;

macro_rules! define_trait {
    ([] $(
        $(#[$doc:meta])*
        [$group:ident]
        $name:ident($($p:ident: $pty:ty = $pk:ident),* $(,)?) -> ($($r:ident: $rty:ty),* $(,)?);
    )*) => {
        /// Functions necessary to satisfy the WASI specification.
        ///
        /// Implementations must be `Send + Sync + 'static`: one implementation
        /// value serves one guest instance, which may be run from any thread, and
        /// the C ABI hands it across threads. Methods take `&self`; state that
        /// changes (the fd table, say) needs interior mutability.
        ///
        /// A method must not panic on any guest input: every argument, pointer and
        /// length comes from an untrusted guest. (If one panics anyway, the glue
        /// turns the panic into a trap of that guest, never a crash of the host.)
        pub trait NativeWasiImports: Send + Sync + 'static {
            $(
                $(#[$doc])*
                fn $name(&self, ctx: &mut Ctx, $($p: $pty),*) -> ret_ty!($($rty),*);
            )*

            /// Terminate the process normally. An exit code of 0 indicates successful
            /// termination of the program. The meanings of other values is dependent on the
            /// environment.
            fn proc_exit(&self, ctx: &mut Ctx, rval: exitcode) -> Result<Infallible, exitcode>;
        }

    };
}

/// Forwards every method through a pointer type to the implementation
/// it holds.
macro_rules! forward_through {
    ([$ptr:ident] $(
        $(#[$doc:meta])*
        [$group:ident]
        $name:ident($($p:ident: $pty:ty = $pk:ident),* $(,)?) -> ($($r:ident: $rty:ty),* $(,)?);
    )*) => {
        impl<T: NativeWasiImports + ?Sized> NativeWasiImports for $ptr<T> {
            $(
                #[inline]
                fn $name(&self, ctx: &mut Ctx, $($p: $pty),*) -> ret_ty!($($rty),*) {
                    (**self).$name(ctx, $($p),*)
                }
            )*

            #[inline]
            fn proc_exit(&self, ctx: &mut Ctx, rval: exitcode) -> Result<Infallible, exitcode> {
                (**self).proc_exit(ctx, rval)
            }
        }
    };
}

wasi_calls!(define_trait);
wasi_calls!(forward_through Arc);
wasi_calls!(forward_through Box);
