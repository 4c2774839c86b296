//! Configuration common to every function, read once at start-up from the
//! environment: dry run and the exemption tag.
//!
//! Owns the names and defaults of these variables. It must not read anything
//! per invocation: the environment does not change while a function is warm.

/// The default tag key that exempts a resource from remediation.
pub const DEFAULT_EXEMPT_TAG_KEY: &str = "auto-remediation:exempt";

/// A configuration value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `DRY_RUN` is neither true nor false.
    #[error("DRY_RUN must be true or false, got {0:?}")]
    DryRun(String),
    /// `EXEMPT_TAG_KEY` is empty or longer than a tag key may be.
    #[error("EXEMPT_TAG_KEY must be 1 to 128 characters, got {0:?}")]
    ExemptTagKey(String),
}

/// Settings shared by every function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// When true, nothing is written to AWS; audit records say what would change.
    pub dry_run: bool,
    /// A resource with this tag set to `true` (any case) is never changed.
    pub exempt_tag_key: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            dry_run: false,
            exempt_tag_key: DEFAULT_EXEMPT_TAG_KEY.to_owned(),
        }
    }
}

impl Config {
    /// Reads `DRY_RUN` and `EXEMPT_TAG_KEY` from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) for a function whose fix reaches so far
    /// (a whole account) that it runs in dry run unless `DRY_RUN` says
    /// otherwise.
    pub fn from_env_dry_by_default() -> Result<Self, ConfigError> {
        Self::from_lookup_with(|name| std::env::var(name).ok(), true)
    }

    /// Reads the settings through `lookup`, so tests need not touch the environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::from_lookup_with(lookup, false)
    }

    /// [`from_lookup`](Self::from_lookup), with `dry_run_when_unset` when
    /// `DRY_RUN` is absent or blank.
    pub fn from_lookup_with(
        lookup: impl Fn(&str) -> Option<String>,
        dry_run_when_unset: bool,
    ) -> Result<Self, ConfigError> {
        let dry_run = match lookup("DRY_RUN").map(|v| v.trim().to_ascii_lowercase()) {
            None => dry_run_when_unset,
            Some(v) => match v.as_str() {
                "" => dry_run_when_unset,
                "false" | "0" | "no" | "off" => false,
                "true" | "1" | "yes" | "on" => true,
                _ => return Err(ConfigError::DryRun(v)),
            },
        };
        let exempt_tag_key = match lookup("EXEMPT_TAG_KEY") {
            None => DEFAULT_EXEMPT_TAG_KEY.to_owned(),
            Some(k) if k.trim().is_empty() => DEFAULT_EXEMPT_TAG_KEY.to_owned(),
            Some(k) if k.chars().count() > 128 => return Err(ConfigError::ExemptTagKey(k)),
            Some(k) => k.trim().to_owned(),
        };
        Ok(Config {
            dry_run,
            exempt_tag_key,
        })
    }

    /// Whether a resource's tags exempt it: the exemption key with value `true`.
    pub fn is_exempt<'a>(&self, tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> bool {
        tags.into_iter()
            .any(|(k, v)| k == self.exempt_tag_key && v.trim().eq_ignore_ascii_case("true"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn defaults_are_enforcing_with_the_standard_tag() {
        let c = Config::from_lookup(lookup(&[])).unwrap();
        assert_eq!(c, Config::default());
        assert!(!c.dry_run);
        assert_eq!(c.exempt_tag_key, "auto-remediation:exempt");
    }

    #[test]
    fn a_function_may_default_to_dry_run_and_still_be_told_to_enforce() {
        let unset = Config::from_lookup_with(lookup(&[]), true).unwrap();
        assert!(unset.dry_run);
        let blank = Config::from_lookup_with(lookup(&[("DRY_RUN", " ")]), true).unwrap();
        assert!(blank.dry_run);
        let enforce = Config::from_lookup_with(lookup(&[("DRY_RUN", "false")]), true).unwrap();
        assert!(!enforce.dry_run);
    }

    #[test]
    fn dry_run_accepts_common_spellings() {
        for v in ["true", "TRUE", "1", "yes"] {
            let pairs: &'static [(&str, &str)] = Box::leak(Box::new([("DRY_RUN", v)]));
            assert!(Config::from_lookup(lookup(pairs)).unwrap().dry_run, "{v}");
        }
        assert!(
            !Config::from_lookup(lookup(&[("DRY_RUN", "false")]))
                .unwrap()
                .dry_run
        );
    }

    #[test]
    fn dry_run_rejects_anything_else_by_name() {
        let err = Config::from_lookup(lookup(&[("DRY_RUN", "maybe")])).unwrap_err();
        assert_eq!(err, ConfigError::DryRun("maybe".into()));
        assert!(err.to_string().contains("DRY_RUN"));
    }

    #[test]
    fn exemption_needs_the_configured_key_with_value_true() {
        let c = Config::from_lookup(lookup(&[("EXEMPT_TAG_KEY", "keep-open")])).unwrap();
        assert!(c.is_exempt([("keep-open", "True")]));
        assert!(!c.is_exempt([("keep-open", "false")]));
        assert!(!c.is_exempt([("auto-remediation:exempt", "true")]));
    }
}
