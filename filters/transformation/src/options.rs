//! What a config load captures from the process: the environment snapshot and the random source.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use rand::RngCore as _;

/// Source of the 128-bit tokens of `replace_with_random`; injectable so tests are deterministic.
pub trait RandomSource: Send + Sync {
    /// Fills one token.
    fn fill(&self, token: &mut [u8; 16]);
}

/// The thread-local CSPRNG of the `rand` crate.
#[derive(Clone, Copy, Debug, Default)]
pub struct ThreadRandom;

impl RandomSource for ThreadRandom {
    fn fill(&self, token: &mut [u8; 16]) {
        rand::rng().fill_bytes(token);
    }
}

/// Inputs of [`crate::CompiledTransformation::compile`] beyond the config itself.
#[derive(Clone)]
pub struct CompileOptions {
    pub(crate) env: Arc<HashMap<String, String>>,
    pub(crate) random: Arc<dyn RandomSource>,
}

impl CompileOptions {
    /// Snapshots the process environment now (what `env()` returns for the config's lifetime) and
    /// uses [`ThreadRandom`].
    pub fn from_process() -> Self {
        let env = std::env::vars_os()
            .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
            .collect();
        Self {
            env: Arc::new(env),
            random: Arc::new(ThreadRandom),
        }
    }

    /// Replaces the environment `env()` reads.
    pub fn with_env<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env = Arc::new(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Replaces the random source of `replace_with_random`.
    pub fn with_random(mut self, random: Arc<dyn RandomSource>) -> Self {
        self.random = random;
        self
    }
}

impl Default for CompileOptions {
    fn default() -> Self {
        Self::from_process()
    }
}

impl fmt::Debug for CompileOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The environment may hold secrets: show its size only.
        f.debug_struct("CompileOptions")
            .field("env_vars", &self.env.len())
            .finish_non_exhaustive()
    }
}
