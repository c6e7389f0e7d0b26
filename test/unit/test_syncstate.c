/*
 * test_syncstate.c
 *	  Unit tests for the sync state codec (src/syncstate.c): round trips of
 *	  both kinds, and every way a state can be broken refused with its
 *	  status: each flipped bit, each truncation and extension, non-canonical
 *	  base64, another version, kind, reserved flags, values out of range.
 */
#include <stdlib.h>

#include "base64.h"
#include "syncstate.h"
#include "unit.h"

static void
items_state(EwsSyncState *s)
{
	memset(s, 0, sizeof(*s));
	s->kind = EWS_SYNC_KIND_ITEMS;
	s->flags = EWS_SYNC_FLAG_ASSOCIATED;
	for (int i = 0; i < 16; i++)
		s->mailbox[i] = (uint8_t) (0xA0 + i);
	s->folder_id = 123456789012LL;
	s->w_cn = 9000;
	s->w_id = EWS_SYNC_ID_ALL;
	s->c_cn = 8000;
	s->c_id = 77;
	s->r_cn = 9000;
}

static void
hierarchy_state(EwsSyncState *s)
{
	memset(s, 0, sizeof(*s));
	s->kind = EWS_SYNC_KIND_HIERARCHY;
	s->flags = 0;
	for (int i = 0; i < 16; i++)
		s->mailbox[i] = (uint8_t) (0x10 * i);
	s->folder_id = 5;
	s->w_cn = 424242;
}

static int
same(const EwsSyncState *a, const EwsSyncState *b)
{
	return a->kind == b->kind && a->flags == b->flags && memcmp(a->mailbox, b->mailbox, 16) == 0 &&
		a->folder_id == b->folder_id && a->w_cn == b->w_cn && a->w_id == b->w_id &&
		a->c_cn == b->c_cn && a->c_id == b->c_id && a->r_cn == b->r_cn;
}

static void
test_round_trip(void)
{
	EwsSyncState s,
				d;
	char		text[EWS_SYNC_STATE_TEXT_MAX];
	size_t		n;

	items_state(&s);
	n = ews_sync_state_encode(&s, text);
	CHECK_EQ_INT(n, 104, "an items state is 104 base64 characters");
	CHECK_EQ_INT(strlen(text), n, "encode NUL-terminates");
	CHECK(strncmp(text, "RVdTUwEB", 8) == 0, "it starts with the magic, version 1, kind 1 (%.8s)", text);
	CHECK_EQ_INT(ews_sync_state_decode(text, n, &d), EWS_SYNC_STATE_OK, "items state decodes");
	CHECK(same(&s, &d), "items state round trip keeps every field");

	hierarchy_state(&s);
	n = ews_sync_state_encode(&s, text);
	CHECK_EQ_INT(n, 60, "a hierarchy state is 60 base64 characters");
	CHECK_EQ_INT(ews_sync_state_decode(text, n, &d), EWS_SYNC_STATE_OK, "hierarchy state decodes");
	CHECK(same(&s, &d), "hierarchy state round trip keeps every field");

	/* the extremes of every value */
	items_state(&s);
	s.w_cn = INT64_MAX;
	s.w_id = INT64_MAX;
	s.c_cn = INT64_MAX;
	s.c_id = INT64_MAX;
	s.r_cn = INT64_MAX;
	s.folder_id = INT64_MAX;
	n = ews_sync_state_encode(&s, text);
	CHECK(ews_sync_state_decode(text, n, &d) == EWS_SYNC_STATE_OK && same(&s, &d), "largest values round trip");
	memset(&s, 0, sizeof(s));
	s.kind = EWS_SYNC_KIND_ITEMS;
	n = ews_sync_state_encode(&s, text);
	CHECK(ews_sync_state_decode(text, n, &d) == EWS_SYNC_STATE_OK && same(&s, &d), "all-zero items state round trips");
}

/* decode raw bytes (base64-encoded first) */
static EwsSyncStateStatus
decode_raw(const uint8_t *raw, size_t n)
{
	char		text[256];
	size_t		len = ews_base64_encode(raw, n, text);
	EwsSyncState d;

	return ews_sync_state_decode(text, len, &d);
}

static void
test_every_bit(void)
{
	EwsSyncState s;
	char		text[EWS_SYNC_STATE_TEXT_MAX];
	uint8_t		raw[128];
	int			kinds[2] = {EWS_SYNC_KIND_ITEMS, EWS_SYNC_KIND_HIERARCHY};

	for (int k = 0; k < 2; k++)
	{
		size_t		len;
		long long	n;
		int			caught = 0,
					total = 0;

		if (kinds[k] == EWS_SYNC_KIND_ITEMS)
			items_state(&s);
		else
			hierarchy_state(&s);
		len = ews_sync_state_encode(&s, text);
		n = ews_base64_decode(text, len, raw, false);
		for (long long byte = 0; byte < n; byte++)
			for (int bit = 0; bit < 8; bit++)
			{
				raw[byte] ^= (uint8_t) (1 << bit);
				total++;
				if (decode_raw(raw, (size_t) n) != EWS_SYNC_STATE_OK)
					caught++;
				raw[byte] ^= (uint8_t) (1 << bit);
			}
		CHECK_EQ_INT(caught, total, "kind %d: every one of %d single-bit flips is refused", kinds[k], total);

		/* every truncation and every extension by one byte */
		caught = 0;
		for (long long cut = 0; cut < n; cut++)
			if (decode_raw(raw, (size_t) cut) != EWS_SYNC_STATE_OK)
				caught++;
		CHECK_EQ_INT(caught, n, "kind %d: every truncation is refused", kinds[k]);
		raw[n] = 0;
		CHECK(decode_raw(raw, (size_t) n + 1) != EWS_SYNC_STATE_OK, "kind %d: one byte more is refused", kinds[k]);
	}
}

static void
test_statuses(void)
{
	EwsSyncState s,
				d;
	char		text[EWS_SYNC_STATE_TEXT_MAX + 8];
	uint8_t		raw[128];
	size_t		len;
	long long	n;

	items_state(&s);
	len = ews_sync_state_encode(&s, text);

	CHECK_EQ_INT(ews_sync_state_decode("", 0, &d), EWS_SYNC_STATE_LENGTH, "empty text: wrong length");
	CHECK_EQ_INT(ews_sync_state_decode("H4sIA=", 6, &d), EWS_SYNC_STATE_NOT_BASE64, "Exchange's example state: not ours");
	CHECK_EQ_INT(ews_sync_state_decode("H4sIAA==", 8, &d), EWS_SYNC_STATE_LENGTH, "a short valid base64: wrong length");
	CHECK_EQ_INT(ews_sync_state_decode(text, len - 1, &d), EWS_SYNC_STATE_NOT_BASE64, "one character less");
	CHECK_EQ_INT(ews_sync_state_decode(text, len - 4, &d), EWS_SYNC_STATE_LENGTH, "one quantum less");
	{
		char		spaced[EWS_SYNC_STATE_TEXT_MAX + 8];

		memcpy(spaced, text, 8);
		spaced[8] = '\n';
		memcpy(spaced + 9, text + 8, len - 8);
		CHECK_EQ_INT(ews_sync_state_decode(spaced, len + 1, &d), EWS_SYNC_STATE_NOT_BASE64, "a line break inside");
	}
	{
		char		bad[EWS_SYNC_STATE_TEXT_MAX];

		memcpy(bad, text, len);
		bad[10] = '*';
		CHECK_EQ_INT(ews_sync_state_decode(bad, len, &d), EWS_SYNC_STATE_NOT_BASE64, "a character outside base64");
	}
	{
		char		longer[400];

		memset(longer, 'A', sizeof(longer));
		CHECK_EQ_INT(ews_sync_state_decode(longer, sizeof(longer), &d), EWS_SYNC_STATE_LENGTH,
					 "400 base64 characters: wrong length, nothing decoded");
	}

	/* hand-made bytes with a valid CRC: use encode for the CRC, then patch */
	n = ews_base64_decode(text, len, raw, false);
	raw[0] = 'X';
	CHECK_EQ_INT(decode_raw(raw, (size_t) n), EWS_SYNC_STATE_MAGIC, "another magic");
	raw[0] = 'E';
	raw[4] = 2;
	CHECK_EQ_INT(decode_raw(raw, (size_t) n), EWS_SYNC_STATE_VERSION_UNKNOWN, "version 2");
	raw[4] = 1;
	raw[5] = 3;
	CHECK_EQ_INT(decode_raw(raw, (size_t) n), EWS_SYNC_STATE_KIND, "kind 3");
	raw[5] = EWS_SYNC_KIND_HIERARCHY;
	CHECK_EQ_INT(decode_raw(raw, (size_t) n), EWS_SYNC_STATE_KIND, "a hierarchy kind with an items state's length");
	raw[5] = EWS_SYNC_KIND_ITEMS;
	raw[7] = 0x80;
	CHECK_EQ_INT(decode_raw(raw, (size_t) n), EWS_SYNC_STATE_FLAGS, "a reserved flag (checked before the CRC)");
	raw[7] = 0;
	raw[40] ^= 1;
	CHECK_EQ_INT(decode_raw(raw, (size_t) n), EWS_SYNC_STATE_CHECKSUM, "a changed value: checksum");

	/* encode does not check ranges, so it makes well-formed states that are out of range */
	items_state(&s);
	s.c_cn = s.w_cn + 1;
	len = ews_sync_state_encode(&s, text);
	CHECK_EQ_INT(ews_sync_state_decode(text, len, &d), EWS_SYNC_STATE_RANGE, "C beyond W");
	items_state(&s);
	s.c_cn = s.w_cn;
	s.c_id = 10;
	s.w_id = 9;
	len = ews_sync_state_encode(&s, text);
	CHECK_EQ_INT(ews_sync_state_decode(text, len, &d), EWS_SYNC_STATE_RANGE, "C beyond W in the id of the same change");
	s.c_id = 9;
	len = ews_sync_state_encode(&s, text);
	CHECK_EQ_INT(ews_sync_state_decode(text, len, &d), EWS_SYNC_STATE_OK, "C equal to W");
	items_state(&s);
	s.r_cn = s.w_cn + 1;
	len = ews_sync_state_encode(&s, text);
	CHECK_EQ_INT(ews_sync_state_decode(text, len, &d), EWS_SYNC_STATE_RANGE, "R beyond W");
	items_state(&s);
	s.folder_id = -1;
	len = ews_sync_state_encode(&s, text);
	CHECK_EQ_INT(ews_sync_state_decode(text, len, &d), EWS_SYNC_STATE_RANGE, "a negative folder id");
	hierarchy_state(&s);
	s.w_cn = -5;
	len = ews_sync_state_encode(&s, text);
	CHECK_EQ_INT(ews_sync_state_decode(text, len, &d), EWS_SYNC_STATE_RANGE, "a negative hierarchy watermark");
	items_state(&s);
	s.c_id = -1;
	s.c_cn = 0;
	len = ews_sync_state_encode(&s, text);
	CHECK_EQ_INT(ews_sync_state_decode(text, len, &d), EWS_SYNC_STATE_RANGE, "a negative id");

	for (int st = EWS_SYNC_STATE_OK; st <= EWS_SYNC_STATE_RANGE; st++)
		CHECK(ews_sync_state_status_text((EwsSyncStateStatus) st)[0] != '\0', "status %d has a text", st);
}

int
main(void)
{
	test_round_trip();
	test_every_bit();
	test_statuses();
	return unit_done();
}
