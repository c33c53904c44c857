//! Stable sorting with one copy of the sort's code.
//!
//! `slice::sort_by` is generic over the items and the comparison, so every
//! call site compiles a sort of its own, about 6 kB of wasm each: the
//! analysis worker carried 51 of them, an eighth of its code. These functions
//! sort positions through a `dyn` comparison, so the sort is compiled once,
//! and then move the items into place. They are for the findings, incidents,
//! rows and names sorted once per answer; a sort on the per-record path or
//! over every event (the store's time order) keeps the standard one.

use std::cmp::Ordering;

/// Sorts `items` stably by `compare`, as `slice::sort_by` does.
pub fn by<T>(items: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    sort_positions(&mut order, &mut |a, b| compare(&items[a], &items[b]));
    permute(items, order);
}

/// Sorts `items` stably by the key `key` gives, as `slice::sort_by_key` does.
pub fn by_key<T, K: Ord>(items: &mut [T], mut key: impl FnMut(&T) -> K) {
    by(items, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `items` stably in their own order, as `slice::sort` does.
pub fn ascending<T: Ord>(items: &mut [T]) {
    by(items, T::cmp);
}

/// The one instantiation of the standard sort.
fn sort_positions(order: &mut [usize], compare: &mut dyn FnMut(usize, usize) -> Ordering) {
    order.sort_by(|&a, &b| compare(a, b));
}

/// Moves `items[order[k]]` to position `k`, following each cycle of the
/// permutation once.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    const PLACED: usize = usize::MAX;
    for start in 0..items.len() {
        let mut at = start;
        while order[at] != PLACED {
            let from = order[at];
            order[at] = PLACED;
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::rng::Rng;

    /// Items with few distinct keys, so stability shows: each keeps its
    /// original position as a tie-breaker the comparison never sees.
    fn items(rng: &mut Rng, n: usize) -> Vec<(u64, usize)> {
        (0..n).map(|i| (rng.below(7), i)).collect()
    }

    fn descending(a: &(u64, usize), b: &(u64, usize)) -> Ordering {
        b.0.cmp(&a.0)
    }

    #[test]
    fn agrees_with_the_standard_stable_sort() {
        let mut rng = Rng::new(9);
        for n in [0, 1, 2, 3, 10, 33, 500, 4096] {
            let mut ours = items(&mut rng, n);
            let mut theirs = ours.clone();
            by(&mut ours, descending);
            theirs.sort_by(descending);
            assert_eq!(ours, theirs, "{n} items");
            by_key(&mut ours, |x| x.0);
            theirs.sort_by_key(|x| x.0);
            assert_eq!(ours, theirs, "{n} items by key");
        }
    }

    #[test]
    fn ascending_sorts_owned_strings() {
        let mut names: Vec<String> = ["kube", "etcd", "api", "etcd"].map(String::from).into();
        ascending(&mut names);
        assert_eq!(names, ["api", "etcd", "etcd", "kube"]);
    }
}
