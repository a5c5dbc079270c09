//! "Did you mean …?": the accepted key nearest to a mistyped one.

/// `; did you mean `key`?` with the key [`nearest`] to `typed`, or nothing.
pub(super) fn hint(typed: &str, accepted: &[&str]) -> String {
    nearest(typed, accepted)
        .map(|near| format!("; did you mean `{near}`?"))
        .unwrap_or_default()
}

/// The key of `accepted` nearest to `typed`, if one is near enough to be what was
/// meant: at most one edit per three characters (a swapped pair counting as one),
/// and at least one edit allowed, so that `bnd` suggests `bind` and `bukcet` suggests
/// `bucket` while `zzz` suggests nothing. The first of equally near keys wins.
fn nearest<'a>(typed: &str, accepted: &[&'a str]) -> Option<&'a str> {
    let limit = (typed.chars().count() / 3).max(1);
    accepted
        .iter()
        .map(|key| (distance(typed, key), *key))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, key)| key)
}

/// The number of edits from `a` to `b`: characters inserted, deleted, replaced, and
/// neighbours swapped (the optimal string alignment distance), case-insensitive.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    // rows[i][j]: the distance between the first i characters of a and the first j
    // of b. Three rows are enough: a swap looks two rows back.
    let mut rows = vec![vec![0; b.len() + 1]; 3];
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        let (current, previous, before) = (i % 3, (i - 1) % 3, (i + 1) % 3);
        rows[current][0] = i;
        for j in 1..=b.len() {
            let replace = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[previous][j] + 1)
                .min(rows[current][j - 1] + 1)
                .min(rows[previous][j - 1] + replace);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[before][j - 2] + 1);
            }
            rows[current][j] = best;
        }
    }
    rows[a.len() % 3][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_are_counted_with_swaps_as_one() {
        assert_eq!(distance("bucket", "bucket"), 0);
        assert_eq!(distance("bukcet", "bucket"), 1);
        assert_eq!(distance("bnd", "bind"), 1);
        assert_eq!(distance("write_probe", "write-probe"), 1);
        assert_eq!(distance("Timeout", "timeout"), 0);
        assert_eq!(distance("", "url"), 3);
        assert_eq!(distance("adress", "addr"), 4);
        assert_eq!(distance("ca", "abc"), 3);
    }

    #[test]
    fn only_a_near_key_is_suggested() {
        let s3 = ["bucket", "endpoint", "region", "prefix"];
        assert_eq!(nearest("bukcet", &s3), Some("bucket"));
        assert_eq!(nearest("regoin", &s3), Some("region"));
        assert_eq!(nearest("url", &s3), None);
        assert_eq!(nearest("zzz", &["bind", "path"]), None);
        assert_eq!(nearest("bnd", &["bind", "path"]), Some("bind"));
        assert_eq!(nearest("ur", &["url", "addr"]), Some("url"));
        assert_eq!(hint("bnd", &["bind"]), "; did you mean `bind`?");
        assert_eq!(hint("zzz", &["bind"]), "");
    }
}
