"""`c7n-org` (the same arguments) in this process, then the peak resident
memory in KiB of the largest of this process and the worker processes
c7n-org forks (`VmHWM` of this one, `ru_maxrss` of its children), written to
the file BENCH_RSS_FILE names: how `make bench-org-sweep` measures the
peer's memory. Run with the peer's virtualenv (.venv-peer); AWS is whatever
the environment names, which the benchmark points at the local emulator on
loopback only."""

import os
import resource
import sys

from c7n_org.cli import cli

sys.argv[0] = "c7n-org"
code = 0
try:
    cli()
except SystemExit as e:
    code = e.code or 0
with open("/proc/self/status") as status:
    own = int(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
with open(os.environ["BENCH_RSS_FILE"], "w") as f:
    f.write(str(max(own, children)))
sys.exit(code)
