/*
 * test_ids.c
 *	  Unit tests for base64, EWS ids and change keys.
 */
#include <stdlib.h>

#include "base64.h"
#include "ids.h"
#include "unit.h"

static const char *GUID = "f3f6f699-2254-40ce-9994-388d9d98419e";

static void
test_base64(void)
{
	const char *vec[][2] = {
		{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
		{"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
	};
	char		enc[64];
	uint8_t		dec[64];

	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++)
	{
		size_t		n = ews_base64_encode((const uint8_t *) vec[i][0], strlen(vec[i][0]), enc);

		CHECK(n == strlen(vec[i][1]) && memcmp(enc, vec[i][1], n) == 0, "encode \"%s\"", vec[i][0]);
		CHECK_EQ_INT(ews_base64_decode(vec[i][1], strlen(vec[i][1]), dec, false), strlen(vec[i][0]),
					 "decode length of \"%s\"", vec[i][1]);
		CHECK_MEM(dec, vec[i][0], strlen(vec[i][0]), "decode bytes of \"%s\"", vec[i][1]);
	}
	CHECK_EQ_INT(ews_base64_decode("Zm9v\r\nYmFy", 10, dec, false), -1, "white space refused in strict mode");
	CHECK_EQ_INT(ews_base64_decode(" Zm9v\r\n\tYmFy ", 13, dec, true), 6, "white space allowed in lenient mode");
	CHECK_EQ_INT(ews_base64_decode("Zm9", 3, dec, false), -1, "truncated quantum refused");
	CHECK_EQ_INT(ews_base64_decode("Zg=", 3, dec, false), -1, "short padding refused");
	CHECK_EQ_INT(ews_base64_decode("Zh==", 4, dec, false), -1, "non-canonical padding bits refused");
	CHECK_EQ_INT(ews_base64_decode("Zm9=", 4, dec, false), -1, "non-canonical bits before single pad refused");
	CHECK_EQ_INT(ews_base64_decode("Zg==Zg==", 8, dec, false), -1, "data after padding refused");
	CHECK_EQ_INT(ews_base64_decode("Z===", 4, dec, false), -1, "three pads refused");
	CHECK_EQ_INT(ews_base64_decode("=Zg=", 4, dec, false), -1, "leading pad refused");
	CHECK_EQ_INT(ews_base64_decode("Zg=a", 4, dec, false), -1, "data after a pad refused");
	CHECK_EQ_INT(ews_base64_decode("Zm9v-_8=", 8, dec, false), -1, "url alphabet refused");
	CHECK_EQ_INT(ews_base64_decode("Zm\0v", 4, dec, false), -1, "NUL refused");

	/* every byte value and every length round-trips */
	{
		uint8_t		src[300];
		char		e[512];
		uint8_t		d[512];
		int			ok = 1;

		for (int i = 0; i < 300; i++)
			src[i] = (uint8_t) (i * 7 + 3);
		for (size_t n = 0; n <= 300; n++)
		{
			size_t		el = ews_base64_encode(src, n, e);

			if (el != ews_base64_encoded_len(n) ||
				ews_base64_decode(e, el, d, false) != (long long) n ||
				memcmp(d, src, n) != 0)
				ok = 0;
		}
		CHECK(ok, "round trip of lengths 0..300");
	}
}

static void
make_raw(uint8_t raw[52], const char *guid, uint8_t kind, uint64_t local)
{
	raw[0] = 0; raw[1] = 3; raw[2] = 36; raw[3] = 0;
	memcpy(raw + 4, guid, 36);
	raw[40] = 0; raw[41] = 9; raw[42] = 0; raw[43] = kind;
	for (int i = 0; i < 8; i++)
		raw[44 + i] = (uint8_t) (local >> (56 - 8 * i));
}

static EwsIdStatus
decode_raw(const uint8_t *raw, size_t n, EwsObjectId *id)
{
	char		s[200];
	size_t		len = ews_base64_encode(raw, n, s);

	return ews_id_decode(s, len, id);
}

static void
test_ids(void)
{
	EwsObjectId id, back;
	char		s[EWS_ID_CHARS + 1];
	uint8_t		raw[60];

	strcpy(id.mailbox, GUID);
	id.kind = EWS_ID_KIND_FOLDER;
	id.local_id = 0x0102030405060708ULL;
	CHECK(ews_id_encode(&id, s), "encode a folder id");
	s[EWS_ID_CHARS] = '\0';
	CHECK(strncmp(s, "AAMkA", 5) == 0, "ids start AAMkA like Exchange's (%s)", s);
	CHECK_EQ_INT(ews_id_decode(s, EWS_ID_CHARS, &back), EWS_ID_OK, "decode it");
	CHECK(strcmp(back.mailbox, GUID) == 0 && back.kind == EWS_ID_KIND_FOLDER &&
		  back.local_id == id.local_id, "round trip keeps guid, kind, local id");

	/* the documented byte layout, checked independently of the encoder */
	make_raw(raw, GUID, EWS_ID_KIND_ITEM, 42);
	CHECK_EQ_INT(decode_raw(raw, 52, &back), EWS_ID_OK, "hand-built item id decodes");
	CHECK(back.kind == EWS_ID_KIND_ITEM && back.local_id == 42, "item kind and local id 42");
	id.kind = EWS_ID_KIND_ITEM;
	id.local_id = 42;
	ews_id_encode(&id, s);
	{
		char		hand[80];

		ews_base64_encode(raw, 52, hand);
		CHECK(memcmp(hand, s, EWS_ID_CHARS) == 0, "encoder matches the documented layout");
	}

	/* malformed forms */
	{
		/* the padding bits of the last character must be zero: one spelling per id */
		char		other[EWS_ID_CHARS + 1];

		memcpy(other, s, sizeof(other));
		CHECK(other[EWS_ID_CHARS - 3] == 'g' && other[EWS_ID_CHARS - 2] == '=', "id ends in g== (%s)", s);
		other[EWS_ID_CHARS - 3] = 'h';	/* the same two data bits, padding bits 0001 */
		CHECK_EQ_INT(ews_id_decode(other, EWS_ID_CHARS, &back), EWS_ID_NOT_BASE64,
					 "non-zero padding bits are refused");
	}
	CHECK_EQ_INT(ews_id_decode("", 0, &back), EWS_ID_BAD_LENGTH, "empty id");
	CHECK_EQ_INT(ews_id_decode("AAMk!", 5, &back), EWS_ID_NOT_BASE64, "not base64 (short)");
	memcpy(s + 10, "*", 1);
	CHECK_EQ_INT(ews_id_decode(s, EWS_ID_CHARS, &back), EWS_ID_NOT_BASE64, "not base64 (right length)");
	CHECK_EQ_INT(decode_raw(raw, 51, &back), EWS_ID_BAD_LENGTH, "one byte short");
	make_raw(raw, GUID, 2, 42);
	raw[52] = 0;
	CHECK_EQ_INT(decode_raw(raw, 53, &back), EWS_ID_BAD_LENGTH, "one byte long");
	CHECK_EQ_INT(ews_id_decode("AAMkAGYzZjZmRiUsidkC+NAAAAY89GAAA=", 34, &back), EWS_ID_NOT_BASE64,
				 "seed's shortened id is not even a base64 quantum multiple");
	CHECK_EQ_INT(ews_id_decode("AAMkAGYzZjZmRiUsidkC+NAAAAY89GAA", 32, &back), EWS_ID_BAD_LENGTH,
				 "a base64 string of the wrong length");
	make_raw(raw, GUID, 2, 42); raw[1] = 1;
	CHECK_EQ_INT(decode_raw(raw, 52, &back), EWS_ID_BAD_STORAGE_TYPE, "wrong storage type");
	make_raw(raw, GUID, 2, 42); raw[0] = 1;
	CHECK_EQ_INT(decode_raw(raw, 52, &back), EWS_ID_BAD_STORAGE_TYPE, "compressed id refused");
	make_raw(raw, GUID, 2, 42); raw[2] = 35;
	CHECK_EQ_INT(decode_raw(raw, 52, &back), EWS_ID_BAD_STORAGE_TYPE, "wrong GUID length");
	make_raw(raw, "F3F6F699-2254-40CE-9994-388D9D98419E", 2, 42);
	CHECK_EQ_INT(decode_raw(raw, 52, &back), EWS_ID_BAD_GUID, "upper-case GUID text");
	make_raw(raw, "f3f6f699x2254-40ce-9994-388d9d98419e", 2, 42);
	CHECK_EQ_INT(decode_raw(raw, 52, &back), EWS_ID_BAD_GUID, "GUID without hyphen");
	make_raw(raw, "g3f6f699-2254-40ce-9994-388d9d98419e", 2, 42);
	CHECK_EQ_INT(decode_raw(raw, 52, &back), EWS_ID_BAD_GUID, "GUID with non-hex");
	make_raw(raw, GUID, 3, 42);
	CHECK_EQ_INT(decode_raw(raw, 52, &back), EWS_ID_BAD_STORE_ID, "unknown kind");
	make_raw(raw, GUID, 1, 42); raw[41] = 8;
	CHECK_EQ_INT(decode_raw(raw, 52, &back), EWS_ID_BAD_STORE_ID, "wrong store id length");
	make_raw(raw, GUID, 1, 42); raw[40] = 1;
	CHECK_EQ_INT(decode_raw(raw, 52, &back), EWS_ID_BAD_STORE_ID, "wrong processing byte");
	make_raw(raw, GUID, 1, 0);
	CHECK_EQ_INT(decode_raw(raw, 52, &back), EWS_ID_BAD_STORE_ID, "local id 0");
	make_raw(raw, GUID, 1, 0x8000000000000000ULL);
	CHECK_EQ_INT(decode_raw(raw, 52, &back), EWS_ID_BAD_STORE_ID, "local id beyond int64");
	strcpy(id.mailbox, "not-a-guid");
	CHECK(!ews_id_encode(&id, s), "encoder refuses a bad GUID");
}

static void
test_changekeys(void)
{
	char		ck[EWS_CK_CHARS + 1];
	uint32_t	kind;
	uint64_t	cn;
	uint8_t		raw[16];
	char		s[40];

	ews_changekey_encode(EWS_CK_KIND_ITEM, 123456789, ck);
	ck[EWS_CK_CHARS] = '\0';
	CHECK(ews_changekey_decode(ck, EWS_CK_CHARS, &kind, &cn) && kind == 9 && cn == 123456789,
		  "item change key round trip (%s)", ck);
	ews_changekey_encode(EWS_CK_KIND_FOLDER, 1, ck);
	CHECK(ews_changekey_decode(ck, EWS_CK_CHARS, &kind, &cn) && kind == 1 && cn == 1,
		  "folder change key round trip");
	ews_changekey_bytes(9, 0x0102, raw);
	CHECK(raw[0] == 9 && raw[1] == 0 && raw[4] == 2 && raw[5] == 1 && raw[11] == 0,
		  "documented layout: uint32 LE kind, uint64 LE number");
	CHECK(!ews_changekey_decode("FwAAAA==", 8, &kind, &cn), "seed's shortened change key refused");
	CHECK(!ews_changekey_decode("", 0, &kind, &cn), "empty change key refused");
	ews_changekey_bytes(5, 7, raw);
	ews_base64_encode(raw, 12, s);
	CHECK(!ews_changekey_decode(s, 16, &kind, &cn), "unknown kind refused");
	ews_changekey_bytes(9, 0, raw);
	ews_base64_encode(raw, 12, s);
	CHECK(!ews_changekey_decode(s, 16, &kind, &cn), "change number 0 refused");
	ews_changekey_bytes(9, 7, raw);
	ews_base64_encode(raw, 12, s);
	s[3] = '#';
	CHECK(!ews_changekey_decode(s, 16, &kind, &cn), "not base64 refused");
}

int
main(void)
{
	test_base64();
	test_ids();
	test_changekeys();
	return unit_done();
}
