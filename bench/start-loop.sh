#!/usr/bin/env bash
# Cold starts of one function binary, back to back: each runs from exec until
# its first Runtime API poll fails against a closed loopback port, then exits.
# Prints the time per start. Used to see where start-up time goes, e.g.
#   perf record -g -- bench/start-loop.sh target/release/<function>
# Usage: bench/start-loop.sh BINARY [STARTS]   (default 200)
set -euo pipefail
binary=$1
starts=${2:-200}
export AWS_LAMBDA_RUNTIME_API=127.0.0.1:1 AWS_LAMBDA_FUNCTION_NAME=start-loop \
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128 AWS_LAMBDA_FUNCTION_VERSION=1 AWS_REGION=us-east-1 \
  AWS_ACCESS_KEY_ID=local-test-placeholder AWS_SECRET_ACCESS_KEY=local-test-placeholder
begin=$(date +%s%N)
for _ in $(seq "$starts"); do "$binary" >/dev/null 2>&1 || true; done
end=$(date +%s%N)
echo "$starts starts of $binary: $(( (end - begin) / starts / 1000 )) us per start"
