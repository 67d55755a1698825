#!/usr/bin/env bash
# Run Digit Lab's tests on a fresh machine: makes .venv, installs what the
# tests need (Debian's Chromium and HAProxy for the browser tests), runs pytest.
# Extra arguments go to pytest, e.g. ./test.sh -k preprocess
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt

# Playwright's own browser download does not work offline: use Debian's Chromium. The test of the
# two-server route needs HAProxy in front of them (deploy/balanced.py).
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing="$missing haproxy"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq $missing) >/dev/null
  else  # not root: say so, and run what can run (-m "not browser" needs neither)
    echo "warning: the browser tests need:$missing (sudo apt-get install$missing); they will fail without it" >&2
  fi
fi

# The real MNIST: $DIGITLAB_MNIST if set, else a shared copy beside the repo.
if [ -z "${DIGITLAB_MNIST:-}" ] && [ -f ../shared/data/mnist.npz ]; then
  export DIGITLAB_MNIST="$PWD/../shared/data/mnist.npz"
fi

exec .venv/bin/python -m pytest "$@"
