//! The rows of what a function of the hub template must never do, in a
//! deployed configuration: a sentence each and its request.
//!
//! It must not run the evaluator: the test in `main.rs` does.

use serde_json::json;

use super::evaluator::{Case, EXPLICITLY_DENIED, IMPLICITLY_DENIED};
use super::requests::{by, function, functions, row, Configuration, Function};
use super::*;

/// What a function of the single-account stack or the hub must never do.
pub fn denied_in(c: &Configuration<'_>) -> Vec<Case> {
    let d = &c.stack;
    let fs = functions(d);
    let bucket = function(&fs, "s3-block-public-access");
    let group = function(&fs, "sg-revoke-open-ssh");
    let role = function(&fs, "iam-detach-admin-policy");
    let account = function(&fs, "s3-account-public-access-block");
    let app_role = format!("arn:aws:iam::{HUB}:role/app-service-role");
    let sg =
        |region: &str| format!("arn:aws:ec2:{region}:{HUB}:security-group/sg-0123456789abcdef0");
    let hub = format!("arn:aws:securityhub:{REGION}:{HUB}:hub/default");
    let hubv2 = format!("arn:aws:securityhub:{REGION}:{HUB}:hubv2/0123");
    let update = |f: &Function, expect| {
        by(f, "securityhub:BatchUpdateFindings", &hub, expect)
            .with("securityhub:ASFFSyntaxPath/Workflow.Status", "RESOLVED")
    };
    let detach = |f: &Function, resource: &str, policy: &str, expect| {
        by(f, "iam:DetachRolePolicy", resource, expect).with("iam:PolicyARN", policy)
    };
    let s3_write = |f: &Function, action: &str, resource: &str| {
        by(f, action, resource, IMPLICITLY_DENIED).with("s3:ResourceAccount", HUB)
    };
    let mut rows = vec![
        row("the role function may not detach PowerUserAccess",
            detach(role, &app_role, "arn:aws:iam::aws:policy/PowerUserAccess", IMPLICITLY_DENIED)),
        row("the role function may not detach a customer policy that is named AdministratorAccess",
            detach(role, &app_role, &format!("arn:aws:iam::{HUB}:policy/AdministratorAccess"), IMPLICITLY_DENIED)),
        row("the role function may not detach AdministratorAccess from a service-linked role",
            detach(role, &format!("arn:aws:iam::{HUB}:role/aws-service-role/elasticbeanstalk.amazonaws.com/AWSServiceRoleForElasticBeanstalk"), ADMIN, EXPLICITLY_DENIED)),
        // The role's Deny applies too, but the evaluator answers as AWS does for
        // any role under /aws-reserved/ (IAM refuses to change it): implicitly.
        row("the role function may not detach AdministratorAccess from an SSO role",
            detach(role, &format!("arn:aws:iam::{HUB}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123"), ADMIN, IMPLICITLY_DENIED)),
        row("the role function may not detach AdministratorAccess from a role of another account",
            detach(role, &format!("arn:aws:iam::{STRANGER}:role/app-service-role"), ADMIN, IMPLICITLY_DENIED)),
        row("the role function may not attach a policy",
            detach(role, &app_role, ADMIN, IMPLICITLY_DENIED).with_action("iam:AttachRolePolicy")),
        row("the bucket function may not turn on Block Public Access of another account's bucket",
            by(bucket, "s3:PutBucketPublicAccessBlock", BUCKET, IMPLICITLY_DENIED).with("s3:ResourceAccount", STRANGER)),
        row("the group function may not revoke egress",
            by(group, "ec2:RevokeSecurityGroupEgress", &sg(REGION), IMPLICITLY_DENIED)),
        row("the group function may not authorise ingress",
            by(group, "ec2:AuthorizeSecurityGroupIngress", &sg(REGION), IMPLICITLY_DENIED)),
        row("the group function may not modify a group's rules",
            by(group, "ec2:ModifySecurityGroupRules", &sg(REGION), IMPLICITLY_DENIED)),
        row("the group function may not delete a group",
            by(group, "ec2:DeleteSecurityGroup", &sg(REGION), IMPLICITLY_DENIED)),
    ];
    // (S3's DeletePublicAccessBlock calls are authorised as
    // s3:Put{Bucket,Account}PublicAccessBlock: no action of their own.)
    for f in [bucket, account] {
        for (action, resource) in [
            ("s3:PutBucketPolicy", BUCKET),
            ("s3:DeleteBucketPolicy", BUCKET),
            ("s3:PutBucketAcl", BUCKET),
            ("s3:PutBucketTagging", BUCKET),
            ("s3:DeleteBucket", BUCKET),
            ("s3:PutObject", "arn:aws:s3:::example-bucket/key"),
            ("s3:DeleteObject", "arn:aws:s3:::example-bucket/key"),
            ("s3:PutBucketOwnershipControls", BUCKET),
        ] {
            rows.push(row(
                &format!("{} may not make the S3 write {action}", f.binary),
                s3_write(f, action, resource),
            ));
        }
    }
    rows.push(row(
        "the bucket function may not turn on the account's Block Public Access",
        by(
            bucket,
            "s3:PutAccountPublicAccessBlock",
            "*",
            IMPLICITLY_DENIED,
        ),
    ));
    rows.push(row(
        "the account function may not turn on a bucket's Block Public Access",
        s3_write(account, "s3:PutBucketPublicAccessBlock", BUCKET),
    ));
    // Every function: its own log group, queue, finding updates and topic only.
    for f in &fs {
        let who = &f.binary;
        let other_queue = format!("arn:aws:sqs:{REGION}:{HUB}:another-queue");
        let mut mine = vec![
            (
                format!("{who} may not send to another queue"),
                by(f, "sqs:SendMessage", &other_queue, IMPLICITLY_DENIED),
            ),
            (
                format!("{who} may not publish to another topic"),
                by(
                    f,
                    "sns:Publish",
                    &format!("arn:aws:sns:{REGION}:{HUB}:another-topic"),
                    IMPLICITLY_DENIED,
                ),
            ),
            (
                format!("{who} may not write another function's logs"),
                by(
                    f,
                    "logs:PutLogEvents",
                    &format!(
                        "arn:aws:logs:{REGION}:{HUB}:log-group:/aws/lambda/another:log-stream:x"
                    ),
                    IMPLICITLY_DENIED,
                ),
            ),
            (
                format!("{who} may not set a finding's workflow status SUPPRESSED"),
                update(f, IMPLICITLY_DENIED)
                    .with("securityhub:ASFFSyntaxPath/Workflow.Status", "SUPPRESSED"),
            ),
            (
                format!("{who} may not set a finding's workflow status NEW"),
                update(f, IMPLICITLY_DENIED)
                    .with("securityhub:ASFFSyntaxPath/Workflow.Status", "NEW"),
            ),
            (
                format!("{who} may not set an OCSF finding's status Suppressed"),
                by(
                    f,
                    "securityhub:BatchUpdateFindings",
                    &hubv2,
                    IMPLICITLY_DENIED,
                )
                .with("securityhub:OCSFSyntaxPath/StatusId", "3"),
            ),
            (
                format!("{who} may not update findings of another region"),
                update(f, IMPLICITLY_DENIED)
                    .with_resource(&format!(
                        "arn:aws:securityhub:{OTHER_REGION}:{HUB}:hub/default"
                    ))
                    .with("aws:RequestedRegion", OTHER_REGION),
            ),
            (
                format!("{who} may not assume a role not named MemberRoleName"),
                by(
                    f,
                    "sts:AssumeRole",
                    &format!("arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole"),
                    IMPLICITLY_DENIED,
                ),
            ),
            (
                format!("{who} may not send to the sweep queue of another function"),
                by(
                    f,
                    "sqs:SendMessage",
                    &format!(
                        "arn:aws:sqs:{REGION}:{HUB}:remediation-{}SweepQueue-1A2B3C4D5E6F",
                        if f.binary == "sg-revoke-open-ssh" {
                            "IamDetachAdminPolicy"
                        } else {
                            "SgRevokeOpenSsh"
                        }
                    ),
                    IMPLICITLY_DENIED,
                ),
            ),
        ];
        for (field, value) in [
            ("Severity.Label", json!("INFORMATIONAL")),
            ("Severity.Normalized", json!("0")),
            ("Types", json!(["Software and Configuration Checks"])),
            ("UserDefinedFields", json!("reviewed")),
            ("Confidence", json!("0")),
            ("Criticality", json!("0")),
            ("VerificationState", json!("BENIGN_POSITIVE")),
            ("RelatedFindings", json!("x")),
        ] {
            // Without the Security Hub trigger nothing is granted: implicitly denied.
            let expect = if d.holds("UseSecurityHub") {
                EXPLICITLY_DENIED
            } else {
                IMPLICITLY_DENIED
            };
            mine.push((
                format!("{who} may not touch a finding's {field} while resolving it"),
                update(f, expect).with(&format!("securityhub:ASFFSyntaxPath/{field}"), value),
            ));
        }
        rows.extend(mine.into_iter().map(|(name, case)| row(&name, case)));
    }
    // The region, where the template pins it: without a hub, the group
    // function's EC2 calls. (A hub acts in its own account in every region:
    // the allowed cases say so.)
    if !d.holds("HubMode") {
        for action in [
            "ec2:DescribeSecurityGroupRules",
            "ec2:DescribeSecurityGroups",
        ] {
            rows.push(row(
                &format!("the group function may not call {action} in another region"),
                by(group, action, "*", IMPLICITLY_DENIED).with("aws:RequestedRegion", OTHER_REGION),
            ));
        }
        rows.push(row(
            "the group function may not revoke ingress of a group in another region",
            by(
                group,
                "ec2:RevokeSecurityGroupIngress",
                &sg(OTHER_REGION),
                IMPLICITLY_DENIED,
            )
            .with("aws:RequestedRegion", OTHER_REGION),
        ));
    }
    for r in &mut rows {
        r.name = format!("{}: {}", c.name, r.name);
    }
    rows
}
