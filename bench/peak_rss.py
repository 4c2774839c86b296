# Peak resident memory of one cold remediation by a function's binary: the
# binary behind a one-event Lambda Runtime API on loopback, fixing a freshly
# seeded resource in the local emulator; prints its VmHWM in KiB, read while it
# waits for the next event, as Lambda's own runtime would leave it and as
# `make bench` reads it (testing/src/runtime_api.rs). The method of
# docs/benchmark.md's before/after table. Usage, from the repository's root:
#   scripts/with-emulator .venv/bin/python bench/peak_rss.py target/release/<function> events/<function>/<sample>.json
# The sample says what to seed: a bucket, a security group with SSH open, or a
# service role with AdministratorAccess, put where the sample's placeholder is.
import http.server, json, os, subprocess, sys, threading, time, boto3
binary, sample = sys.argv[1], sys.argv[2]
fn = os.path.basename(binary)
ev = open(sample).read()
url = os.environ['REMEDIATION_EMULATOR_URL']
kw = dict(endpoint_url=url, region_name='us-east-1', aws_access_key_id="local-test-placeholder", aws_secret_access_key="local-test-placeholder")
n = f"rss-{int(time.time()*1000)}-{os.getpid()}"
if 'example-public-bucket' in ev:
    boto3.client('s3', **kw).create_bucket(Bucket=n)
    ev = ev.replace('example-public-bucket', n)
elif 'sg-0123456789abcdef0' in ev:
    ec2 = boto3.client('ec2', **kw)
    vpc = ec2.create_vpc(CidrBlock='10.9.0.0/16')['Vpc']['VpcId']
    g = ec2.create_security_group(GroupName=n, Description='x', VpcId=vpc)['GroupId']
    ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=[{'IpProtocol':'tcp','FromPort':22,'ToPort':22,'IpRanges':[{'CidrIp':'0.0.0.0/0'}]}])
    ev = ev.replace('sg-0123456789abcdef0', g)
elif 'example-lambda-role' in ev:
    iam = boto3.client('iam', **kw)
    trust = json.dumps({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]})
    iam.create_role(RoleName=n, Path='/service-role/', AssumeRolePolicyDocument=trust)
    iam.attach_role_policy(RoleName=n, PolicyArn='arn:aws:iam::aws:policy/AdministratorAccess')
    ev = ev.replace('example-lambda-role', n)
else:
    sys.exit(f'{sample}: no bucket, group or role placeholder to seed')
state = {'served': False, 'answer': None}
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        if state['served']:
            # The next event never comes: the binary waits, as in Lambda.
            time.sleep(30); self.send_response(500); self.end_headers(); return
        state['served'] = True
        body = ev.encode()
        self.send_response(200)
        self.send_header('Lambda-Runtime-Aws-Request-Id', 'req-1')
        self.send_header('Lambda-Runtime-Deadline-Ms', str(int(time.time()*1000)+30000))
        self.send_header('Lambda-Runtime-Invoked-Function-Arn', f'arn:aws:lambda:us-east-1:123456789012:function:{fn}')
        self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)
    def do_POST(self):
        l = int(self.headers.get('Content-Length', 0)); state['answer'] = self.rfile.read(l).decode()
        self.send_response(202); self.end_headers()
srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
env = dict(AWS_LAMBDA_RUNTIME_API=f'127.0.0.1:{srv.server_address[1]}', AWS_LAMBDA_FUNCTION_NAME=fn, AWS_LAMBDA_FUNCTION_VERSION='1',
           AWS_LAMBDA_FUNCTION_MEMORY_SIZE='128', AWS_REGION='us-east-1', AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="local-test-placeholder", AWS_SECRET_ACCESS_KEY="local-test-placeholder", DRY_RUN='false', PATH='/usr/bin:/bin')
p = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
deadline = time.time() + 30
while state['answer'] is None and time.time() < deadline and p.poll() is None:
    time.sleep(0.01)
time.sleep(0.5)
status = open(f'/proc/{p.pid}/status').read() if p.poll() is None else ''
rss = next((l.split()[1] for l in status.splitlines() if l.startswith('VmHWM:')), 'unknown')
p.kill()
ok = state['answer'] and '"remediated":1' in state['answer']
print(fn, rss, 'KiB', 'remediated' if ok else f'NOT remediated: {state["answer"]}')
