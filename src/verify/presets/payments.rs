//! Presets: payments. See `super` for the builder and how a preset is proven.

#[allow(unused_imports)]
use super::{Catalogue, Preset, B};

pub(super) const CATALOGUE: Catalogue = Catalogue {
    names: NAMES,
    redelivery: REDELIVERY,
    build,
};

const NAMES: &[&str] = &[];

/// How long each sender may deliver the same event again (see `super::REDELIVERY`).
const REDELIVERY: &[(&str, u64, &str)] = &[];

fn build(name: &str) -> Option<Preset> {
    let _ = name;
    None
}
