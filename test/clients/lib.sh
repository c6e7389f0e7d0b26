# test/clients/lib.sh: sourced by the real-client tests (test/sh/davmail.sh,
# ejs.sh, exchangelib.sh, http_front.sh).  Runs from the repository root.
PY=/usr/bin/python3

ews_free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ews_front_start LOG ARGS...: start test/http/ews_http_front.py with ARGS on a
# free port; sets front_pid and front_port.  Fails (with the log) when it does
# not come up.
ews_front_start() {
	local log=$1 _
	shift
	front_port=$(ews_free_port)
	$PY test/http/ews_http_front.py --port "$front_port" "$@" >"$log" 2>&1 &
	front_pid=$!
	for _ in $(seq 150); do
		grep -q listening "$log" 2>/dev/null && return 0
		kill -0 "$front_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "# the HTTP front did not start:"
	sed 's/^/#   /' "$log"
	return 1
}

# ews_add_user USERS_FILE USER PASSWORD SMTP: a user of the front's pooled mode
ews_add_user() {
	printf '%s\n' "$3" | $PY test/http/ews_http_front.py --users "$1" --add-user "$2" "$4"
}

# ews_stop PID...: stop processes this test started, and wait for them
ews_stop() {
	local p
	for p in "$@"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null
	done
	for p in "$@"; do
		[ -n "$p" ] && wait "$p" 2>/dev/null
	done
	return 0
}

# ews_rm_tmp DIR NAME: remove a test's temporary directory (front and DavMail
# logs, the trace); with EWS_KEEP_TRACE=DIR set, keep a copy as DIR/NAME first
ews_rm_tmp() {
	if [ -n "${EWS_KEEP_TRACE:-}" ]; then
		mkdir -p "$EWS_KEEP_TRACE"
		rm -rf "${EWS_KEEP_TRACE:?}/$2"
		cp -r "$1" "$EWS_KEEP_TRACE/$2"
	fi
	rm -rf "$1"
}
