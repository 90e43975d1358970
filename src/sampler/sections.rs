//! The workloads' parts of a snapshot. Each workload has a sample type of
//! its own; a snapshot holds one of each running workload, found by type,
//! and prints each under its key, so the snapshot knows no workload by name
//! and a new workload needs no field here.

use std::any::Any;
use std::fmt::Debug;

use serde::de::{DeserializeOwned, Deserializer, IgnoredAny};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// A workload's part of one tick.
pub trait WorkloadSample:
    Serialize + DeserializeOwned + Clone + PartialEq + Debug + Send + Sync + 'static
{
    /// Its key in the JSON (the workload's scenario table, with `_` for
    /// `-`).
    const KEY: &'static str;
}

/// A `WorkloadSample` of any type.
trait AnySample: Debug + Send + Sync {
    fn key(&self) -> &'static str;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn clone_box(&self) -> Box<dyn AnySample>;
    fn same(&self, other: &dyn AnySample) -> bool;
    fn to_json(&self) -> serde_json::Value;
}

impl<T: WorkloadSample> AnySample for T {
    fn key(&self) -> &'static str {
        T::KEY
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn clone_box(&self) -> Box<dyn AnySample> {
        Box::new(self.clone())
    }

    fn same(&self, other: &dyn AnySample) -> bool {
        other.as_any().downcast_ref::<T>() == Some(self)
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// One sample per running workload, in the order they were put.
#[derive(Debug, Default)]
pub struct Sections(Vec<Box<dyn AnySample>>);

impl Clone for Sections {
    fn clone(&self) -> Self {
        Self(self.0.iter().map(|s| s.clone_box()).collect())
    }
}

impl Sections {
    pub fn get<T: WorkloadSample>(&self) -> Option<&T> {
        self.0.iter().find_map(|s| s.as_any().downcast_ref::<T>())
    }

    pub fn get_mut<T: WorkloadSample>(&mut self) -> Option<&mut T> {
        self.0
            .iter_mut()
            .find_map(|s| s.as_any_mut().downcast_mut::<T>())
    }

    /// Adds `sample`, in place of one of its type.
    pub fn put<T: WorkloadSample>(&mut self, sample: T) {
        let sample: Box<dyn AnySample> = Box::new(sample);
        match self.0.iter_mut().find(|s| s.key() == T::KEY) {
            Some(slot) => *slot = sample,
            None => self.0.push(sample),
        }
    }

    pub fn remove<T: WorkloadSample>(&mut self) {
        self.0.retain(|s| s.key() != T::KEY);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl PartialEq for Sections {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self.0.iter().zip(&other.0).all(|(a, b)| a.same(b.as_ref()))
    }
}

/// How one workload's section is read back from a snapshot's JSON: its key,
/// and its type. Each workload's `Kind` has one.
#[derive(Clone, Copy)]
pub struct SectionReader {
    pub key: &'static str,
    read: fn(&serde_json::Value) -> Result<Box<dyn AnySample>, serde_json::Error>,
}

impl SectionReader {
    pub const fn of<T: WorkloadSample>() -> Self {
        Self {
            key: T::KEY,
            read: |json| Ok(Box::new(T::deserialize(json)?)),
        }
    }
}

impl Sections {
    /// The sections `readers` know, read from a snapshot's JSON object, in
    /// the readers' order.
    pub fn read(
        object: &serde_json::Map<String, serde_json::Value>,
        readers: impl IntoIterator<Item = SectionReader>,
    ) -> Result<Self, String> {
        let mut sections = Self::default();
        for reader in readers {
            if let Some(json) = object.get(reader.key) {
                let sample = (reader.read)(json).map_err(|e| format!("{}: {e}", reader.key))?;
                sections.0.push(sample);
            }
        }
        Ok(sections)
    }
}

/// Read as none: a snapshot knows no workload, so its sections are read
/// from the same JSON by the workloads' readers (`Sections::read`).
impl<'de> serde::Deserialize<'de> for Sections {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(IgnoredAny)?;
        Ok(Self::default())
    }
}

/// Each sample under its key, as fields of the snapshot around it.
impl Serialize for Sections {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for sample in &self.0 {
            map.serialize_entry(sample.key(), &sample.to_json())?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    struct Apples {
        count: u32,
    }
    impl WorkloadSample for Apples {
        const KEY: &'static str = "apples";
    }

    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    struct Pears(u32);
    impl WorkloadSample for Pears {
        const KEY: &'static str = "pears";
    }

    #[test]
    fn samples_are_found_by_type_and_replaced_in_place() {
        let mut sections = Sections::default();
        sections.put(Apples { count: 1 });
        sections.put(Pears(2));
        sections.put(Apples { count: 3 });
        assert_eq!(sections.get::<Apples>(), Some(&Apples { count: 3 }));
        assert_eq!(sections.get::<Pears>(), Some(&Pears(2)));
        sections.get_mut::<Pears>().unwrap().0 = 4;
        assert_eq!(
            serde_json::to_string(&sections).unwrap(),
            r#"{"apples":{"count":3},"pears":4}"#
        );
        sections.remove::<Apples>();
        assert_eq!(sections.get::<Apples>(), None);
        assert_eq!(sections.len(), 1);
    }

    #[test]
    fn equal_when_every_sample_is() {
        let mut a = Sections::default();
        a.put(Apples { count: 1 });
        let mut b = a.clone();
        assert_eq!(a, b);
        b.put(Apples { count: 2 });
        assert_ne!(a, b);
        b.remove::<Apples>();
        b.put(Pears(1));
        assert_ne!(a, b);
    }
}
