#!/usr/bin/env bash
# test/run.sh: runs every test of ews.
#
#   1. the pure-C codec unit tests under ASan/UBSan, then under valgrind;
#   2. the libFuzzer harnesses for EWS_FUZZ_SECONDS each (default 30);
#   3. a -Werror build, make install, and in one throwaway PostgreSQL 15
#      cluster (pg_virtualenv): pg_regress (make installcheck, diffs printed
#      on failure), pgTAP (pg_prove test/pgtap/*.sql) and test/sh/*.sh;
#   4. the Debian package: built, installed, its autopkgtests, purged
#      (test/package.sh).
#
# Installs the Debian packages it needs when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/deps.sh
ews_install_deps

fail=0
# each step's header says when it began, in seconds since the start
step() { echo "# $* (at ${SECONDS} s)"; }
step "codec unit tests (ASan + UBSan)"
make -s -C test/unit check || fail=1
step "codec unit tests (valgrind)"
make -s -C test/unit check VALGRIND=1 || fail=1
step "fuzzing"
make -s -C test/fuzz run FUZZ_SECONDS="${EWS_FUZZ_SECONDS:-30}" || fail=1

step "build (warnings are errors)"
make -s clean
make -s COPT=-Werror 2>&1
ews_in_cluster bash test/in_cluster.sh || fail=1

step "Debian package"
bash test/package.sh || fail=1

if [ "$fail" -ne 0 ]; then
	echo "# FAILED (after ${SECONDS} s)"
	exit 1
fi
echo "# all tests passed (in ${SECONDS} s)"
