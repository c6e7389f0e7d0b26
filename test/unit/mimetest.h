/*
 * mimetest.h
 *	  Shared by the MIME codec's unit tests: an allocator that records every
 *	  block (freed all at once, so ASan and valgrind prove the codec mallocs
 *	  nothing of its own) and counts calls and bytes, so tests can assert
 *	  bounded memory by counting instead of timing.
 */
#ifndef EWS_MIMETEST_H
#define EWS_MIMETEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

static void **mt_ptrs;
static size_t mt_nptrs;
static size_t mt_capptrs;
static size_t mt_calls;			/* allocations since mt_reset_counts */
static size_t mt_bytes;			/* bytes asked for since mt_reset_counts */

static inline void *
talloc(void *ctx, size_t size)
{
	void	   *p;

	(void) ctx;
	p = malloc(size ? size : 1);
	if (p == NULL)
		abort();
	if (mt_nptrs == mt_capptrs)
	{
		mt_capptrs = mt_capptrs ? mt_capptrs * 2 : 256;
		mt_ptrs = realloc(mt_ptrs, mt_capptrs * sizeof *mt_ptrs);
		if (mt_ptrs == NULL)
			abort();
	}
	mt_ptrs[mt_nptrs++] = p;
	mt_calls++;
	mt_bytes += size;
	return p;
}

static inline void
tfree_all(void)
{
	size_t		i;

	for (i = 0; i < mt_nptrs; i++)
		free(mt_ptrs[i]);
	free(mt_ptrs);
	mt_ptrs = NULL;
	mt_nptrs = mt_capptrs = 0;
}

static inline void
mt_reset_counts(void)
{
	mt_calls = 0;
	mt_bytes = 0;
}

/* A string result is clean header text: valid UTF-8, no control but TAB (body: also CR, LF). */
static inline int
mt_clean(const char *s, int body)
{
	size_t		i,
				n;

	if (s == NULL)
		return 1;
	n = strlen(s);
	if (!ews_utf8_valid((const uint8_t *) s, n))
		return 0;
	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c < 0x20 && c != '\t' && !(body && (c == '\r' || c == '\n')))
			return 0;
		if (c == 0x7F)
			return 0;
		/* C1 controls U+0080..U+009F are C2 80..C2 9F; U+FFFE/FFFF are EF BF BE/BF */
		if (c == 0xC2 && i + 1 < n && (unsigned char) s[i + 1] < 0xA0)
			return 0;
		if (c == 0xEF && i + 2 < n && (unsigned char) s[i + 1] == 0xBF &&
			(unsigned char) s[i + 2] >= 0xBE)
			return 0;
	}
	return 1;
}

static inline int
mt_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

#endif
