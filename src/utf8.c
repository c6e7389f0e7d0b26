/*
 * utf8.c
 *	  The UTF-8 validator, through PostgreSQL's own (pg_encoding_verifymbstr).
 *
 * PostgreSQL's verifier has the rules utf8.h lists (it refuses NUL,
 * surrogates, overlongs and anything above U+10FFFF), it is what decides
 * whether the server takes a text value, and since PostgreSQL 15 it checks
 * ASCII eight bytes at a time and the rest with a shift-based DFA: measured
 * against the hand-written validator of 0.1 in bench/codecs.sh, it takes
 * 0.6-0.8x the time on ASCII, 0.5-0.7x on European text and at most as
 * long on CJK.  So there is no validator of our own (STYLE.md, practice
 * 13).
 *
 * c.h is PostgreSQL's portable base, the one frontend programs use too: it
 * is what mb/pg_wchar.h needs, and it brings no backend code (no palloc, no
 * ereport).  The functions come from libpgcommon outside the server.
 */
#include "c.h"

#include "mb/pg_wchar.h"

#include "utf8.h"

/*
 * pg_encoding_verifymbstr takes an int length: longer input goes in chunks
 * of 1 GiB.  A chunk may end inside a multi-byte sequence; the verifier
 * then stops at its lead byte, and the next chunk starts there.  Every
 * chunk either gets past at least one character or fails, so this ends.
 */
#ifndef EWS_UTF8_CHUNK			/* test_utf8.c tries 4..9 bytes */
#define EWS_UTF8_CHUNK ((size_t) 1 << 30)
/* a chunk holds any whole character, so every chunk makes progress */
StaticAssertDecl(EWS_UTF8_CHUNK >= MAX_MULTIBYTE_CHAR_LEN, "chunk too small");
#endif

size_t
ews_utf8_valid_prefix(const uint8_t *s, size_t len)
{
	size_t		done = 0;

	while (done < len)
	{
		size_t		n = len - done < EWS_UTF8_CHUNK ? len - done : EWS_UTF8_CHUNK;
		size_t		ok = (size_t) pg_encoding_verifymbstr(PG_UTF8, (const char *) s + done, (int) n);

		if (ok == n)
		{
			done += n;
			continue;
		}
		/* cut by the chunk's end, with more input behind it: go on from there */
		if (done + n < len && n - ok < MAX_MULTIBYTE_CHAR_LEN && ok > 0)
		{
			done += ok;
			continue;
		}
		return done + ok;
	}
	return len;
}

bool
ews_utf8_valid(const uint8_t *s, size_t len)
{
	return ews_utf8_valid_prefix(s, len) == len;
}
