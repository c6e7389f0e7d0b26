/*
 * bench/codecs.c: the pure-C codecs against their alternatives, in one run
 * (bench/codecs.sh builds and runs it).
 *
 *	 UTF-8: ews_utf8_valid (PostgreSQL's pg_encoding_verifymbstr) against the
 *	   hand-written validator of 0.1 (kept below as the baseline), on 16 MiB
 *	   of ASCII, of European text and of CJK text;
 *	 base64: every encoder of src/base64.c and PostgreSQL's pg_b64_encode
 *	   (common/base64.h) on 8 MiB, as a ratio to the one ExportItems uses;
 *	 CRC-32C: PostgreSQL's (as the blob uses it: hardware where the CPU has
 *	   it) and its slicing-by-8 software path, on 8 MiB.
 *
 * Each figure is the median of BENCH_RUNS runs (default 21); the candidates
 * of one comparison run alternately, so they see the same machine load.
 */
#include "c.h"

#include "common/base64.h"
#include "port/pg_crc32c.h"

#include "base64.h"
#include "utf8.h"

#include <stdlib.h>
#include <time.h>

/* ---- the 0.1 validator (src/blob.c of 0.1), the baseline ---- */
static bool
utf8_v01(const uint8_t *s, size_t n)
{
	size_t		i = 0;

	while (i < n)
	{
		uint8_t		c;
		size_t		need;
		uint8_t		lo = 0x80,
					hi = 0xBF;

		while (n - i >= 8)
		{
			uint64_t	w;

			memcpy(&w, s + i, 8);
			if ((w & 0x8080808080808080ull) != 0 ||
				((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull) != 0)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		c = s[i];
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
			else if (c == 0xED)
				hi = 0x9F;
		}
		else if (c >= 0xF0 && c <= 0xF4)
		{
			need = 3;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F;
		}
		else
			return false;
		if (n - i - 1 < need || s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k <= need; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
		i += need + 1;
	}
	return true;
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

static int	runs = 21;
static volatile uint64_t sink;

#define MAXC 8

typedef void (*bench_fn) (int which, const uint8_t *in, size_t n, void *out);

/* median seconds of each of nc candidates, run alternately */
static void
measure(bench_fn fn, int nc, const uint8_t *in, size_t n, void *out, double *med)
{
	double	   *t[MAXC];

	for (int c = 0; c < nc; c++)
		t[c] = malloc(sizeof(double) * runs);
	for (int c = 0; c < nc; c++)
		fn(c, in, n, out);		/* warm-up */
	for (int r = 0; r < runs; r++)
		for (int c = 0; c < nc; c++)
		{
			double		s = now();

			fn(c, in, n, out);
			t[c][r] = now() - s;
		}
	for (int c = 0; c < nc; c++)
	{
		qsort(t[c], runs, sizeof(double), cmp_double);
		med[c] = t[c][runs / 2];
		free(t[c]);
	}
}

static void
utf8_fn(int which, const uint8_t *in, size_t n, void *out)
{
	bool		ok = which == 0 ? utf8_v01(in, n) : ews_utf8_valid(in, n);

	(void) out;
	if (!ok)
		abort();
	sink += ok;
}

static EwsBase64Impl b64_impls[EWS_B64_NIMPL];
static int	nb64;

static void
b64_fn(int which, const uint8_t *in, size_t n, void *out)
{
	if (which < nb64)
		ews_base64_encode_with(b64_impls[which], in, n, out);
	else if (pg_b64_encode((const char *) in, (int) n, out, pg_b64_enc_len((int) n)) < 0)
		abort();
	sink += ((char *) out)[n / 2];
}

static void
crc_fn(int which, const uint8_t *in, size_t n, void *out)
{
	pg_crc32c	crc;

	(void) out;
	if (which == 0)
	{
		INIT_CRC32C(crc);
		COMP_CRC32C(crc, in, n);
		FIN_CRC32C(crc);
	}
	else if (which == 1)
		crc = pg_comp_crc32c_sb8(0xFFFFFFFF, in, n) ^ 0xFFFFFFFF;
	else
	{
		memcpy(out, in, n);
		crc = ((uint8_t *) out)[n - 1];
	}
	sink += crc;
}

static void
fill(uint8_t *buf, size_t n, const char *piece)
{
	size_t		l = strlen(piece),
				k = 0;

	while (k + l <= n)
	{
		memcpy(buf + k, piece, l);
		k += l;
	}
	memset(buf + k, 'x', n - k);
}

int
main(void)
{
	size_t		n = 16u << 20;
	uint8_t    *in = malloc(n);
	char	   *out = malloc(n * 2 + 16);
	double		med[MAXC];
	static const struct
	{
		const char *name;
		const char *piece;
	}			texts[] = {
		{"ASCII", "The quick brown fox jumps over the lazy dog. 0123456789\r\n"},
		{"European", "Gr\xC3\xBC\xC3\x9F" "e aus K\xC3\xB6ln, \xC3\xA7" "a va tr\xC3\xA8s bien, \xC5\xBC\xC3\xB3\xC5\x82" "w. "},
		{"CJK", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE6\x96\x87\xE7\xAB\xA0\xE3\x80\x82"},
	};

	if (getenv("BENCH_RUNS"))
		runs = atoi(getenv("BENCH_RUNS"));
	if (runs < 1)
		runs = 1;
	printf("%d runs each, medians; the candidates of a row alternate\n\n", runs);

	printf("| UTF-8 validation, 16 MiB | 0.1 validator GB/s | ews_utf8_valid (PostgreSQL's) GB/s | time ratio PostgreSQL / 0.1 |\n");
	printf("|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
	{
		fill(in, n, texts[i].piece);
		measure(utf8_fn, 2, in, n, NULL, med);
		printf("| %s | %.2f | %.2f | %.2f |\n", texts[i].name, n / med[0] / 1e9, n / med[1] / 1e9, med[1] / med[0]);
	}

	n = 8u << 20;
	for (size_t i = 0; i < n; i++)
		in[i] = (uint8_t) (i * 2654435761u >> 13);
	for (int k = EWS_B64_NIMPL - 1; k >= 0; k--)
		if (ews_base64_impl_available((EwsBase64Impl) k))
			b64_impls[nb64++] = (EwsBase64Impl) k;
	measure(b64_fn, nb64 + 1, in, n, out, med);
	printf("\n| base64 encoding, 8 MiB | GB/s (input) | time / %s (ExportItems' encoder) |\n",
		   ews_base64_impl_name(ews_base64_impl_best()));
	printf("|---|---|---|\n");
	for (int c = 0; c <= nb64; c++)
		printf("| %s | %.2f | %.2f |\n", c < nb64 ? ews_base64_impl_name(b64_impls[c]) : "PostgreSQL pg_b64_encode",
			   n / med[c] / 1e9, med[c] / med[0]);

	measure(crc_fn, 3, in, n, out, med);
	printf("\n| CRC-32C, 8 MiB | GB/s | time / memcpy |\n|---|---|---|\n");
	printf("| PostgreSQL's, as the blob uses it | %.2f | %.2f |\n", n / med[0] / 1e9, med[0] / med[2]);
	printf("| PostgreSQL's slicing-by-8 (no hardware) | %.2f | %.2f |\n", n / med[1] / 1e9, med[1] / med[2]);
	printf("| memcpy of the same bytes | %.2f | 1.00 |\n", n / med[2] / 1e9);
	free(in);
	free(out);
	return 0;
}
