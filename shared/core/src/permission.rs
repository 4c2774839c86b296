//! The IAM permissions a function's code needs, declared in its adapter next
//! to the SDK calls that need them, so that the template can be held to them.
//!
//! Owns only the declaration type. `template.yaml` must grant each function
//! exactly its declared permissions (plus logging and its failure queue), and
//! `tests/tests/template/` checks that. Nothing here calls AWS or reads the
//! template.

/// One IAM action, the resource it is granted on as `template.yaml` writes it
/// (an `!Sub` string, or `*` where the action has no resource-level
/// permissions), and the condition key that must narrow the grant, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permission {
    /// The IAM action, `service:Action`.
    pub action: &'static str,
    /// The resource, as the template's `!Sub` string, or `*`.
    pub resource: &'static str,
    /// A condition key the granting statement must test, if any.
    pub condition_key: Option<&'static str>,
    /// The value the grant requires of that key, when it is one (as the
    /// template's `!Sub` string): what a person's policy grants the same call on.
    pub condition_value: Option<&'static str>,
}

impl Permission {
    /// `action` on `resource`, with no condition.
    pub const fn on(action: &'static str, resource: &'static str) -> Self {
        Permission {
            action,
            resource,
            condition_key: None,
            condition_value: None,
        }
    }

    /// The same grant, narrowed by a condition on `key`.
    pub const fn when(self, key: &'static str) -> Self {
        Permission {
            condition_key: Some(key),
            ..self
        }
    }

    /// The same grant, narrowed to requests whose `key` is `value`.
    pub const fn when_equal(self, key: &'static str, value: &'static str) -> Self {
        Permission {
            condition_key: Some(key),
            condition_value: Some(value),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_condition_narrows_the_same_grant() {
        let p = Permission::on("iam:DetachRolePolicy", "*").when("iam:PolicyARN");
        assert_eq!(p.action, "iam:DetachRolePolicy");
        assert_eq!(p.resource, "*");
        assert_eq!(p.condition_key, Some("iam:PolicyARN"));
        assert_eq!(Permission::on("a:B", "*").condition_key, None);
        let q = Permission::on("iam:DetachRolePolicy", "*").when_equal("iam:PolicyARN", "arn:x");
        assert_eq!(
            (q.condition_key, q.condition_value),
            (Some("iam:PolicyARN"), Some("arn:x"))
        );
    }
}
