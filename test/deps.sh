# test/deps.sh: sourced by the demo and test commands.  Installs the Debian
# packages they need when any is missing, so both work on a fresh Debian 12
# machine as root.
ews_packages=(
	make gcc pkg-config
	postgresql-15 postgresql-server-dev-15 postgresql-contrib
	libxml2-dev libxml2-utils python3-lxml
	postgresql-15-pgtap pgtap
	clang libclang-rt-14-dev valgrind
	python3-exchangelib python3-psycopg2
	postgresql-15-plproxy
	davmail-server
)

ews_install_deps() {
	local missing=() p
	for p in "${ews_packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	# the JavaScript client test (test/sh/ejs.sh) needs node and npm: Debian's
	# (Node 18), unless the machine has its own (e.g. NodeSource's, whose
	# nodejs package conflicts with Debian's npm)
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		missing+=(nodejs npm)
	fi
	if [ ${#missing[@]} -gt 0 ]; then
		echo "# installing: ${missing[*]}"
		if [ "$(id -u)" -ne 0 ]; then
			echo "missing Debian packages (run as root to install them): ${missing[*]}" >&2
			return 1
		fi
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
}

# make install and everything that uses the installed files run under one
# lock: several checkouts on one machine share PostgreSQL's extension dir
ews_lock_file=/tmp/ews-install.lock

# As root, pg_virtualenv keeps its cluster in the system's place
# (/etc/postgresql/15/regress) and refuses to start while that directory
# exists.  A run killed before its cleanup (a CI timeout, a machine stopped
# mid-test) leaves one behind: marked .by_pg_virtualenv, or, when the kill
# came during the cleanup, unmarked and stopped, or only its empty directory.
# Under the lock no other run of ours owns it, so such a leftover is removed,
# directory and all.  A running cluster without the mark is not ours and
# stays (pg_virtualenv then refuses, saying so).
ews_drop_stale_cluster() {
	local conf=/etc/postgresql/15/regress data=/var/lib/postgresql/15/regress
	[ "$(id -u)" -eq 0 ] && [ -d "$conf" ] || return 0
	if [ ! -f "$conf/.by_pg_virtualenv" ] && [ -n "$(ls -A "$conf" 2>/dev/null)" ] &&
		pg_ctlcluster 15 regress status >/dev/null 2>&1; then
		return 0
	fi
	echo "# removing the throwaway cluster 15/regress left by an interrupted run"
	if [ -f "$conf/postgresql.conf" ]; then
		pg_ctlcluster --mode immediate 15 regress stop >/dev/null 2>&1 || true
		pg_dropcluster 15 regress >/dev/null 2>&1 || true
	fi
	rm -rf "$conf"
	[ -d "$data" ] && rm -rf "$data"
	return 0
}

# Install this build and run "$@" inside a throwaway PostgreSQL 15 cluster
# (pg_virtualenv), holding the lock until the cluster is gone.
ews_in_cluster() {
	(
		flock 9
		ews_drop_stale_cluster
		make -s install >/dev/null
		# the lock's descriptor stays here: a server started below must not
		# inherit it, or an orphaned one (its run killed) holds the lock forever
		pg_virtualenv -v 15 "$@" 9>&-
	) 9>"$ews_lock_file"
}

# Throwaway clusters take their encoding from the locale: with LANG unset (a
# fresh machine, a bare CI environment) initdb makes SQL_ASCII databases.
# The tests and the demo speak UTF-8; C.UTF-8 exists on every Debian 12.
export LANG=C.UTF-8
unset LC_ALL LC_CTYPE LC_COLLATE LANGUAGE
