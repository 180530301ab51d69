//! Random bytes for `random_get`.

use std::sync::Mutex;

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng, TryRngCore};

use crate::wasi_snapshot_preview1::types::errno;

/// Where `random_get` takes its bytes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RandomSource {
    /// A ChaCha12 CSPRNG per host thread, seeded from the OS and reseeded
    /// from it every 64 KiB (`rand`'s `ThreadRng`): OS-grade randomness
    /// without a syscall per call. The default.
    #[default]
    OsSeeded,
    /// The OS's `getrandom` on every call.
    Os,
    /// A deterministic ChaCha12 stream from this seed: the same bytes on
    /// every run, for reproducible tests. Not secret.
    Seeded(u64),
}

/// A source of random bytes the embedder supplies (see
/// [`WasiHostBuilder::random_fn`](super::WasiHostBuilder::random_fn)).
/// It runs on the guest's thread during `random_get` and must not panic;
/// an error reaches the guest as that call's errno.
pub trait Entropy: Send + Sync + 'static {
    /// Fills `buf` entirely.
    fn fill(&self, buf: &mut [u8]) -> Result<(), errno>;
}

impl<F> Entropy for F
where
    F: Fn(&mut [u8]) -> Result<(), errno> + Send + Sync + 'static,
{
    fn fill(&self, buf: &mut [u8]) -> Result<(), errno> {
        self(buf)
    }
}

pub(crate) enum Random {
    Thread,
    Os,
    Seeded(Box<Mutex<StdRng>>),
    Custom(std::sync::Arc<dyn Entropy>),
}

impl Random {
    pub(crate) fn new(source: RandomSource) -> Random {
        match source {
            RandomSource::OsSeeded => Random::Thread,
            RandomSource::Os => Random::Os,
            RandomSource::Seeded(seed) => {
                Random::Seeded(Box::new(Mutex::new(StdRng::seed_from_u64(seed))))
            }
        }
    }

    #[inline]
    pub(crate) fn fill(&self, buf: &mut [u8]) -> Result<(), errno> {
        match self {
            Random::Thread => rand::rng().fill_bytes(buf),
            Random::Os => rand::rngs::OsRng
                .try_fill_bytes(buf)
                .map_err(|_| errno::io)?,
            Random::Seeded(rng) => rng
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .fill_bytes(buf),
            Random::Custom(f) => f.fill(buf)?,
        }
        Ok(())
    }
}
