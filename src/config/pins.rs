//! Pins: how many of a chat's messages may be pinned at its top at once.

use super::env::{ConfigError, Env, Fallback, Var, defaults};

const PINS_PER_CHAT: Var = Var {
    name: "PINS_PER_CHAT",
    default: Fallback::Value("5"),
    meaning: "how many messages a chat may have pinned at once (1–50); pinning one more answers 409 `too_many_pins` until one is unpinned. Lowering it unpins nothing: a chat over it takes no new pin",
};

pub(super) const VARS: &[Var] = &[PINS_PER_CHAT];

/// The most pins a chat may have at once.
#[derive(Debug, Clone, Copy)]
pub struct PinsConfig {
    /// 1–50; the log's rule (`events_rule_pin`) counts against it, under the log's lock.
    pub per_chat: u32,
}

impl PinsConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let per_chat: u32 = env.parse(&PINS_PER_CHAT, "a number of messages")?;
        if !(1..=50).contains(&per_chat) {
            return Err(ConfigError::new(PINS_PER_CHAT.name, format!("must be 1 to 50 (got {per_chat})")));
        }
        Ok(Self { per_chat })
    }
}

impl Default for PinsConfig {
    fn default() -> Self {
        defaults(Self::from_env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_per_chat_is_one_to_fifty() {
        assert_eq!(PinsConfig::default().per_chat, 5);
        assert_eq!(PinsConfig::from_env(&Env::of(&[("PINS_PER_CHAT", "50")])).map(|c| c.per_chat).ok(), Some(50));
        for bad in ["0", "51", "-1", "five"] {
            let error = PinsConfig::from_env(&Env::of(&[("PINS_PER_CHAT", bad)])).err();
            assert_eq!(error.map(|e| e.var), Some("PINS_PER_CHAT"), "{bad}");
        }
    }
}
