/*
 * test_crc32c.c
 *	  The CRC-32C that closes every blob is PostgreSQL's (port/pg_crc32c.h,
 *	  from libpgport): published check values through the macros the codec
 *	  uses, PostgreSQL's hardware and software paths agreeing with each
 *	  other on many lengths and alignments, incremental use, and the blob
 *	  codec's use of it (ews_blob_checksum, and the last four bytes of an
 *	  encoded blob).
 */
#include "c.h"

#include "port/pg_crc32c.h"

#include "blob.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>

/* Deterministic xorshift so failures reproduce */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* The CRC the way the codec computes it: PostgreSQL's macros */
static uint32_t
pg_crc(const void *p, size_t len)
{
	pg_crc32c	crc;

	INIT_CRC32C(crc);
	COMP_CRC32C(crc, p, len);
	FIN_CRC32C(crc);
	return crc;
}

#ifdef USE_SSE42_CRC32C_WITH_RUNTIME_CHECK
#include <cpuid.h>

static bool
have_sse42(void)
{
	unsigned int a,
				b,
				c,
				d;

	return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_2) != 0;
}
#endif

int
main(void)
{
	static unsigned char buf[4096 + 16];
	unsigned char zeros[32];
	unsigned char ones[32];
	unsigned char incr[32];
	int			i;
	bool		agree = true;
	bool		incremental_ok = true;
	bool		blob_ok = true;

	/* Check values: "123456789" and the iSCSI vectors of RFC 3720 B.4 */
	CHECK_EQ_INT(pg_crc("123456789", 9), 0xE3069283u, "check value of \"123456789\"");
	CHECK_EQ_INT(pg_crc("", 0), 0, "empty input gives 0");
	memset(zeros, 0, sizeof(zeros));
	memset(ones, 0xFF, sizeof(ones));
	for (i = 0; i < 32; i++)
		incr[i] = (unsigned char) i;
	CHECK_EQ_INT(pg_crc(zeros, 32), 0x8A9136AAu, "RFC 3720: 32 bytes of zeros");
	CHECK_EQ_INT(pg_crc(ones, 32), 0x62A8AB43u, "RFC 3720: 32 bytes of 0xFF");
	CHECK_EQ_INT(pg_crc(incr, 32), 0x46DD794Eu, "RFC 3720: 32 incrementing bytes");
	CHECK_EQ_INT(pg_crc("a", 1), 0xC1D04330u, "single byte \"a\"");

	/* The blob codec's CRC is this one */
	CHECK_EQ_INT(ews_blob_checksum((const uint8_t *) "123456789", 9), 0xE3069283u,
				 "ews_blob_checksum check value");
	CHECK_EQ_INT(ews_blob_checksum(NULL, 0), 0, "ews_blob_checksum of nothing is 0");
	CHECK_EQ_INT(ews_blob_checksum(incr, 32), 0x46DD794Eu, "ews_blob_checksum RFC 3720 vector");

	/* PostgreSQL's software path, always linked, and its hardware path where the CPU has it */
	CHECK_EQ_INT(pg_comp_crc32c_sb8(0xFFFFFFFF, "123456789", 9) ^ 0xFFFFFFFF, 0xE3069283u,
				 "PostgreSQL's slicing-by-8 check value");
#ifdef USE_SSE42_CRC32C_WITH_RUNTIME_CHECK
	printf("# SSE 4.2 crc32 instruction: %s\n", have_sse42() ? "yes" : "no");
	if (have_sse42())
		CHECK_EQ_INT(pg_comp_crc32c_sse42(0xFFFFFFFF, "123456789", 9) ^ 0xFFFFFFFF, 0xE3069283u,
					 "PostgreSQL's SSE 4.2 check value");
	else
		CHECK(1, "PostgreSQL's SSE 4.2 check value (skipped: no SSE 4.2)");
#else
	CHECK(1, "PostgreSQL's hardware check value (not an x86 runtime-check build)");
#endif

	for (i = 0; i < (int) sizeof(buf); i++)
		buf[i] = (unsigned char) rng();

	/* Every alignment 0..15 with lengths 0..300, then a spread up to 4096 */
	for (int align = 0; align < 16; align++)
	{
		for (size_t len = 0; len <= 4096; len += (len < 300 ? 1 : 1 + rng() % 97))
		{
			const unsigned char *p = buf + align;
			uint32_t	sw = pg_comp_crc32c_sb8(0xFFFFFFFF, p, len) ^ 0xFFFFFFFF;
			size_t		cut = len ? rng() % (len + 1) : 0;
			pg_crc32c	inc;

#ifdef USE_SSE42_CRC32C_WITH_RUNTIME_CHECK
			if (have_sse42() && (pg_comp_crc32c_sse42(0xFFFFFFFF, p, len) ^ 0xFFFFFFFF) != sw)
			{
				printf("# sse42/sb8 differ at align %d len %zu\n", align, len);
				agree = false;
			}
#endif
			if (pg_crc(p, len) != sw || ews_blob_checksum(p, len) != sw)
				agree = false;
			/* the macros carry the register across pieces */
			INIT_CRC32C(inc);
			COMP_CRC32C(inc, p, cut);
			COMP_CRC32C(inc, p + cut, len - cut);
			FIN_CRC32C(inc);
			if (inc != sw)
			{
				printf("# incremental differs at align %d len %zu cut %zu\n", align, len, cut);
				incremental_ok = false;
			}
		}
	}
	CHECK(agree, "hardware, dispatching and software paths agree on all lengths/alignments");
	CHECK(incremental_ok, "incremental CRC over two pieces equals one-shot CRC");

	/* A single flipped bit always changes a CRC */
	{
		uint32_t	before = pg_crc(buf, 1000);

		buf[500] ^= 0x10;
		CHECK(pg_crc(buf, 1000) != before, "a flipped bit changes the CRC");
		buf[500] ^= 0x10;
	}

	/* Every encoded blob ends with the CRC-32C of the bytes before it */
	for (size_t sl = 0; sl < 200; sl += 7)
	{
		char		subj[200];
		EwsBlobProp p[2];
		uint8_t		out[512];
		size_t		size;

		memset(subj, 'a' + (int) (sl % 26), sl);
		p[0] = (EwsBlobProp) {EWS_TAG_MESSAGE_CLASS, 8, (const uint8_t *) "IPM.Note"};
		p[1] = (EwsBlobProp) {EWS_TAG_SUBJECT, (uint32_t) sl, (const uint8_t *) subj};
		size = ews_blob_encoded_size(p, 2);
		if (size == 0 || ews_blob_encode(p, 2, out, sizeof(out)) != EWS_BLOB_OK ||
			ews_le32(out + size - 4) != pg_crc(out, size - 4))
			blob_ok = false;
	}
	CHECK(blob_ok, "encoded blobs end with PostgreSQL's CRC-32C of the rest");

	return unit_done();
}
