"""`make bench-sweep`: our scheduled sweep and Cloud Custodian's pull mode,
side by side, over the same seeded account in the local emulator.

For each resource kind (buckets, security groups, roles) and N (SWEEP_N,
default 1000) it seeds N resources, 10% of them misconfigured and 2% of those
exempt (plus a few roles that must never be touched), runs one system over
them, and scores the state it leaves against the ground truth the seeding
recorded: fixed, missed, wrongly changed. Each system starts from a fresh
copy of the same state (the emulator is reset and the same seed replayed).

Ours: `sweep-run`, the function's release binary behind the loopback Runtime
API, one Scheduled Event. The peer: `custodian run` (pull mode) with the
policies in `bench/peer/sweep.yml`. API calls are counted at the emulator
with moto's request recorder; peak memory is the process's high-water mark,
`VmHWM`, for both (the function's process; the Custodian process).

Run by `make bench-sweep`, which sets:
  REMEDIATION_EMULATOR_URL  the emulator (scripts/with-emulator)
  BENCH_SWEEP_RUN           the sweep-run binary
  BENCH_RELEASE_DIR         the functions' release binaries
  BENCH_PEER_PYTHON         the peer's virtualenv's Python (.venv-peer)
  SWEEP_N                   resources per kind (default 1000)
Prints a markdown table and writes it into docs/sweep-benchmark.md (the
section for this N). Talks to the loopback emulator only.
"""

import collections
import concurrent.futures
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
import botocore.exceptions
from botocore.config import Config

URL = os.environ["REMEDIATION_EMULATOR_URL"]
REGION = "us-east-1"
ACCOUNT = "123456789012"
PLACEHOLDER = "local-test-placeholder"
ROOT = pathlib.Path(__file__).resolve().parent.parent
EXEMPT_TAG = "auto-remediation:exempt"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
WORKERS = 16

# The catalog's function for each kind, by the resource type it fixes.
RESOURCE_TYPES = {
    "buckets": "AWS::S3::Bucket",
    "security groups": "AWS::EC2::SecurityGroup",
    "roles": "AWS::IAM::Role",
}
POLICIES = {
    "buckets": "sweep-s3",
    "security groups": "sweep-sg",
    "roles": "sweep-iam",
}


def clients():
    kw = dict(
        endpoint_url=URL,
        region_name=REGION,
        aws_access_key_id=PLACEHOLDER,
        aws_secret_access_key=PLACEHOLDER,
        config=Config(retries={"mode": "standard", "max_attempts": 10}, max_pool_connections=WORKERS),
    )
    return boto3.client("s3", **kw), boto3.client("ec2", **kw), boto3.client("iam", **kw)


S3, EC2, IAM = clients()


def moto_api(method, path):
    req = urllib.request.Request(URL + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=600) as answer:
        return answer.read().decode()


def retried(call, *args, **kwargs):
    """One seeding call, retried when the emulator answers with an unhandled
    error (at thousands of concurrent requests moto now and then answers 500
    with an HTML page, which botocore cannot parse, so does not retry)."""
    for attempt in range(5):
        try:
            return call(*args, **kwargs)
        except botocore.exceptions.ResponseParserError:
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


def parallel(fn, items):
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(fn, items))


# --- the seeded state and its ground truth -----------------------------------

def role(i):
    """Whether resource i is misconfigured, and whether it is exempt: 10% and
    2% of those; the variant says which kind of misconfiguration."""
    bad = i % 10 == 0
    return bad, bad and i % 500 == 0, (i // 10) % 4


ALL_ON = {k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")}


def seed_buckets(n):
    """Good buckets have all four settings on; bad ones none, all off, or one off."""
    truth = {}

    def one(i):
        name = f"sweep-bench-{i:05d}"
        bad, exempt, variant = role(i)
        retried(S3.create_bucket, Bucket=name)
        if not bad:
            flags = dict(ALL_ON)
        else:
            flags = [None, {k: False for k in ALL_ON}, dict(ALL_ON, BlockPublicPolicy=False), dict(ALL_ON, IgnorePublicAcls=False)][variant]
        if flags is not None:
            retried(S3.put_public_access_block, Bucket=name, PublicAccessBlockConfiguration=flags)
        if exempt:
            retried(S3.put_bucket_tagging, Bucket=name, Tagging={"TagSet": [{"Key": EXEMPT_TAG, "Value": "true"}]})
        seeded = flags or {k: False for k in ALL_ON}
        truth[name] = (bad and not exempt, seeded, ALL_ON if bad and not exempt else seeded)

    parallel(one, range(n))
    return truth


def bucket_state(name):
    try:
        return S3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    except S3.exceptions.ClientError as e:
        if e.response["Error"]["Code"] == "NoSuchPublicAccessBlockConfiguration":
            return {k: False for k in ALL_ON}
        raise


def rule(proto, lo, hi, cidr):
    return (proto, lo, hi, cidr)


LEGIT = [rule("tcp", 443, 443, "0.0.0.0/0"), rule("tcp", 22, 22, "10.0.0.0/8")]
OPEN = [
    rule("tcp", 22, 22, "0.0.0.0/0"),
    rule("tcp", 22, 22, "::/0"),
    rule("tcp", 0, 65535, "0.0.0.0/0"),
    rule("-1", -1, -1, "0.0.0.0/0"),
]


def permission(r):
    proto, lo, hi, cidr = r
    p = {"IpProtocol": proto}
    if proto != "-1":
        p.update(FromPort=lo, ToPort=hi)
    key, item = ("Ipv6Ranges", "CidrIpv6") if ":" in cidr else ("IpRanges", "CidrIp")
    p[key] = [{item: cidr}]
    return p


def seed_groups(n):
    """Every group allows 443 from anywhere and 22 from 10.0.0.0/8; a bad one
    also opens 22 to the world: one rule, on IPv4, IPv6, a port range or all
    traffic."""
    vpc = EC2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    truth = {}

    def one(i):
        name = f"sweep-bench-{i:05d}"
        bad, exempt, variant = role(i)
        tags = [{"ResourceType": "security-group", "Tags": [{"Key": EXEMPT_TAG, "Value": "true"}]}] if exempt else []
        try:
            group = retried(EC2.create_security_group, GroupName=name, Description="sweep bench", VpcId=vpc, TagSpecifications=tags)["GroupId"]
        except EC2.exceptions.ClientError as e:
            if e.response["Error"]["Code"] != "InvalidGroup.Duplicate":
                raise
            # A retried create that the emulator had carried out after all.
            found = EC2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])
            group = found["SecurityGroups"][0]["GroupId"]
        rules = LEGIT + ([OPEN[variant]] if bad else [])
        retried(EC2.authorize_security_group_ingress, GroupId=group, IpPermissions=[permission(r) for r in rules])
        seeded = frozenset(rules)
        truth[group] = (bad and not exempt, seeded, frozenset(LEGIT) if bad and not exempt else seeded)

    parallel(one, range(n))
    return truth


def group_states(groups):
    """The ingress rules of every group, by content, from one paginated read."""
    states = collections.defaultdict(set)
    for page in EC2.get_paginator("describe_security_group_rules").paginate():
        for r in page["SecurityGroupRules"]:
            if r["GroupId"] in groups and not r["IsEgress"]:
                states[r["GroupId"]].add(rule(r["IpProtocol"], r["FromPort"], r["ToPort"], r.get("CidrIpv4") or r.get("CidrIpv6")))
    return {g: frozenset(states[g]) for g in groups}


def trust(principal):
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


# Roles a fix must never touch, whatever they hold: the CDK's deployment role,
# a CloudFormation service role, the self-managed StackSets execution role
# (protected by name), and a person's role (not a service role).
PROTECTED = [
    ("cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1", {"Service": "cloudformation.amazonaws.com"}),
    ("pipeline-deploy", {"Service": "cloudformation.amazonaws.com"}),
    ("AWSCloudFormationStackSetExecutionRole", {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}),
    ("break-glass-admin", {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}),
]


def seed_roles(n):
    """Service roles (Lambda's); a bad one holds AdministratorAccess. Every
    fifth also holds ReadOnlyAccess, which must stay."""
    truth = {}

    def one(i):
        name = f"sweep-bench-{i:05d}"
        bad, exempt, _ = role(i)
        tags = [{"Key": EXEMPT_TAG, "Value": "true"}] if exempt else []
        retried(IAM.create_role, RoleName=name, Path="/service-role/" if i % 2 else "/", AssumeRolePolicyDocument=trust({"Service": "lambda.amazonaws.com"}), Tags=tags)
        held = ([READ_ONLY] if i % 5 == 0 else []) + ([ADMIN] if bad else [])
        for arn in held:
            retried(IAM.attach_role_policy, RoleName=name, PolicyArn=arn)
        seeded = frozenset(held)
        truth[name] = (bad and not exempt, seeded, seeded - {ADMIN} if bad and not exempt else seeded)

    def protected(entry):
        name, principal = entry
        retried(IAM.create_role, RoleName=name, AssumeRolePolicyDocument=trust(principal))
        retried(IAM.attach_role_policy, RoleName=name, PolicyArn=ADMIN)
        truth[name] = (False, frozenset([ADMIN]), frozenset([ADMIN]))

    parallel(one, range(n))
    parallel(protected, PROTECTED)
    return truth


def role_state(name):
    pages = IAM.get_paginator("list_attached_role_policies").paginate(RoleName=name)
    return frozenset(p["PolicyArn"] for page in pages for p in page["AttachedPolicies"])


KINDS = {
    "buckets": (seed_buckets, lambda truth: dict(zip(truth, parallel(bucket_state, list(truth))))),
    "security groups": (seed_groups, group_states),
    "roles": (seed_roles, lambda truth: dict(zip(truth, parallel(role_state, list(truth))))),
}


def score(truth, states):
    """Fixed: should change and now is as it should be. Missed: should change
    and is not. Wrongly changed: should have stayed and did not, or changed
    into something other than the fix."""
    fixed = missed = wrong = 0
    for key, (should, seeded, expected) in truth.items():
        now = states[key]
        if should:
            if now == expected:
                fixed += 1
            elif now == seeded:
                missed += 1
            else:
                wrong += 1
        elif now != seeded:
            wrong += 1
    return fixed, missed, wrong


# --- the runs ------------------------------------------------------------------

def operation(entry):
    """The AWS operation of one recorded request (as bench/src/recorder.rs)."""
    headers = {k.lower(): v for k, v in (entry.get("headers") or {}).items()}
    if "x-amz-target" in headers:
        return headers["x-amz-target"].rsplit(".", 1)[-1]
    body = entry.get("body") or ""
    if entry.get("body_encoded"):
        import base64
        body = base64.b64decode(body).decode(errors="replace")
    m = re.search(r"(?:^|&)Action=([A-Za-z]+)", body)
    if m:
        return m.group(1)
    url = entry.get("url", "")
    sub = url.split("?", 1)[1].split("&")[0].split("=")[0] if "?" in url else ""
    return f"S3 {entry.get('method')} ?{sub}"


def counted(run):
    moto_api("POST", "/moto-api/recorder/reset-recording")
    moto_api("POST", "/moto-api/recorder/start-recording")
    started = time.monotonic()
    result = run()
    wall = time.monotonic() - started
    moto_api("POST", "/moto-api/recorder/stop-recording")
    log = moto_api("GET", "/moto-api/recorder/download-recording")
    moto_api("POST", "/moto-api/recorder/reset-recording")
    ops = collections.Counter(operation(entry) if entry else "(unreadable)" for entry in recorded(log))
    return result, wall, ops


def recorded(log):
    """The entries of moto's recording: one JSON object a line, except that
    its writers, on several threads, now and then put two on one line (read
    both) or cut one (an unreadable entry, counted as such)."""
    decoder = json.JSONDecoder()
    for line in log.splitlines():
        at = 0
        while at < len(line):
            if line[at].isspace():
                at += 1
                continue
            try:
                entry, at = decoder.raw_decode(line, at)
            except ValueError:
                yield None
                break
            yield entry


def ours(kind):
    binary = os.environ["BENCH_SWEEP_RUN"]
    out = subprocess.run([binary, RESOURCE_TYPES[kind], os.environ["BENCH_RELEASE_DIR"]], capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        sys.exit(f"sweep-run {RESOURCE_TYPES[kind]} failed:\n{out.stderr[-3000:]}")
    line = json.loads(out.stdout.strip().splitlines()[-1])
    if line["answer"] != "ok":
        sys.exit(f"sweep-run {RESOURCE_TYPES[kind]}: the function answered {line['answer']}")
    summary = line["summary"] or {}
    return {"peak_rss_kb": line["peak_rss_kb"], "finished": summary.get("finished"), "summary": summary}


def peer(kind):
    with tempfile.TemporaryDirectory() as home:
        rss = pathlib.Path(home) / "rss"
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": home,
            "AWS_ENDPOINT_URL": URL,
            "AWS_ACCESS_KEY_ID": PLACEHOLDER,
            "AWS_SECRET_ACCESS_KEY": PLACEHOLDER,
            "AWS_DEFAULT_REGION": REGION,
            "BENCH_RSS_FILE": str(rss),
        }
        args = [os.environ["BENCH_PEER_PYTHON"], str(ROOT / "bench/peer_sweep.py"), "run", "--cache-period", "0",
                "-s", str(pathlib.Path(home) / "out"), "-r", REGION, "-p", POLICIES[kind], str(ROOT / "bench/peer/sweep.yml")]
        out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=3600)
        if out.returncode != 0:
            sys.exit(f"custodian {POLICIES[kind]} failed:\n{out.stderr[-3000:]}")
        return {"peak_rss_kb": int(rss.read_text()), "finished": True}


def run(system, kind, n):
    moto_api("POST", "/moto-api/reset")
    seed, read = KINDS[kind]
    t = time.monotonic()
    truth = seed(n)
    print(f"  {system:<16} {kind:<16} N={n}: seeded {len(truth)} in {time.monotonic() - t:.0f} s", file=sys.stderr, flush=True)
    result, wall, ops = counted(lambda: (ours if system == "ours" else peer)(kind))
    fixed, missed, wrong = score(truth, read(truth))
    should = sum(1 for s, _, _ in truth.values() if s)
    print(f"  {system:<16} {kind:<16} N={n}: {wall:.1f} s, {sum(ops.values())} calls, fixed {fixed}/{should}, missed {missed}, wrong {wrong}", file=sys.stderr, flush=True)
    return dict(result, system=system, kind=kind, n=n, wall_s=wall, calls=sum(ops.values()), ops=ops,
                fixed=fixed, should=should, missed=missed, wrong=wrong)


def ratio(peer, ours, better, worse):
    """How ours compares with the peer: `7.9x fewer`, `3.0x more`."""
    if ours <= 0 or peer <= 0:
        return "n/a"
    return f"{peer / ours:.1f}x {better}" if peer >= ours else f"{ours / peer:.1f}x {worse}"


def table(rows, n):
    lines = [
        f"N = {n} per kind (10% misconfigured, 2% of those exempt; roles: 4 more that must not be touched).",
        "",
        "| kind | system | wall time | API calls | fixed | missed | wrongly changed | peak memory | finished |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['kind']} | {r['system']} | {r['wall_s']:.1f} s | {r['calls']} | {r['fixed']}/{r['should']} | {r['missed']} "
            f"| {r['wrong']} | {r['peak_rss_kb'] / 1024:.1f} MiB | {'yes' if r['finished'] else 'no'} |"
        )
    lines += ["", "| kind | ours beside Custodian: API calls | wall time |", "|---|---:|---:|"]
    by = {(r["kind"], r["system"]): r for r in rows}
    totals = {"ours": [0, 0.0], "Cloud Custodian": [0, 0.0]}
    for r in rows:
        totals[r["system"]][0] += r["calls"]
        totals[r["system"]][1] += r["wall_s"]
    pairs = [(kind, by.get((kind, "ours")), by.get((kind, "Cloud Custodian"))) for kind in KINDS]
    pairs.append(("all three", dict(calls=totals["ours"][0], wall_s=totals["ours"][1]),
                  dict(calls=totals["Cloud Custodian"][0], wall_s=totals["Cloud Custodian"][1])))
    for kind, o, p in pairs:
        if o and p:
            lines.append(f"| {kind} | {ratio(p['calls'], o['calls'], 'fewer', 'more')} | {ratio(p['wall_s'], o['wall_s'], 'less', 'more')} |")
    lines += ["", "API calls by operation:", ""]
    for r in rows:
        top = ", ".join(f"{op} {c}" for op, c in r["ops"].most_common())
        lines.append(f"- {r['kind']}, {r['system']}: {top}")
    return "\n".join(lines)


def write_docs(n, text):
    path = ROOT / "docs/sweep-benchmark.md"
    begin, end = f"<!-- bench-sweep N={n} begin -->", f"<!-- bench-sweep N={n} end -->"
    doc = path.read_text()
    block = f"{begin}\n{text}\n{end}"
    if begin in doc and end in doc:
        doc = doc[: doc.index(begin)] + block + doc[doc.index(end) + len(end):]
    else:
        doc = doc.rstrip("\n") + f"\n\n### N = {n}\n\n{block}\n"
    path.write_text(doc)


def main():
    n = int(os.environ.get("SWEEP_N") or 1000)
    rows = []
    for kind in KINDS:
        for system in ("ours", "Cloud Custodian"):
            rows.append(run(system, kind, n))
    text = table(rows, n)
    print(text)
    write_docs(n, text)
    print(f"\nwritten to docs/sweep-benchmark.md (section N={n})", file=sys.stderr)


if __name__ == "__main__":
    main()
