//! Metric bookkeeping shared by the fakes: definitions from the config context, values recorded
//! by hosts, looked up by name in assertions.

use crate::error::MetricError;
use std::collections::BTreeMap;

/// Kind of a defined metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MetricKind {
    /// A counter.
    Counter,
    /// A gauge.
    Gauge,
    /// A histogram.
    Histogram,
}

/// One metric defined through `FakeConfigContext`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricDef {
    /// Its kind.
    pub kind: MetricKind,
    /// Its name.
    pub name: String,
    /// Its label names.
    pub labels: Vec<String>,
}

/// Definitions (id = index + 1, like Envoy's 1-based ids) and recorded values.
#[derive(Debug, Clone, Default)]
pub(crate) struct FakeMetrics {
    pub(crate) defs: Vec<MetricDef>,
    values: BTreeMap<(usize, Vec<String>), i64>,
    samples: BTreeMap<(usize, Vec<String>), Vec<u64>>,
}

/// How a value is applied to a metric.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Update {
    Add(u64),
    Sub(u64),
    Set(u64),
    Record(u64),
}

impl FakeMetrics {
    pub(crate) fn define(&mut self, kind: MetricKind, name: &str, labels: &[&str]) -> usize {
        self.defs.push(MetricDef {
            kind,
            name: name.to_owned(),
            labels: labels.iter().map(|l| (*l).to_owned()).collect(),
        });
        self.defs.len()
    }

    pub(crate) fn update(
        &mut self,
        kind: MetricKind,
        id: usize,
        labels: &[&str],
        update: Update,
    ) -> Result<(), MetricError> {
        let def = id
            .checked_sub(1)
            .and_then(|i| self.defs.get(i))
            .filter(|d| d.kind == kind);
        let def = def.ok_or(MetricError::NotFound)?;
        if def.labels.len() != labels.len() {
            return Err(MetricError::InvalidLabels);
        }
        let key = (id, labels.iter().map(|l| (*l).to_owned()).collect());
        let as_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        match update {
            Update::Add(v) => *self.values.entry(key).or_default() += as_i64(v),
            Update::Sub(v) => *self.values.entry(key).or_default() -= as_i64(v),
            Update::Set(v) => {
                self.values.insert(key, as_i64(v));
            }
            Update::Record(v) => self.samples.entry(key).or_default().push(v),
        }
        Ok(())
    }

    fn id_of(&self, kind: MetricKind, name: &str) -> Option<usize> {
        self.defs
            .iter()
            .position(|d| d.kind == kind && d.name == name)
            .map(|i| i + 1)
    }

    fn key(&self, kind: MetricKind, name: &str, labels: &[&str]) -> Option<(usize, Vec<String>)> {
        let id = self.id_of(kind, name)?;
        Some((id, labels.iter().map(|l| (*l).to_owned()).collect()))
    }

    /// Current value of a counter or gauge (0 when never touched or undefined).
    pub(crate) fn value(&self, kind: MetricKind, name: &str, labels: &[&str]) -> i64 {
        self.key(kind, name, labels)
            .and_then(|k| self.values.get(&k).copied())
            .unwrap_or(0)
    }

    /// Samples recorded in a histogram.
    pub(crate) fn samples(&self, name: &str, labels: &[&str]) -> Vec<u64> {
        self.key(MetricKind::Histogram, name, labels)
            .and_then(|k| self.samples.get(&k).cloned())
            .unwrap_or_default()
    }
}
