//! A TOML table read in parts, each into a serde struct of its own: [`Table`], and the
//! [`Keys`] a part declares.
//!
//! A check's table holds the keys every check takes, the keys of its kind, and keys
//! that several kinds share. serde's `flatten` would gather them into one struct, but
//! it does not work with `deny_unknown_fields`, and it buffers values in a form that
//! loses their spans. Instead, each part takes its own keys out of the table, the keys
//! its struct declares (serde lists them, see [`names_of`]), and the last part reads
//! what is left with `deny_unknown_fields`. Values keep their spans throughout: they
//! are the parsed tree's own values, moved.

use std::ops::Range;

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// A table, or what is left of it once some parts have been taken out.
#[derive(Debug)]
pub(super) struct Table<'i> {
    /// The whole table's span: a missing key is reported there.
    span: Range<usize>,
    entries: DeTable<'i>,
}

impl<'i> Table<'i> {
    /// The table at `span`.
    pub(super) fn new(span: Range<usize>, entries: DeTable<'i>) -> Self {
        Self { span, entries }
    }

    /// The whole table's span.
    pub(super) fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// The key that is not in `accepted` and comes first in the file, with its span.
    pub(super) fn unknown_key(&self, accepted: &[&str]) -> Option<(&str, Range<usize>)> {
        first_unknown(&self.entries, accepted)
    }

    /// The same in the table under `key`, if there is one.
    pub(super) fn unknown_key_under(
        &self,
        key: &str,
        accepted: &[&str],
    ) -> Option<(&str, Range<usize>)> {
        first_unknown(self.entries.get(key)?.get_ref().as_table()?, accepted)
    }

    /// Removes the entry of `key`, if any.
    pub(super) fn remove(&mut self, key: &str) -> Option<Spanned<DeValue<'i>>> {
        self.entries.remove(key)
    }

    /// Removes the keys `T` declares and reads them into a `T`.
    ///
    /// # Errors
    ///
    /// Returns serde's error for a missing key or a value of the wrong type.
    pub(super) fn take<T: DeserializeOwned>(&mut self) -> Result<T, toml::de::Error> {
        let mut part = DeTable::new();
        for name in names_of::<T>() {
            if let Some((key, value)) = self.entries.remove_entry(*name) {
                part.insert(key, value);
            }
        }
        Self::new(self.span.clone(), part).read()
    }

    /// Reads the whole table into a `T`.
    ///
    /// # Errors
    ///
    /// Returns serde's error for a missing key, a value of the wrong type or, with
    /// `deny_unknown_fields`, a key `T` does not declare.
    pub(super) fn read<T: DeserializeOwned>(self) -> Result<T, toml::de::Error> {
        T::deserialize(toml::de::Deserializer::from(Spanned::new(
            self.span,
            self.entries,
        )))
    }
}

fn first_unknown<'t>(
    entries: &'t DeTable<'_>,
    accepted: &[&str],
) -> Option<(&'t str, Range<usize>)> {
    entries
        .keys()
        .filter(|key| !accepted.contains(&key.get_ref().as_ref()))
        .min_by_key(|key| key.span().start)
        .map(|key| (key.get_ref().as_ref(), key.span()))
}

/// What a part of a table is read into: a serde struct (`deny_unknown_fields`,
/// kebab-case), or [`With`] one and a struct of shared keys.
pub(super) trait Keys: Sized {
    /// Every key, as written in the file, in the order the structs declare them.
    fn names() -> Vec<&'static str>;

    /// Reads the keys from `table`, which must hold no other.
    ///
    /// # Errors
    ///
    /// Returns serde's error for a missing key, a value of the wrong type or a key
    /// that no struct declares.
    fn read(table: Table<'_>) -> Result<Self, toml::de::Error>;
}

impl<T: DeserializeOwned> Keys for T {
    fn names() -> Vec<&'static str> {
        names_of::<T>().to_vec()
    }

    fn read(table: Table<'_>) -> Result<Self, toml::de::Error> {
        table.read()
    }
}

/// A kind's `own` keys, and keys it `shares` with other kinds, declared once in a
/// struct of their own and written in the same table (`warn-at` and `fail-at` in
/// the `disk` and `memory` checks).
#[derive(Debug)]
pub(super) struct With<K, S> {
    pub(super) own: K,
    pub(super) shared: S,
}

impl<K: Keys, S: DeserializeOwned> Keys for With<K, S> {
    fn names() -> Vec<&'static str> {
        let mut names = K::names();
        names.extend_from_slice(names_of::<S>());
        names
    }

    fn read(mut table: Table<'_>) -> Result<Self, toml::de::Error> {
        let shared = table.take()?;
        let own = K::read(table)?;
        Ok(Self { own, shared })
    }
}

/// The keys the serde struct `T` declares, as serde itself lists them to the
/// deserializer: `T` is asked to deserialize from a deserializer that only writes
/// down the field names it is given. Anything but a struct declares none.
pub(super) fn names_of<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut names: &'static [&'static str] = &[];
    // The error is the deserializer's own, once it has the names: nothing to report.
    let _ = T::deserialize(FieldNames(&mut names));
    names
}

/// A deserializer that records the field names of the struct asking it for data,
/// and gives none.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = de::value::Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("only the field names are read"))
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
        identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "kebab-case")]
    struct Own {
        url: Spanned<String>,
        write_probe: Option<bool>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "kebab-case")]
    struct Shared {
        warn_at: Option<Spanned<f64>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "kebab-case")]
    struct Third {
        url_too: Option<i64>,
    }

    fn table(source: &str) -> Table<'_> {
        let root = DeTable::parse(source).unwrap();
        Table::new(root.span(), root.into_inner())
    }

    #[test]
    fn names_come_from_serde_as_written_in_the_file() {
        assert_eq!(names_of::<Own>(), ["url", "write-probe"]);
        assert_eq!(names_of::<String>(), [] as [&str; 0]);
        assert_eq!(
            <With<Own, Shared>>::names(),
            ["url", "write-probe", "warn-at"]
        );
    }

    #[test]
    fn parts_are_read_with_their_spans_and_unknown_keys_denied() {
        let source = "warn-at = 90.0\nurl = \"x\"\nwrite-probe = true\n";
        let both: With<Own, Shared> = Keys::read(table(source)).unwrap();
        assert_eq!(both.own.url.get_ref(), "x");
        assert_eq!(both.own.write_probe, Some(true));
        assert_eq!(&source[both.own.url.span()], "\"x\"");
        assert_eq!(&source[both.shared.warn_at.unwrap().span()], "90.0");
        let error = <With<Own, Shared>>::read(table("url = \"x\"\nzzz = 1\n")).unwrap_err();
        assert!(
            error.message().starts_with("unknown field `zzz`"),
            "{error}"
        );
        let error = <With<Own, Shared>>::read(table("warn-at = 1.0\n")).unwrap_err();
        assert_eq!(error.message(), "missing field `url`");
        // Groups nest: a kind can take more than one.
        let source = "url = \"x\"\nwarn-at = 1.0\nurl-too = 2\n";
        let three: With<With<Own, Shared>, Third> = Keys::read(table(source)).unwrap();
        assert_eq!(three.shared.url_too, Some(2));
        assert!(three.own.shared.warn_at.is_some());
    }

    #[test]
    fn the_first_unknown_key_in_the_file_is_found() {
        let source = "zz = 1\nurl = \"x\"\naa = 2\n";
        let table = table(source);
        let (key, span) = table.unknown_key(&["url"]).unwrap();
        assert_eq!((key, &source[span]), ("zz", "zz"));
        assert_eq!(table.unknown_key(&["url", "zz", "aa"]), None);
    }
}
