#!/usr/bin/env bash
# test/package.sh: the Debian package, as CI checks it (test/run.sh runs it
# last).  On Debian 12, as root:
#
#   1. installs what building needs (debhelper, postgresql-server-dev-all, …;
#      apt-get update first) and what the autopkgtests name in
#      debian/tests/control;
#   2. builds postgresql-15-ews from a copy of this checkout with
#      dpkg-buildpackage -b (pg_buildext; dh_pgxs_test runs pg_regress
#      against the files installed into debian/);
#   3. checks the package: its name, that it holds ews.so, the control file
#      and every sql/ews--*.sql script;
#   4. installs it, checks that dpkg owns the installed files and that they
#      match the package (dpkg --verify);
#   5. runs each test of debian/tests/control against the installed package
#      (installcheck: pg_regress; seed-requests: CREATE EXTENSION ews and the
#      seed requests through ews_soap);
#   6. purges it and checks that its files are gone; files that were there
#      before (a make install) are put back as they were.
#
# Steps 4 to 6 write the directories make install writes, so the whole run
# holds the lock test/deps.sh uses (/tmp/ews-install.lock).  A machine where
# postgresql-15-ews is installed already is left alone: the test refuses.
set -uo pipefail
cd "$(dirname "$0")/.."
. test/deps.sh
# the system PostgreSQL, whatever a development shell points at
unset PG_CONFIG PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD

pass=0 failed=0 n=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $1"; }
nok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | tail -n 60 | cut -c1-300 | sed 's/^/#   /'
	return 0
}
finish() {
	echo "$pass passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

if [ "$(id -u)" -ne 0 ]; then
	nok "test/package.sh installs packages: run it as root"
	finish
fi
pkg=postgresql-15-ews
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
	nok "$pkg is installed on this machine already; this test would replace and remove it"
	finish
fi

# ---- 1. what building and the autopkgtests need ----
# the autopkgtests' Depends, without "@" (the package itself)
test_deps=$(sed -n '/^Depends:/,/^[A-Z]/p' debian/tests/control | grep -E '^ ' |
	tr ',' '\n' | sed 's/[[:space:]]//g' | grep -vE '^(@|)$' | sort -u)
need=(dpkg-dev debhelper postgresql-server-dev-all postgresql-server-dev-15 postgresql-15
	libxml2-dev pkg-config gcc make $test_deps)
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "# installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		{ nok "install ${missing[*]}"; finish; }
fi
ok "build and test dependencies installed"

work=$(mktemp -d "${TMPDIR:-/tmp}/ews-package.XXXXXX")
# pg_virtualenv runs the build's cluster as an unprivileged user: it must read the tree
chmod 755 "$work"
saved=$work/saved
cleanup() {
	# never leave the package installed, and put back what was there before
	if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		dpkg --purge "$pkg" >/dev/null 2>&1
	fi
	if [ -d "$saved" ]; then
		(cd "$saved" && find . -type f -print0 | while IFS= read -r -d '' f; do
			mkdir -p "/$(dirname "$f")" && cp -p "$f" "/$f"
		done)
	fi
	rm -rf "$work"
}

exec 9>"$ews_lock_file"
flock 9
ews_drop_stale_cluster
trap cleanup EXIT

# ---- 2. build from a copy of the checkout (what git tracks, as it stands) ----
src=$work/ews
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf - | tar -x -C "$src"
else
	tar --exclude=./debian/"$pkg" -cf - . | tar -x -C "$src"
	make -s -C "$src" clean >/dev/null 2>&1
fi
if (cd "$src" && dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1; then
	ok "dpkg-buildpackage -b builds $pkg (pg_regress against the built files passed)"
else
	nok "dpkg-buildpackage -b" "$(cat "$work/build.log")"
	finish
fi
deb=$(ls "$work"/"$pkg"_*.deb 2>/dev/null | head -n 1)

# ---- 3. what the package holds ----
if [ -n "$deb" ] && [ "$(dpkg-deb -f "$deb" Package)" = "$pkg" ]; then
	ok "the package is $(basename "$deb")"
else
	nok "no $pkg .deb was built" "$(ls "$work")"
	finish
fi
contents=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
want="/usr/lib/postgresql/15/lib/ews.so /usr/share/postgresql/15/extension/ews.control"
for f in sql/ews--*.sql; do want="$want /usr/share/postgresql/15/extension/$(basename "$f")"; done
lacking=""
for f in $want; do printf '%s\n' "$contents" | grep -qxF "$f" || lacking="$lacking $f"; done
if [ -z "$lacking" ]; then
	ok "it holds ews.so, ews.control and every install and update script ($(echo "$want" | wc -w) files)"
else
	nok "files missing from the package:$lacking" "$contents"
fi

# ---- 4. install ----
# files a make install left where the package goes: kept, put back at the end
for f in $(printf '%s\n' "$contents" | grep -v '/$'); do
	if [ -f "$f" ] && ! dpkg -S "$f" >/dev/null 2>&1; then
		mkdir -p "$saved$(dirname "$f")" && cp -p "$f" "$saved$f"
	fi
done
if out=$(dpkg -i "$deb" 2>&1); then
	ok "dpkg -i installs it"
else
	nok "dpkg -i" "$out"
	finish
fi
owner=$(dpkg -S /usr/lib/postgresql/15/lib/ews.so 2>/dev/null | cut -d: -f1)
verify=$(dpkg --verify "$pkg" 2>&1)
if [ "$owner" = "$pkg" ] && [ -z "$verify" ]; then
	ok "the installed files are the package's (dpkg -S, dpkg --verify)"
else
	nok "the installed files are not the package's" "owner: $owner"$'\n'"$verify"
fi

# ---- 5. the autopkgtests, against the installed package ----
tests=$(sed -n 's/^Tests:[[:space:]]*//p' debian/tests/control | tr ',' ' ')
for t in $tests; do
	# as autopkgtest runs them: from the top of the source tree
	if (cd "$src" && AUTOPKGTEST_TMP=$work bash "debian/tests/$t") >"$work/$t.log" 2>&1; then
		ok "autopkgtest $t: $(grep -E 'passed|^ok' "$work/$t.log" | tail -n 1)"
	else
		nok "autopkgtest $t" "$(cat "$work/$t.log")"
	fi
done

# ---- 6. remove ----
if out=$(dpkg --purge "$pkg" 2>&1) && ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'installed'; then
	left=""
	for f in $(printf '%s\n' "$contents" | grep -v '/$'); do [ -e "$f" ] && left="$left $f"; done
	if [ -z "$left" ]; then
		ok "dpkg --purge removes it and all its files"
	else
		nok "files left after dpkg --purge:$left"
	fi
else
	nok "dpkg --purge" "$out"
fi
finish
