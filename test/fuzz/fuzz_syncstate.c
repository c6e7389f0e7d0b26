/*
 * fuzz_syncstate.c
 *	  libFuzzer harness for the sync state decoder (src/syncstate.c).
 *
 * The input is tried twice: as the text a client sends, and as the state's
 * bytes with a correct CRC (base64-encoded here), so that mutations reach
 * the checks behind the checksum.  A state the decoder accepts must encode
 * back to exactly the text it came from (one spelling per state), and its
 * values must be in the ranges syncstate.h promises.
 */
#include "c.h"

#include "port/pg_crc32c.h"

#include "base64.h"
#include "syncstate.h"

#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond) do { if (!(cond)) __builtin_trap(); } while (0)

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_text(const char *text, size_t len)
{
	EwsSyncState s;
	char		again[EWS_SYNC_STATE_TEXT_MAX];

	if (ews_sync_state_decode(text, len, &s) != EWS_SYNC_STATE_OK)
		return;
	REQUIRE(s.kind == EWS_SYNC_KIND_ITEMS || s.kind == EWS_SYNC_KIND_HIERARCHY);
	REQUIRE(s.folder_id >= 0 && s.w_cn >= 0);
	if (s.kind == EWS_SYNC_KIND_ITEMS)
		REQUIRE(s.c_cn >= 0 && s.c_id >= 0 && s.r_cn <= s.w_cn &&
				(s.c_cn < s.w_cn || (s.c_cn == s.w_cn && s.c_id <= s.w_id)));
	REQUIRE(ews_sync_state_encode(&s, again) == len);
	REQUIRE(memcmp(again, text, len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t		raw[EWS_SYNC_ITEMS_BYTES];
	char		text[EWS_SYNC_STATE_TEXT_MAX];
	size_t		n;

	check_text((const char *) data, size);

	/* the bytes of a state of either length, with the CRC made right */
	n = size >= EWS_SYNC_ITEMS_BYTES ? EWS_SYNC_ITEMS_BYTES : EWS_SYNC_HIERARCHY_BYTES;
	if (size >= EWS_SYNC_HIERARCHY_BYTES)
	{
		pg_crc32c	crc;

		memcpy(raw, data, n);
		INIT_CRC32C(crc);
		COMP_CRC32C(crc, raw, n - 4);
		FIN_CRC32C(crc);
		for (int i = 0; i < 4; i++)
			raw[n - 4 + i] = (uint8_t) (crc >> (8 * i));
		check_text(text, ews_base64_encode(raw, n, text));
	}
	return 0;
}
