/*
 * fuzz_mime.c
 *	  libFuzzer harness for the RFC 5322 header parser (src/mime.c).
 *
 * Parses the input, then checks the promises mime.h makes: strings are valid
 * UTF-8 with no control character but TAB, header_len stays within the
 * input, and a failed parse leaves the result empty.  Allocations are recorded
 * and freed after each run, so LeakSanitizer sees any malloc of the parser's
 * own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

static void **ptrs;
static size_t nptrs;
static size_t capptrs;

static void *
falloc(void *ctx, size_t size)
{
	void	   *p;

	(void) ctx;
	p = malloc(size ? size : 1);
	if (p == NULL)
		abort();
	if (nptrs == capptrs)
	{
		capptrs = capptrs ? capptrs * 2 : 64;
		ptrs = realloc(ptrs, capptrs * sizeof *ptrs);
		if (ptrs == NULL)
			abort();
	}
	ptrs[nptrs++] = p;
	return p;
}

static void
check_clean(const char *s)
{
	size_t		i,
				n;

	if (s == NULL)
		return;
	n = strlen(s);
	if (!ews_utf8_valid((const uint8_t *) s, n))
		abort();
	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7F ||
			(c == 0xC2 && i + 1 < n && (unsigned char) s[i + 1] < 0xA0))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	EwsMimeInfo info;
	EwsMimeStatus st = ews_mime_parse(data, size, &info, falloc, NULL);
	size_t		i;

	if (ews_mime_status_text(st) == NULL)
		abort();
	if (st == EWS_MIME_OK)
	{
		check_clean(info.subject);
		check_clean(info.message_id);
		if (info.header_len == 0 || info.header_len > size ||
			info.header_len > EWS_MIME_MAX_HEADER)
			abort();
		/* every FILETIME lies in years 1900..9999 (allowing the zone offset) */
		if (info.has_date && (info.date < INT64_C(94350000000000000) ||
							  info.date > INT64_C(2650500000000000000)))
			abort();
		if (info.has_received && (info.received < INT64_C(94350000000000000) ||
								  info.received > INT64_C(2650500000000000000)))
			abort();
	}
	else if (info.subject != NULL || info.message_id != NULL ||
			 info.has_date || info.has_received || info.header_len != 0)
		abort();
	(void) ews_utf8_valid(data, size);

	for (i = 0; i < nptrs; i++)
		free(ptrs[i]);
	nptrs = 0;
	return 0;
}
