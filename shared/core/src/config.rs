//! Configuration common to every function, read once at start-up from the
//! environment: the remediation mode (`REMEDIATION_MODE`, or the older
//! `DRY_RUN`) and the exemption tag.
//!
//! Owns the names and defaults of these variables, the modes, and which
//! trigger a mode lets apply a fix ([`Mode::decide`]). It must not read
//! anything per invocation: the environment does not change while a function
//! is warm.

/// The default tag key that exempts a resource from remediation.
pub const DEFAULT_EXEMPT_TAG_KEY: &str = "auto-remediation:exempt";

/// A configuration value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `DRY_RUN` is neither true nor false.
    #[error("DRY_RUN must be true or false, got {0:?}")]
    DryRun(String),
    /// `REMEDIATION_MODE` is not one of the modes.
    #[error("REMEDIATION_MODE must be auto, propose or dry-run, got {0:?}")]
    Mode(String),
    /// `EXEMPT_TAG_KEY` is empty or longer than a tag key may be.
    #[error("EXEMPT_TAG_KEY must be 1 to 128 characters, got {0:?}")]
    ExemptTagKey(String),
}

/// What a function does with a fix it finds called for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Applies it, whatever the trigger (`DRY_RUN=false`).
    #[default]
    Auto,
    /// Records it as `proposed` and changes nothing, unless a person asked
    /// (a Security Hub custom action, `remediation apply`): the person is
    /// the approval.
    Propose,
    /// Changes nothing, whoever asks (`DRY_RUN=true`): records say what
    /// would change.
    DryRun,
}

/// Who asked for the fix, as far as the mode cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asker {
    /// An automatic trigger: Config, GuardDuty, a Security Hub import,
    /// CloudTrail, the sweep.
    Automatic,
    /// A person: a Security Hub custom action, or `remediation apply`.
    Person,
}

/// What the driver does with a proposal, once the mode and the asker are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Make the write.
    Apply,
    /// Record the proposal (`proposed`) for a person to approve.
    Propose,
    /// Record what would change (`dry_run`).
    DryRun,
}

impl Mode {
    /// The mode named by `value` (`auto`, `propose`, `dry-run`; any case,
    /// `dry_run` too).
    pub fn parse(value: &str) -> Result<Mode, ConfigError> {
        match value.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "auto" => Ok(Mode::Auto),
            "propose" => Ok(Mode::Propose),
            "dry-run" => Ok(Mode::DryRun),
            _ => Err(ConfigError::Mode(value.to_owned())),
        }
    }

    /// Its name, as `REMEDIATION_MODE` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Auto => "auto",
            Mode::Propose => "propose",
            Mode::DryRun => "dry-run",
        }
    }

    /// What to do with a fix `asker` called for.
    pub fn decide(self, asker: Asker) -> Act {
        match (self, asker) {
            (Mode::DryRun, _) => Act::DryRun,
            (Mode::Auto, _) | (Mode::Propose, Asker::Person) => Act::Apply,
            (Mode::Propose, Asker::Automatic) => Act::Propose,
        }
    }
}

/// Settings shared by every function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Whether a fix is applied, proposed, or only described.
    pub mode: Mode,
    /// A resource with this tag set to `true` (any case) is never changed.
    pub exempt_tag_key: String,
    /// The stack the function belongs to (`STACK_NAME`), which notifications
    /// name for its saved queries; none outside a stack.
    pub stack: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mode: Mode::Auto,
            exempt_tag_key: DEFAULT_EXEMPT_TAG_KEY.to_owned(),
            stack: None,
        }
    }
}

impl Config {
    /// Whether nothing is ever written (dry-run mode): `dry_run` in records
    /// and summaries.
    pub fn dry_run(&self) -> bool {
        self.mode == Mode::DryRun
    }

    /// Reads `REMEDIATION_MODE`, `DRY_RUN`, `EXEMPT_TAG_KEY` and
    /// `STACK_NAME` from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) for a function whose fix reaches so far
    /// (a whole account) that it runs in dry run unless `REMEDIATION_MODE`
    /// or `DRY_RUN` says otherwise.
    pub fn from_env_dry_by_default() -> Result<Self, ConfigError> {
        Self::from_lookup_with(|name| std::env::var(name).ok(), true)
    }

    /// Reads the settings through `lookup`, so tests need not touch the environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::from_lookup_with(lookup, false)
    }

    /// [`from_lookup`](Self::from_lookup), in dry run when `dry_run_when_unset`
    /// and neither `REMEDIATION_MODE` nor `DRY_RUN` is set (or both are
    /// blank). `REMEDIATION_MODE`, when set, wins over `DRY_RUN`; a bad value
    /// of either is an error even when the other would decide.
    pub fn from_lookup_with(
        lookup: impl Fn(&str) -> Option<String>,
        dry_run_when_unset: bool,
    ) -> Result<Self, ConfigError> {
        let set = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let dry_run = match set("DRY_RUN").map(|v| v.trim().to_ascii_lowercase()) {
            None => None,
            Some(v) => match v.as_str() {
                "false" | "0" | "no" | "off" => Some(false),
                "true" | "1" | "yes" | "on" => Some(true),
                _ => return Err(ConfigError::DryRun(v)),
            },
        };
        let mode = match (set("REMEDIATION_MODE"), dry_run) {
            (Some(mode), _) => Mode::parse(&mode)?,
            (None, Some(true)) => Mode::DryRun,
            (None, Some(false)) => Mode::Auto,
            (None, None) if dry_run_when_unset => Mode::DryRun,
            (None, None) => Mode::Auto,
        };
        let exempt_tag_key = match lookup("EXEMPT_TAG_KEY") {
            None => DEFAULT_EXEMPT_TAG_KEY.to_owned(),
            Some(k) if k.trim().is_empty() => DEFAULT_EXEMPT_TAG_KEY.to_owned(),
            Some(k) if k.chars().count() > 128 => return Err(ConfigError::ExemptTagKey(k)),
            Some(k) => k.trim().to_owned(),
        };
        Ok(Config {
            mode,
            exempt_tag_key,
            stack: set("STACK_NAME").map(|s| s.trim().to_owned()),
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
        assert_eq!(c.mode, Mode::Auto);
        assert!(!c.dry_run());
        assert_eq!(c.exempt_tag_key, "auto-remediation:exempt");
    }

    #[test]
    fn the_mode_comes_from_remediation_mode_which_wins_over_dry_run() {
        use Mode::*;
        // (REMEDIATION_MODE, DRY_RUN, dry by default, the mode)
        let table: &[(Option<&str>, Option<&str>, bool, Mode)] = &[
            (None, None, false, Auto),
            (None, None, true, DryRun),
            (None, Some(""), true, DryRun),
            (None, Some("false"), true, Auto),
            (None, Some("true"), false, DryRun),
            (Some(""), Some("true"), false, DryRun),
            (Some(" "), None, true, DryRun),
            (Some("auto"), None, true, Auto),
            (Some("propose"), None, false, Propose),
            (Some("PROPOSE"), None, false, Propose),
            (Some("dry-run"), None, false, DryRun),
            (Some("dry_run"), None, false, DryRun),
            (Some("auto"), Some("true"), false, Auto),
            (Some("propose"), Some("true"), false, Propose),
            (Some("propose"), Some("false"), true, Propose),
            (Some("dry-run"), Some("false"), false, DryRun),
        ];
        for &(mode, dry_run, dry_by_default, want) in table {
            let got = Config::from_lookup_with(
                |name| match name {
                    "REMEDIATION_MODE" => mode.map(str::to_owned),
                    "DRY_RUN" => dry_run.map(str::to_owned),
                    _ => None,
                },
                dry_by_default,
            )
            .unwrap();
            assert_eq!(got.mode, want, "{mode:?} {dry_run:?} {dry_by_default}");
        }
    }

    #[test]
    fn a_bad_mode_stops_the_function_in_words_even_beside_a_good_dry_run() {
        for (pairs, name) in [
            (
                &[("REMEDIATION_MODE", "apply")] as &'static [(&str, &str)],
                "REMEDIATION_MODE",
            ),
            (
                &[("REMEDIATION_MODE", "maybe"), ("DRY_RUN", "true")],
                "REMEDIATION_MODE",
            ),
            (
                &[("REMEDIATION_MODE", "auto"), ("DRY_RUN", "maybe")],
                "DRY_RUN",
            ),
        ] {
            let err = Config::from_lookup(lookup(pairs)).unwrap_err();
            assert!(err.to_string().contains(name), "{pairs:?}: {err}");
        }
        assert_eq!(
            Config::from_lookup(lookup(&[("REMEDIATION_MODE", "apply")])).unwrap_err(),
            ConfigError::Mode("apply".into())
        );
    }

    #[test]
    fn a_person_is_the_approval_in_propose_mode_and_nothing_applies_in_dry_run() {
        use {Act::*, Asker::*};
        let table = [
            (Mode::Auto, Automatic, Apply),
            (Mode::Auto, Person, Apply),
            (Mode::Propose, Automatic, Propose),
            (Mode::Propose, Person, Apply),
            (Mode::DryRun, Automatic, DryRun),
            (Mode::DryRun, Person, DryRun),
        ];
        for (mode, asker, want) in table {
            assert_eq!(mode.decide(asker), want, "{mode:?} {asker:?}");
            assert_eq!(Mode::parse(mode.as_str()), Ok(mode));
        }
    }

    #[test]
    fn dry_run_accepts_common_spellings() {
        for v in ["true", "TRUE", "1", "yes"] {
            let pairs: &'static [(&str, &str)] = Box::leak(Box::new([("DRY_RUN", v)]));
            assert!(Config::from_lookup(lookup(pairs)).unwrap().dry_run(), "{v}");
        }
        assert!(!Config::from_lookup(lookup(&[("DRY_RUN", "false")]))
            .unwrap()
            .dry_run());
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
