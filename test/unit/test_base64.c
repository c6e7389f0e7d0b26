/*
 * test_base64.c
 *	  The base64 encoders against the reference encoder: every encoder this
 *	  CPU runs (the pair table, SSSE3, AVX2, and the dispatching
 *	  ews_base64_encode) gives the reference's bytes for every length
 *	  0..4096, with the source at every alignment 0..63 and the destination
 *	  at every alignment 0..63 (each length pairs every source alignment
 *	  with a different destination alignment, so both run through all 64;
 *	  lengths 0..192, where the SIMD loops start and stop, try all 64 x 64
 *	  pairs).  Under valgrind (EWS_UNIT_QUICK set by the Makefile), which
 *	  runs this 50 times slower, the alignments are 0, 1, 7, 8, 15, 16, 31,
 *	  32 and 63 instead of all 64; the ASan run does the whole sweep.  Buffers are allocated to the exact byte, so ASan and valgrind
 *	  see any read past the source or write past the output; the bytes
 *	  before the output are checked untouched.  Then decoding: round trips
 *	  at every length, strict and with XML white space, and the refusals.
 */
#include "base64.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>

#define MAX_LEN 4096
#define NALIGN 64
#define FULL_MATRIX_LEN 192

static uint64_t rng_state = 0x13198A2E03707344ull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint8_t data[MAX_LEN];

/* the alignments tried: all 64, or under valgrind these */
static const size_t quick_aligns[] = {0, 1, 7, 8, 15, 16, 31, 32, 63};
static size_t aligns[NALIGN];
static size_t naligns;
static char ref[MAX_LEN / 3 * 4 + 8];

/* Run one encoder (impl, or the dispatching one) */
static bool
run(EwsBase64Impl impl, bool dispatch, const uint8_t *src, size_t len, char *dst)
{
	if (dispatch)
		return ews_base64_encode(src, len, dst) == ews_base64_encoded_len(len);
	return ews_base64_encode_with(impl, src, len, dst);
}

/*
 * One encode with the source and the output each in an allocation of
 * exactly their size past the alignment, checked against ref; false on a
 * difference.
 */
static bool
try_exact(EwsBase64Impl impl, bool dispatch, size_t len, size_t sa, size_t da)
{
	size_t		enc = ews_base64_encoded_len(len);
	void	   *sbuf = NULL;
	void	   *dbuf = NULL;
	uint8_t    *src;
	char	   *dst;
	bool		ok;

	if (posix_memalign(&sbuf, NALIGN, sa + len + (sa + len == 0)) != 0 ||
		posix_memalign(&dbuf, NALIGN, da + enc + (da + enc == 0)) != 0)
		abort();
	src = (uint8_t *) sbuf + sa;
	dst = (char *) dbuf + da;
	if (len > 0)
		memcpy(src, data, len);
	memset(dbuf, 0xA5, da + enc);
	ok = run(impl, dispatch, src, len, dst);
	if (enc > 0 && memcmp(dst, ref, enc) != 0)
		ok = false;
	for (size_t i = 0; i < da; i++)
		if (((uint8_t *) dbuf)[i] != 0xA5)
			ok = false;
	free(sbuf);
	free(dbuf);
	return ok;
}

/* The same in shared buffers (for the full alignment matrix), guard bytes after the output */
static bool
try_shared(EwsBase64Impl impl, bool dispatch, size_t len, size_t sa, size_t da)
{
	static uint8_t sbuf[NALIGN + FULL_MATRIX_LEN] __attribute__((aligned(NALIGN)));
	static char dbuf[NALIGN + FULL_MATRIX_LEN / 3 * 4 + 4 + 16] __attribute__((aligned(NALIGN)));
	size_t		enc = ews_base64_encoded_len(len);
	bool		ok;

	if (len > 0)
		memcpy(sbuf + sa, data, len);
	memset(dbuf, 0xA5, sizeof(dbuf));
	ok = run(impl, dispatch, sbuf + sa, len, dbuf + da);
	if (enc > 0 && memcmp(dbuf + da, ref, enc) != 0)
		ok = false;
	for (size_t i = 0; i < sizeof(dbuf); i++)
		if ((i < da || i >= da + enc) && (uint8_t) dbuf[i] != 0xA5)
			ok = false;
	return ok;
}

static void
test_encoders(void)
{
	for (int impl = EWS_B64_PAIRS; impl <= EWS_B64_NIMPL; impl++)
	{
		/*
		 * impl == EWS_B64_NIMPL stands for the dispatching ews_base64_encode,
		 * which runs one of the others: tried at every length, at alignments
		 * 0 and 1 only.
		 */
		bool		dispatch = impl == EWS_B64_NIMPL;
		size_t		nalign = dispatch ? 2 : naligns;
		const char *name = dispatch ? "ews_base64_encode" : ews_base64_impl_name((EwsBase64Impl) impl);
		bool		ok = true;
		size_t		first_bad = (size_t) -1;

		if (!dispatch && !ews_base64_impl_available((EwsBase64Impl) impl))
		{
			CHECK(!ews_base64_encode_with((EwsBase64Impl) impl, data, 3, ref),
				  "%s: not on this CPU, refused", name);
			continue;
		}
		for (size_t len = 0; len <= MAX_LEN; len++)
		{
			ews_base64_encode_with(EWS_B64_REFERENCE, data, len, ref);
			for (size_t k = 0; k < nalign; k++)
			{
				if (!try_exact((EwsBase64Impl) impl, dispatch, len, aligns[k],
							   aligns[(k * 5 + len) % nalign]))
					ok = false;
				for (size_t d = 0; len <= FULL_MATRIX_LEN && d < nalign; d++)
					if (!try_shared((EwsBase64Impl) impl, dispatch, len, aligns[k], aligns[d]))
						ok = false;
			}
			if (!ok && first_bad == (size_t) -1)
				first_bad = len;
		}
		if (!ok)
			printf("# %s: first difference at length %zu\n", name, first_bad);
		CHECK(ok, "%s equals the reference: lengths 0..%d, %zu source and destination alignments up to %zu",
			  name, MAX_LEN, nalign, aligns[nalign - 1]);
	}
	printf("# best encoder on this CPU: %s\n", ews_base64_impl_name(ews_base64_impl_best()));
	CHECK(ews_base64_impl_available(EWS_B64_REFERENCE) && ews_base64_impl_available(EWS_B64_PAIRS),
		  "the scalar encoders are always there");
	CHECK(ews_base64_impl_available(ews_base64_impl_best()), "the best encoder is available");
}

static void
test_known(void)
{
	/* RFC 4648 section 10 */
	static const char *const vec[][2] = {
		{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
		{"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}
	};
	char		out[16];
	uint8_t		back[16];

	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++)
	{
		size_t		n = strlen(vec[i][0]);
		size_t		e = ews_base64_encode((const uint8_t *) vec[i][0], n, out);

		CHECK(e == strlen(vec[i][1]) && memcmp(out, vec[i][1], e) == 0, "RFC 4648 vector \"%s\"", vec[i][0]);
		CHECK_EQ_INT(ews_base64_decode(vec[i][1], e, back, false), n, "decode \"%s\"", vec[i][1]);
	}
	/* all 64 characters, in order, from the SIMD path (48 bytes) */
	{
		uint8_t		in[48];
		char		o[64];
		static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

		for (int v = 0; v < 64; v += 4)
		{
			uint32_t	w = (uint32_t) v << 18 | (uint32_t) (v + 1) << 12 | (uint32_t) (v + 2) << 6 | (uint32_t) (v + 3);

			in[v / 4 * 3] = (uint8_t) (w >> 16);
			in[v / 4 * 3 + 1] = (uint8_t) (w >> 8);
			in[v / 4 * 3 + 2] = (uint8_t) w;
		}
		ews_base64_encode(in, 48, o);
		CHECK_MEM(o, alpha, 64, "every alphabet character from the best encoder");
	}
}

static void
test_decode(void)
{
	static uint8_t back[MAX_LEN + 8];
	static char spaced[MAX_LEN * 2];
	bool		strict_ok = true;
	bool		spaced_ok = true;

	for (size_t len = 0; len <= MAX_LEN; len++)
	{
		size_t		e = ews_base64_encode(data, len, ref);
		size_t		s = 0;

		if (ews_base64_decode(ref, e, back, false) != (long long) len ||
			(len > 0 && memcmp(back, data, len) != 0))
			strict_ok = false;
		/* wrapped at 76 with CRLF and a leading and trailing blank, as XML may carry it */
		spaced[s++] = ' ';
		for (size_t i = 0; i < e; i++)
		{
			if (i > 0 && i % 76 == 0)
			{
				spaced[s++] = '\r';
				spaced[s++] = '\n';
			}
			spaced[s++] = ref[i];
		}
		spaced[s++] = '\t';
		if (ews_base64_decode(spaced, s, back, true) != (long long) len ||
			(len > 0 && memcmp(back, data, len) != 0))
			spaced_ok = false;
		if (len > 0 && ews_base64_decode(spaced, s, back, false) != -1)
			strict_ok = false;
	}
	CHECK(strict_ok, "strict decoding round trips every length 0..%d, and refuses white space", MAX_LEN);
	CHECK(spaced_ok, "lenient decoding round trips every length with XML white space");

	CHECK_EQ_INT(ews_base64_decode("Zh==", 4, back, false), -1, "non-zero padding bits refused");
	CHECK_EQ_INT(ews_base64_decode("Zm9=", 4, back, false), -1, "non-zero padding bits refused (one pad)");
	CHECK_EQ_INT(ews_base64_decode("Zg==Zg==", 8, back, false), -1, "data after padding refused");
	CHECK_EQ_INT(ews_base64_decode("Zg=", 3, back, false), -1, "short padding refused");
	CHECK_EQ_INT(ews_base64_decode("Zm9", 3, back, false), -1, "unpadded quantum refused");
	CHECK_EQ_INT(ews_base64_decode("Z===", 4, back, false), -1, "three pads refused");
	CHECK_EQ_INT(ews_base64_decode("Zm-v", 4, back, false), -1, "URL-safe alphabet refused");
	CHECK_EQ_INT(ews_base64_decode("Zm9v\0", 5, back, true), -1, "NUL refused");
}

int
main(void)
{
	for (size_t i = 0; i < MAX_LEN; i++)
		data[i] = (uint8_t) rng();
	if (getenv("EWS_UNIT_QUICK") != NULL)
	{
		naligns = sizeof(quick_aligns) / sizeof(quick_aligns[0]);
		memcpy(aligns, quick_aligns, sizeof(quick_aligns));
	}
	else
	{
		naligns = NALIGN;
		for (size_t i = 0; i < NALIGN; i++)
			aligns[i] = i;
	}
	test_known();
	test_encoders();
	test_decode();
	return unit_done();
}
