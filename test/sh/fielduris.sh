#!/usr/bin/env bash
# src/fielduris.h is what test/tools/gen-fielduris makes of the project's
# types.xsd (test/ews-schema): the FieldURI check of src/props.c (a FieldURI
# outside the schema is a fault, one the store does not keep is left out)
# cannot drift from the schema the responses are validated against.
set -euo pipefail
cd "$(dirname "$0")/../.."
if diff -u src/fielduris.h <(/usr/bin/python3 test/tools/gen-fielduris) >/tmp/fielduris.$$.diff; then
	echo "ok 1 - src/fielduris.h is current ($(grep -c '^	"' src/fielduris.h) FieldURIs of types.xsd)"
	rm -f /tmp/fielduris.$$.diff
	echo "1 passed, 0 failed"
else
	echo "not ok 1 - src/fielduris.h differs from test/tools/gen-fielduris's output (regenerate it):"
	sed 's/^/#   /' /tmp/fielduris.$$.diff | head -40
	rm -f /tmp/fielduris.$$.diff
	echo "0 passed, 1 failed"
	exit 1
fi
