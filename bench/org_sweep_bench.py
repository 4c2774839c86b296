"""`make bench-org-sweep`: an organisation's sweep, ours against c7n-org,
over the same seeded organisation in the local emulator.

The organisation: ORG_ACCOUNTS member accounts (default 20) in two regions
(us-east-1, eu-west-1), each reached through its role `remediation-member`
(the emulator lets STS AssumeRole act in any account, as the hub tests do);
in every account and region ORG_N buckets and security groups, and in every
account ORG_N roles (default 100 each), 10% misconfigured in several ways,
2% of those exempt, and the roles a fix must never touch in every account.
The seeding records the ground truth; each system starts from a fresh copy
(the emulator reset and the same seed replayed) and is scored on the state
it leaves: fixed, missed, wrongly changed.

Ours: `org-sweep-run` per function (buckets, groups, roles, one after the
other): the release binary in an empty hub account with the members listed,
its scheduled event queueing one SQS message per place, then the queue
delivered back to ORG_CONCURRENCY instances (default 5) as the event source
mapping would. The peer: `c7n-org run` (pinned in bench/requirements-peer.txt)
with an accounts file of the same member roles and regions, the policies of
bench/peer/sweep.yml (the IAM one in us-east-1 only, roles being global), and
C7N_ORG_PARALLEL set to the same concurrency.

API calls are counted at the emulator (moto's request recorder): the
functions' calls and the peer's; for ours, the SQS receives and deletes that
play Lambda's event source mapping, and the queues' creation (the stack's),
are counted apart (the function makes none of them). Peak memory
is the largest process's high-water mark (`VmHWM`).

Run by `make bench-org-sweep`, which sets:
  REMEDIATION_EMULATOR_URL  the emulator (scripts/with-emulator)
  BENCH_ORG_SWEEP_RUN       the org-sweep-run binary
  BENCH_RELEASE_DIR         the functions' release binaries
  BENCH_PEER_PYTHON         the peer's virtualenv's Python (.venv-peer)
  ORG_ACCOUNTS, ORG_N, ORG_CONCURRENCY
Prints a markdown table and writes it into docs/org-sweep-benchmark.md.
Talks to the loopback emulator only.
"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import boto3
from botocore.config import Config

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import sweep_bench as sb  # noqa: E402  (the single-account benchmark's seeding rules and scoring)

URL = sb.URL
HOME = "us-east-1"
REGIONS = ["us-east-1", "eu-west-1"]
HUB = "310000000000"
ROLE = "remediation-member"
ROOT = sb.ROOT
KINDS = ["buckets", "security groups", "roles"]
PEER_POLICY = {"buckets": "sweep-s3", "security groups": "sweep-sg", "roles": "sweep-iam"}
# Lambda's event source mapping, not the function, receives and deletes the queue's messages;
# the stack, not the function, creates the queues.
MAPPING_CALLS = {"ReceiveMessage", "DeleteMessage", "GetQueueAttributes", "CreateQueue"}


def members(count):
    return [f"3100000{i:05d}" for i in range(1, count + 1)]


def clients(account, region):
    """boto3 clients acting in `account` and `region` (through STS, as a member role is reached)."""
    kw = dict(endpoint_url=URL, region_name=region, aws_access_key_id=sb.PLACEHOLDER,
              aws_secret_access_key=sb.PLACEHOLDER,
              config=Config(retries={"mode": "standard", "max_attempts": 10}, max_pool_connections=sb.WORKERS))
    creds = boto3.client("sts", **kw).assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="seed")["Credentials"]
    kw.update(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
              aws_session_token=creds["SessionToken"])
    return {name: boto3.client(name, **kw) for name in ("s3", "ec2", "iam")}


# --- the seeded organisation and its ground truth ----------------------------

def seed_buckets(c, account, region, n, truth):
    s3 = c["s3"]

    def one(i):
        name = f"org-{account[-3:]}-{region}-{i:03d}"
        bad, exempt, variant = sb.role(i)
        extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        sb.retried(s3.create_bucket, Bucket=name, **extra)
        flags = dict(sb.ALL_ON) if not bad else [None, {k: False for k in sb.ALL_ON}, dict(sb.ALL_ON, BlockPublicPolicy=False), dict(sb.ALL_ON, IgnorePublicAcls=False)][variant]
        if flags is not None:
            sb.retried(s3.put_public_access_block, Bucket=name, PublicAccessBlockConfiguration=flags)
        if exempt:
            sb.retried(s3.put_bucket_tagging, Bucket=name, Tagging={"TagSet": [{"Key": sb.EXEMPT_TAG, "Value": "true"}]})
        seeded = flags or {k: False for k in sb.ALL_ON}
        truth[(account, region, name)] = (bad and not exempt, seeded, sb.ALL_ON if bad and not exempt else seeded)

    sb.parallel(one, range(n))


def bucket_states(c, keys):
    s3 = c["s3"]

    def one(name):
        try:
            return s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        except s3.exceptions.ClientError as e:
            if e.response["Error"]["Code"] == "NoSuchPublicAccessBlockConfiguration":
                return {k: False for k in sb.ALL_ON}
            raise

    names = [k[2] for k in keys]
    return dict(zip(keys, sb.parallel(one, names)))


def seed_groups(c, account, region, n, truth):
    ec2 = c["ec2"]
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]

    def one(i):
        bad, exempt, variant = sb.role(i)
        tags = [{"ResourceType": "security-group", "Tags": [{"Key": sb.EXEMPT_TAG, "Value": "true"}]}] if exempt else []
        group = sb.retried(ec2.create_security_group, GroupName=f"org-{i:03d}", Description="org sweep bench", VpcId=vpc, TagSpecifications=tags)["GroupId"]
        rules = sb.LEGIT + ([sb.OPEN[variant]] if bad else [])
        sb.retried(ec2.authorize_security_group_ingress, GroupId=group, IpPermissions=[sb.permission(r) for r in rules])
        seeded = frozenset(rules)
        truth[(account, region, group)] = (bad and not exempt, seeded, frozenset(sb.LEGIT) if bad and not exempt else seeded)

    sb.parallel(one, range(n))


def group_states(c, keys):
    groups = {k[2] for k in keys}
    states = {g: set() for g in groups}
    for page in c["ec2"].get_paginator("describe_security_group_rules").paginate():
        for r in page["SecurityGroupRules"]:
            if r["GroupId"] in groups and not r["IsEgress"]:
                states[r["GroupId"]].add(sb.rule(r["IpProtocol"], r["FromPort"], r["ToPort"], r.get("CidrIpv4") or r.get("CidrIpv6")))
    return {k: frozenset(states[k[2]]) for k in keys}


def seed_roles(c, account, region, n, truth):
    if region != HOME:
        return
    iam = c["iam"]

    def one(i):
        name = f"org-{i:03d}"
        bad, exempt, _ = sb.role(i)
        tags = [{"Key": sb.EXEMPT_TAG, "Value": "true"}] if exempt else []
        sb.retried(iam.create_role, RoleName=name, Path="/service-role/" if i % 2 else "/", AssumeRolePolicyDocument=sb.trust({"Service": "lambda.amazonaws.com"}), Tags=tags)
        held = ([sb.READ_ONLY] if i % 5 == 0 else []) + ([sb.ADMIN] if bad else [])
        for arn in held:
            sb.retried(iam.attach_role_policy, RoleName=name, PolicyArn=arn)
        seeded = frozenset(held)
        truth[(account, region, name)] = (bad and not exempt, seeded, seeded - {sb.ADMIN} if bad and not exempt else seeded)

    def protected(entry):
        name, principal = entry
        name = name.replace(sb.ACCOUNT, account)
        principal = {k: v.replace(sb.ACCOUNT, account) for k, v in principal.items()}
        sb.retried(iam.create_role, RoleName=name, AssumeRolePolicyDocument=sb.trust(principal))
        sb.retried(iam.attach_role_policy, RoleName=name, PolicyArn=sb.ADMIN)
        truth[(account, region, name)] = (False, frozenset([sb.ADMIN]), frozenset([sb.ADMIN]))

    sb.parallel(one, range(n))
    sb.parallel(protected, sb.PROTECTED)


def role_states(c, keys):
    iam = c["iam"]

    def one(name):
        pages = iam.get_paginator("list_attached_role_policies").paginate(RoleName=name)
        return frozenset(p["PolicyArn"] for page in pages for p in page["AttachedPolicies"])

    return dict(zip(keys, sb.parallel(one, [k[2] for k in keys])))


SEEDS = {"buckets": (seed_buckets, bucket_states), "security groups": (seed_groups, group_states),
         "roles": (seed_roles, role_states)}


def seed(kind, accounts, n):
    truth = {}
    for account in accounts:
        for region in REGIONS:
            SEEDS[kind][0](clients(account, region), account, region, n, truth)
    return truth


def read(kind, truth):
    states = {}
    places = sorted({(a, r) for a, r, _ in truth})
    for account, region in places:
        keys = [k for k in truth if k[:2] == (account, region)]
        states.update(SEEDS[kind][1](clients(account, region), keys))
    return states


# --- the runs ------------------------------------------------------------------

def ours(kind, accounts, concurrency):
    out = subprocess.run(
        [os.environ["BENCH_ORG_SWEEP_RUN"], sb.RESOURCE_TYPES[kind], os.environ["BENCH_RELEASE_DIR"], HUB,
         ",".join(accounts), ",".join(r for r in REGIONS if r != HOME), str(concurrency)],
        capture_output=True, text=True, timeout=7200)
    if out.returncode != 0:
        sys.exit(f"org-sweep-run {kind} failed:\n{out.stderr[-3000:]}")
    line = json.loads(out.stdout.strip().splitlines()[-1])
    return {"peak_rss_kb": line["peak_rss_kb"], "detail": line,
            "finished": line["dead_letters"] == 0 and line["handed_back"] == 0}


def peer(kind, accounts, concurrency):
    with tempfile.TemporaryDirectory() as home:
        home = pathlib.Path(home)
        config = {"accounts": [{"account_id": a, "name": f"member-{a}", "regions": REGIONS,
                                "role": f"arn:aws:iam::{a}:role/{ROLE}"} for a in accounts]}
        (home / "accounts.yml").write_text(json.dumps(config))
        (home / "cache").mkdir()
        rss = home / "rss"
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "AWS_ENDPOINT_URL": URL,
            "AWS_ACCESS_KEY_ID": sb.PLACEHOLDER,
            "AWS_SECRET_ACCESS_KEY": sb.PLACEHOLDER,
            "AWS_DEFAULT_REGION": HOME,
            "C7N_ORG_PARALLEL": str(concurrency),
            "BENCH_RSS_FILE": str(rss),
        }
        args = [os.environ["BENCH_PEER_PYTHON"], str(ROOT / "bench/peer_org_sweep.py"), "run",
                "-c", str(home / "accounts.yml"), "-s", str(home / "out"), "-u", str(ROOT / "bench/peer/org-sweep.yml"),
                "-p", PEER_POLICY[kind], "--cache-period", "0", "--cache-path", str(home / "cache")]
        out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=7200)
        if out.returncode != 0:
            sys.exit(f"c7n-org {PEER_POLICY[kind]} failed:\n{out.stderr[-3000:]}")
        return {"peak_rss_kb": int(rss.read_text()), "finished": True, "detail": {}}


def run(system, kind, accounts, n, concurrency):
    sb.moto_api("POST", "/moto-api/reset")
    t = time.monotonic()
    truth = seed(kind, accounts, n)
    print(f"  {system:<8} {kind:<16}: seeded {len(truth)} in {time.monotonic() - t:.0f} s", file=sys.stderr, flush=True)
    result, wall, ops = sb.counted(lambda: (ours if system == "ours" else peer)(kind, accounts, concurrency))
    mapping = sum(c for op, c in ops.items() if op in MAPPING_CALLS) if system == "ours" else 0
    calls = sum(ops.values()) - mapping
    fixed, missed, wrong = sb.score(truth, read(kind, truth))
    should = sum(1 for s, _, _ in truth.values() if s)
    print(f"  {system:<8} {kind:<16}: {wall:.1f} s, {calls} calls (+{mapping} by the event source mapping), fixed {fixed}/{should}, missed {missed}, wrong {wrong}",
          file=sys.stderr, flush=True)
    return dict(result, system=system, kind=kind, wall_s=wall, calls=calls, mapping=mapping, ops=ops,
                fixed=fixed, should=should, missed=missed, wrong=wrong)


def table(rows, accounts, n, concurrency):
    lines = [
        f"{accounts} member accounts x {len(REGIONS)} regions, {n} buckets and {n} security groups per account and region, "
        f"{n} roles per account (10% misconfigured, 2% of those exempt, 4 protected roles per account); "
        f"{concurrency} places at a time for both (ours: the event source mapping's maximum concurrency; c7n-org: C7N_ORG_PARALLEL).",
        "",
        "| kind | system | wall time | API calls | fixed | missed | wrongly changed | peak memory (largest process) | every place done |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        calls = f"{r['calls']}" + (f" (+{r['mapping']} by Lambda's queue polling)" if r["mapping"] else "")
        lines.append(
            f"| {r['kind']} | {r['system']} | {r['wall_s']:.1f} s | {calls} | {r['fixed']}/{r['should']} | {r['missed']} "
            f"| {r['wrong']} | {r['peak_rss_kb'] / 1024:.1f} MiB | {'yes' if r['finished'] else 'no'} |"
        )
    lines += ["", "| kind | ours beside c7n-org: API calls | wall time |", "|---|---:|---:|"]
    by = {(r["kind"], r["system"]): r for r in rows}
    for kind in KINDS:
        o, p = by.get((kind, "ours")), by.get((kind, "c7n-org"))
        if o and p:
            lines.append(f"| {kind} | {sb.ratio(p['calls'], o['calls'], 'fewer', 'more')} | {sb.ratio(p['wall_s'], o['wall_s'], 'less', 'more')} |")
    lines += ["", "API calls by operation:", ""]
    for r in rows:
        top = ", ".join(f"{op} {c}" for op, c in r["ops"].most_common())
        lines.append(f"- {r['kind']}, {r['system']}: {top}")
    return "\n".join(lines)


def write_docs(text):
    path = ROOT / "docs/org-sweep-benchmark.md"
    begin, end = "<!-- bench-org-sweep begin -->", "<!-- bench-org-sweep end -->"
    doc = path.read_text()
    doc = doc[: doc.index(begin)] + f"{begin}\n{text}\n{end}" + doc[doc.index(end) + len(end):]
    path.write_text(doc)


def main():
    count = int(os.environ.get("ORG_ACCOUNTS") or 20)
    n = int(os.environ.get("ORG_N") or 100)
    concurrency = int(os.environ.get("ORG_CONCURRENCY") or 5)
    accounts = members(count)
    rows = []
    for kind in KINDS:
        for system in ("ours", "c7n-org"):
            rows.append(run(system, kind, accounts, n, concurrency))
    text = table(rows, count, n, concurrency)
    print(text)
    write_docs(text)
    print("\nwritten to docs/org-sweep-benchmark.md", file=sys.stderr)


if __name__ == "__main__":
    main()
