//! Translation with memory: when an update makes a policy or Backend invalid, its last good version keeps
//! serving (and its status says so) instead of the route silently losing the policy.
//!
//! Without this, editing a working TrafficPolicy into one whose template does not compile would drop the
//! transformation from every route it applies to: a typo would change production traffic. kgateway reports
//! such a policy as `Accepted=False`; we report the same, and keep serving what was accepted before, until
//! the object is fixed or deleted. An object that was never valid has nothing to fall back on and is left
//! out, as before.

use std::collections::{BTreeMap, BTreeSet};

use dynagate_api::{Object, ObjectKey};

use crate::resources::{Resources, ResourcesError};
use crate::status::ObjectStatus;
use crate::translate::{TranslateOptions, Translation, translate_with};

#[cfg(test)]
mod tests;

/// The last version of each policy and Backend that translated without an invalid field.
#[derive(Debug, Default)]
pub struct LastGood {
    good: BTreeMap<ObjectKey, Object>,
}

impl LastGood {
    /// An empty memory (nothing to fall back on yet).
    pub fn new() -> Self {
        Self::default()
    }

    /// Indexes and translates `objects`; every object in [`Translation::invalid`] that had a good version
    /// before is translated as that version. Its status stays the one of the invalid version (that is the
    /// object users look at), with a note naming the generation that keeps serving.
    pub fn translate(
        &mut self,
        objects: Vec<Object>,
        options: &TranslateOptions,
    ) -> Result<Translation, ResourcesError> {
        let mut resources = Resources::new(objects)?;
        let first = translate_with(&resources, options);

        let current: BTreeMap<ObjectKey, Object> = resources.policy_objects().collect();
        let fallbacks: Vec<(ObjectKey, Object)> = first
            .invalid
            .iter()
            .filter_map(|key| Some((key.clone(), self.good.get(key)?.clone())))
            .collect();
        // Deleted objects are forgotten (never resurrected); valid ones become the new good version.
        self.good.retain(|key, _| current.contains_key(key));
        for (key, object) in current {
            if !first.invalid.contains(&key) {
                self.good.insert(key, object);
            }
        }
        if fallbacks.is_empty() {
            return Ok(first);
        }

        let mut kept: BTreeSet<ObjectKey> = BTreeSet::new();
        for (key, object) in fallbacks {
            if resources.replace(object) {
                kept.insert(key);
            }
        }
        let mut second = translate_with(&resources, options);
        for key in &kept {
            let serving = self.good.get(key).and_then(|o| o.meta().generation);
            if let Some(status) = first.status.objects.get(key) {
                let mut status = status.clone();
                note_serving(&mut status, serving);
                second.status.objects.insert(key.clone(), status);
            }
        }
        second.invalid = first.invalid;
        Ok(second)
    }
}

/// Appends "the previous valid version keeps serving" to every condition that reports the rejection.
fn note_serving(status: &mut ObjectStatus, generation: Option<i64>) {
    let note = match generation {
        Some(generation) => {
            format!("; the last valid version (generation {generation}) keeps serving")
        }
        None => "; the last valid version keeps serving".to_owned(),
    };
    let conditions = status.conditions.iter_mut().chain(
        status
            .ancestors
            .iter_mut()
            .flat_map(|a| a.conditions.iter_mut()),
    );
    for condition in conditions.filter(|c| c.condition_type == "Accepted") {
        condition.message.push_str(&note);
    }
}
