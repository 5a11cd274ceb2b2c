//! Maximum bipartite matching, to pair the branches of two combined schemas.
//!
//! Written by hand: Kuhn's augmenting-path algorithm is a few lines, and the
//! graphs are tiny (one node per branch); a graph crate would be a heavy
//! dependency for it.

/// For each left vertex, the right vertex it is matched to in a maximum
/// matching. `adjacency[i]` lists the right vertices (`< right`) left `i` may
/// pair with.
pub(crate) fn maximum_matching(adjacency: &[Vec<usize>], right: usize) -> Vec<Option<usize>> {
    let mut owner: Vec<Option<usize>> = vec![None; right];
    for left in 0..adjacency.len() {
        let mut seen = vec![false; right];
        augment(left, adjacency, &mut seen, &mut owner);
    }
    let mut matched = vec![None; adjacency.len()];
    for (r, l) in owner.iter().enumerate() {
        if let Some(l) = l {
            matched[*l] = Some(r);
        }
    }
    matched
}

fn augment(
    left: usize,
    adjacency: &[Vec<usize>],
    seen: &mut [bool],
    owner: &mut [Option<usize>],
) -> bool {
    for &r in &adjacency[left] {
        if r >= seen.len() || seen[r] {
            continue;
        }
        seen[r] = true;
        let free = match owner[r] {
            None => true,
            Some(other) => augment(other, adjacency, seen, owner),
        };
        if free {
            owner[r] = Some(left);
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_perfect_matching_when_greedy_would_not() {
        // Left 0 can take 0 or 1, left 1 only 0: greedy 0->0 leaves 1 unmatched.
        let m = maximum_matching(&[vec![0, 1], vec![0]], 2);
        assert_eq!(m, vec![Some(1), Some(0)]);
    }

    #[test]
    fn reports_unmatched_vertices() {
        let m = maximum_matching(&[vec![0], vec![0], vec![]], 1);
        assert_eq!(m.iter().filter(|x| x.is_some()).count(), 1);
        assert_eq!(m[2], None);
    }
}
