/*
 * utf8.h
 *	  The one UTF-8 validator of ews: the item blob (strings, named-property
 *	  names) and the MIME parser both call it.
 *
 * What it accepts is exactly RFC 3629 UTF-8 without U+0000.  It refuses:
 *	 - NUL bytes (U+0000): every string ends up in PostgreSQL text, which
 *	   cannot hold NUL, or in XML 1.0, which cannot carry it;
 *	 - overlong forms (C0, C1 leads; E0 80..9F; F0 80..8F);
 *	 - UTF-16 surrogates U+D800..U+DFFF (ED A0..BF), alone or in pairs
 *	   (CESU-8);
 *	 - code points above U+10FFFF (F4 90..BF; leads F5..FF);
 *	 - continuation bytes without a lead, and a sequence cut short by the
 *	   end of the input or by a byte that is not a continuation byte.
 *
 * These are PostgreSQL's rules for UTF8 text, and the work is done by
 * PostgreSQL's exported verifier (pg_encoding_verifymbstr in libpgcommon;
 * the server exports it to extensions), so what the store accepts is what
 * the database accepts.  Pure C: no postgres.h; the unit tests and fuzzers
 * link libpgcommon.
 */
#ifndef EWS_UTF8_H
#define EWS_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when s[0..len) is valid UTF-8 by the rules above (len 0 is valid). */
bool		ews_utf8_valid(const uint8_t *s, size_t len);

/*
 * The length of the longest valid prefix of s[0..len): len when all of it
 * is valid, else the offset of the first byte of the first bad (or cut
 * short) sequence, which is what error messages report.
 */
size_t		ews_utf8_valid_prefix(const uint8_t *s, size_t len);

#endif							/* EWS_UTF8_H */
