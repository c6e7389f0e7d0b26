#!/usr/bin/env bash
# bench/router.sh: requests through the PL/Proxy router (extension
# ews_router) against the same requests sent straight to a node, in one run:
# small SOAP requests (GetFolder of one folder, ExportItems of one 4 KiB
# item), and ews_export_items of 100 ids spread over 3 nodes against 100 ids
# of one node.  Three throwaway node clusters plus the router database in a
# throwaway cluster (pg_virtualenv).  BENCH_ROUNDS (default 5) and
# BENCH_SECONDS (default 3) set the sizes.  See bench/router.py.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--in-cluster" ]; then
	. test/deps.sh
	ews_install_deps
	make -s
	ews_in_cluster bash "$0" --in-cluster
	exit
fi
exec /usr/bin/python3 bench/router.py
