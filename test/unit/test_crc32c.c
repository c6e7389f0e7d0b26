/*
 * test_crc32c.c
 *	  Unit tests for the CRC-32C: published check values, the incremental
 *	  form, and agreement of the SSE4.2 and slicing-by-8 paths on many
 *	  lengths and alignments (each path has its own head/tail handling, so
 *	  that is where they could differ).
 */
#include "crc32c.h"
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

int
main(void)
{
	static unsigned char buf[4096 + 16];
	unsigned char zeros[32];
	unsigned char ones[32];
	unsigned char incr[32];
	int			i;
	bool		agree;
	bool		incremental_ok;

	/* Check values: "123456789" and the iSCSI vectors of RFC 3720 B.4 */
	CHECK_EQ_INT(ews_crc32c("123456789", 9), 0xE3069283u, "check value of \"123456789\"");
	CHECK_EQ_INT(ews_crc32c_sw(0, "123456789", 9), 0xE3069283u, "software path check value");
	CHECK_EQ_INT(ews_crc32c("", 0), 0, "empty input gives 0");
	CHECK_EQ_INT(ews_crc32c(NULL, 0), 0, "NULL with length 0 is allowed");
	memset(zeros, 0, sizeof(zeros));
	memset(ones, 0xFF, sizeof(ones));
	for (i = 0; i < 32; i++)
		incr[i] = (unsigned char) i;
	CHECK_EQ_INT(ews_crc32c(zeros, 32), 0x8A9136AAu, "RFC 3720: 32 bytes of zeros");
	CHECK_EQ_INT(ews_crc32c(ones, 32), 0x62A8AB43u, "RFC 3720: 32 bytes of 0xFF");
	CHECK_EQ_INT(ews_crc32c(incr, 32), 0x46DD794Eu, "RFC 3720: 32 incrementing bytes");
	CHECK_EQ_INT(ews_crc32c("a", 1), 0xC1D04330u, "single byte \"a\"");

	printf("# hardware crc32 available: %s\n", ews_crc32c_hw_available() ? "yes" : "no");
	if (ews_crc32c_hw_available())
		CHECK_EQ_INT(ews_crc32c_hw(0, "123456789", 9), 0xE3069283u, "hardware path check value");
	else
		CHECK(1, "hardware path check value (skipped: no SSE4.2)");

	for (i = 0; i < (int) sizeof(buf); i++)
		buf[i] = (unsigned char) rng();

	/* Every alignment 0..15 with lengths 0..300, then a spread up to 4096 */
	agree = true;
	incremental_ok = true;
	for (int align = 0; align < 16; align++)
	{
		for (size_t len = 0; len <= 4096; len += (len < 300 ? 1 : 1 + rng() % 97))
		{
			const unsigned char *p = buf + align;
			uint32_t	sw = ews_crc32c_sw(0, p, len);
			size_t		cut = len ? rng() % (len + 1) : 0;
			uint32_t	inc;

			if (ews_crc32c_hw_available() && ews_crc32c_hw(0, p, len) != sw)
			{
				printf("# hw/sw differ at align %d len %zu\n", align, len);
				agree = false;
			}
			if (ews_crc32c(p, len) != sw)
				agree = false;
			inc = ews_crc32c_update(ews_crc32c_update(0, p, cut), p + cut, len - cut);
			if (inc != sw)
			{
				printf("# incremental differs at align %d len %zu cut %zu\n", align, len, cut);
				incremental_ok = false;
			}
			/* cross the paths: software head, hardware tail */
			if (ews_crc32c_hw_available() &&
				ews_crc32c_hw(ews_crc32c_sw(0, p, cut), p + cut, len - cut) != sw)
				incremental_ok = false;
		}
	}
	CHECK(agree, "hardware, dispatching and software paths agree on all lengths/alignments");
	CHECK(incremental_ok, "incremental CRC over two pieces equals one-shot CRC");

	/* A single flipped bit always changes a CRC */
	{
		uint32_t	before = ews_crc32c(buf, 1000);

		buf[500] ^= 0x10;
		CHECK(ews_crc32c(buf, 1000) != before, "a flipped bit changes the CRC");
		buf[500] ^= 0x10;
	}

	return unit_done();
}
