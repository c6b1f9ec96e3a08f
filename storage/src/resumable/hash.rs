//! SHA-256 over an upload's bytes as they are stored, with a state that can be saved in
//! the database at every checkpoint and restored by any node after a restart, so a 5 GB
//! file is hashed once, on the way in, never read back.

use sha2::digest::common::hazmat::{SerializableState, SerializedState};
use sha2::{Digest, Sha256};

#[derive(Clone, Default)]
pub struct RunningSha256(Sha256);

impl std::fmt::Debug for RunningSha256 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RunningSha256")
    }
}

impl RunningSha256 {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The state as bytes (block buffer included), for the `uploads.hash_state` column.
    pub fn save(&self) -> Vec<u8> {
        self.0.serialize().to_vec()
    }

    pub fn restore(saved: &[u8]) -> Option<Self> {
        let state = SerializedState::<Sha256>::try_from(saved).ok()?;
        Sha256::deserialize(&state).ok().map(Self)
    }

    /// Lower-case hex of the digest.
    pub fn finish_hex(self) -> String {
        self.0.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_state_resumes_to_the_same_digest_at_any_split() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let whole = {
            let mut h = RunningSha256::new();
            h.update(&data);
            h.finish_hex()
        };
        for split in [0, 1, 63, 64, 65, 4096, 9_999, 10_000] {
            let mut first = RunningSha256::new();
            first.update(&data[..split]);
            let mut resumed = RunningSha256::restore(&first.save()).expect("restores");
            resumed.update(&data[split..]);
            assert_eq!(resumed.finish_hex(), whole, "split at {split}");
        }
        assert!(RunningSha256::restore(b"garbage").is_none());
    }
}
