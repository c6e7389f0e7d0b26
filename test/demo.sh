#!/usr/bin/env bash
# test/demo.sh: the README's first command.  Builds and installs ews, brings
# up a throwaway PostgreSQL 15 cluster (pg_virtualenv), creates a demo
# mailbox and shows what the store does, then drops the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/deps.sh
ews_install_deps
make -s 2>&1
ews_in_cluster bash test/demo_in_cluster.sh
