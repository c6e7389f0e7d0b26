#!/usr/bin/env bash
# bench/codecs.sh: the pure-C codecs against their alternatives, measured in
# one run (bench/codecs.c says what): UTF-8 validation, PostgreSQL's against
# 0.1's; the base64 encoders and PostgreSQL's pg_b64_encode; PostgreSQL's
# CRC-32C.  Built with -O2 as the server builds the extension, linked with
# libpgcommon and libpgport.  BENCH_RUNS sets the runs (default 21).
set -euo pipefail
cd "$(dirname "$0")/.."
. test/deps.sh
ews_install_deps
PG_CONFIG=${PG_CONFIG:-pg_config}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Isrc -I"$($PG_CONFIG --includedir-server)" \
	-o "$out/codecs" bench/codecs.c src/base64.c src/utf8.c \
	-L"$($PG_CONFIG --pkglibdir)" -lpgcommon -lpgport
"$out/codecs"
