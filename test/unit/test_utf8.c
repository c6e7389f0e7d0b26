/*
 * test_utf8.c
 *	  The one UTF-8 validator (src/utf8.c over PostgreSQL's verifier): every
 *	  rule utf8.h lists, at the offset of the first bad sequence, an
 *	  exhaustive pass over all 1- and 2-byte inputs and all 3-byte lead/
 *	  second-byte pairs against a plain RFC 3629 reference written here, and
 *	  the chunked walk (input longer than one verifier call) tried with tiny
 *	  chunks so every way a chunk can cut a character is seen.
 */
#include "utf8.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>

/*
 * The same file again, with 4..9-byte chunks instead of 1 GiB, under other
 * names: the chunk logic is only reachable with gigabytes otherwise.
 */
#define ews_utf8_valid_prefix small_chunk_prefix
#define ews_utf8_valid small_chunk_valid
#define EWS_UTF8_CHUNK ((size_t) chunk_size)
static size_t chunk_size = 4;

#include "../../src/utf8.c"

#undef ews_utf8_valid_prefix
#undef ews_utf8_valid

/*
 * Reference: RFC 3629's table of well-formed sequences, minus U+0000.
 * Returns the length of the valid prefix.
 */
static size_t
ref_prefix(const uint8_t *s, size_t n)
{
	size_t		i = 0;

	while (i < n)
	{
		uint8_t		c = s[i];
		size_t		need;
		uint8_t		lo = 0x80,
					hi = 0xBF;

		if (c >= 0x01 && c <= 0x7F)
		{
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			need = 1;
		else if (c >= 0xE0 && c <= 0xEF)
		{
			need = 2;
			if (c == 0xE0)
				lo = 0xA0;
			if (c == 0xED)
				hi = 0x9F;
		}
		else if (c >= 0xF0 && c <= 0xF4)
		{
			need = 3;
			if (c == 0xF0)
				lo = 0x90;
			if (c == 0xF4)
				hi = 0x8F;
		}
		else
			return i;
		if (n - i - 1 < need || s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (size_t k = 2; k <= need; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return i;
		i += need + 1;
	}
	return n;
}

static void
check(const char *what, const char *s, size_t len, size_t want)
{
	size_t		got = ews_utf8_valid_prefix((const uint8_t *) s, len);

	CHECK_EQ_INT(got, want, "%s: valid prefix", what);
	CHECK(ews_utf8_valid((const uint8_t *) s, len) == (want == len), "%s: valid()", what);
}

static uint64_t rng_state = 0x243F6A8885A308D3ull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

int
main(void)
{
	check("empty", "", 0, 0);
	check("ASCII", "plain text", 10, 10);
	check("U+0080, U+07FF", "\xC2\x80\xDF\xBF", 4, 4);
	check("U+0800, U+D7FF, U+E000, U+FFFF", "\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF", 12, 12);
	check("U+10000, U+10FFFF", "\xF0\x90\x80\x80\xF4\x8F\xBF\xBF", 8, 8);
	check("NUL", "ab\0cd", 5, 2);
	check("NUL after 8 ASCII bytes", "abcdefgh\0", 9, 8);
	check("overlong C0 AF", "x\xC0\xAF", 3, 1);
	check("overlong C1 BF", "\xC1\xBF", 2, 0);
	check("overlong E0 9F BF", "\xE0\x9F\xBF", 3, 0);
	check("overlong F0 8F BF BF", "ab\xF0\x8F\xBF\xBF", 6, 2);
	check("surrogate ED A0 80", "\xED\xA0\x80", 3, 0);
	check("surrogate ED BF BF", "a\xED\xBF\xBF", 4, 1);
	check("CESU-8 pair", "\xED\xA0\xBD\xED\xB8\x80", 6, 0);
	check("above U+10FFFF (F4 90)", "\xF4\x90\x80\x80", 4, 0);
	check("lead F5", "\xF5\x80\x80\x80", 4, 0);
	check("lead FF", "ok\xFF", 3, 2);
	check("stray continuation", "a\x80" "b", 3, 1);
	check("cut 2-byte at end", "abc\xC3", 4, 3);
	check("cut 4-byte at end", "\xF0\x9F\x98", 3, 0);
	check("3-byte broken by ASCII", "\xE2\x82" "A", 3, 0);
	check("bad after 16 ASCII", "abcdefghijklmnop\x80", 17, 16);

	/* Every 1- and 2-byte input, and every 3-byte lead/second pair with two third bytes */
	{
		bool		ok = true;
		uint8_t		s[3];

		for (int a = 0; a < 256; a++)
		{
			s[0] = (uint8_t) a;
			if (ews_utf8_valid_prefix(s, 1) != ref_prefix(s, 1))
				ok = false;
			for (int b = 0; b < 256; b++)
			{
				s[1] = (uint8_t) b;
				if (ews_utf8_valid_prefix(s, 2) != ref_prefix(s, 2))
					ok = false;
				s[2] = 0x80;
				if (ews_utf8_valid_prefix(s, 3) != ref_prefix(s, 3))
					ok = false;
				s[2] = 0x41;
				if (ews_utf8_valid_prefix(s, 3) != ref_prefix(s, 3))
					ok = false;
			}
		}
		CHECK(ok, "all 1- and 2-byte inputs and 3-byte lead/second pairs agree with RFC 3629");
	}

	/* Random strings of real characters with a fault sometimes: prefix agrees with the reference */
	{
		static const char *pieces[] = {
			"a", "Z", " ", "\xC3\xA9", "\xDF\xBF", "\xE2\x82\xAC", "\xE6\x97\xA5", "\xED\x9F\xBF",
			"\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF"
		};
		static const char *faults[] = {
			"\0", "\x80", "\xC0\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xFF", "\xE2\x82", "\xC3"
		};
		bool		ok = true;
		bool		chunks_ok = true;
		uint8_t		s[256];

		for (int round = 0; round < 4000; round++)
		{
			size_t		n = 0;
			size_t		want;

			while (n < 200)
			{
				const char *p = pieces[rng() % 10];
				size_t		l = strlen(p);

				memcpy(s + n, p, l);
				n += l;
			}
			if (round % 2)
			{
				size_t		at = rng() % n;
				const char *f = faults[rng() % 8];
				size_t		l = f[0] ? strlen(f) : 1;

				if (at + l > sizeof(s))
					at = sizeof(s) - l;
				memcpy(s + at, f, l);
				if (at + l > n)
					n = at + l;
			}
			want = ref_prefix(s, n);
			if (ews_utf8_valid_prefix(s, n) != want)
				ok = false;
			for (chunk_size = 4; chunk_size <= 9; chunk_size++)
			{
				if (small_chunk_prefix(s, n) != want || small_chunk_valid(s, n) != (want == n))
				{
					printf("# chunk %zu round %d: got %zu want %zu\n", chunk_size, round,
						   small_chunk_prefix(s, n), want);
					chunks_ok = false;
				}
			}
		}
		CHECK(ok, "random text with faults: the offset is the reference's");
		CHECK(chunks_ok, "chunked walk (4..9-byte chunks) gives the same offsets");
	}

	/* Long input: 3 MiB of mostly ASCII with characters across every 8-byte position */
	{
		size_t		n = 3u << 20;
		uint8_t    *big = malloc(n);

		memset(big, 'x', n);
		for (size_t i = 1000; i + 4 < n; i += 4099)
			memcpy(big + i, "\xF0\x9F\x98\x80", 4);
		CHECK(ews_utf8_valid(big, n), "3 MiB of text is valid");
		big[n - 1] = 0xC3;
		CHECK_EQ_INT(ews_utf8_valid_prefix(big, n), n - 1, "a cut character at the very end");
		free(big);
	}
	return unit_done();
}
