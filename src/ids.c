/*
 * ids.c
 *	  Encoding and strict decoding of EWS ids and change keys.
 *
 * Decoding refuses everything but the one canonical spelling of a valid id,
 * so two different strings never name the same object and a client that
 * mangled an id (truncated, re-padded, case-folded) is told so at once with
 * ErrorInvalidIdMalformed instead of a confusing "not found".
 */
#include "ids.h"

#include <string.h>

#include "base64.h"

bool
ews_guid_text_valid(const char *s, size_t len)
{
	if (len != EWS_GUID_CHARS)
		return false;
	for (size_t i = 0; i < len; i++)
	{
		char		c = s[i];

		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (c != '-')
				return false;
		}
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

EwsIdStatus
ews_id_decode(const char *s, size_t len, EwsObjectId *out)
{
	uint8_t		raw[EWS_ID_BYTES + 3];
	long long	n;

	/* cheap length test first: also bounds the decode buffer */
	if (len != EWS_ID_CHARS)
	{
		/* tell "not base64" from "wrong length" for a better message */
		if (len % 4 != 0 || len > 4096)
			return EWS_ID_NOT_BASE64;
		for (size_t i = 0; i < len; i++)
		{
			char		c = s[i];

			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
				  (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '='))
				return EWS_ID_NOT_BASE64;
		}
		return EWS_ID_BAD_LENGTH;
	}
	n = ews_base64_decode(s, len, raw, false);
	if (n < 0)
		return EWS_ID_NOT_BASE64;
	if (n != EWS_ID_BYTES)
		return EWS_ID_BAD_LENGTH;

	/* MS-OXWSITEMID header: compression 0, storage type 3 (mailbox GUID based), GUID length 36 LE */
	if (raw[0] != 0 || raw[1] != 3 || raw[2] != EWS_GUID_CHARS || raw[3] != 0)
		return EWS_ID_BAD_STORAGE_TYPE;
	if (!ews_guid_text_valid((const char *) raw + 4, EWS_GUID_CHARS))
		return EWS_ID_BAD_GUID;
	/* processing byte 0, store id length 9 LE, then our kind byte */
	if (raw[40] != 0 || raw[41] != 9 || raw[42] != 0)
		return EWS_ID_BAD_STORE_ID;
	if (raw[43] != EWS_ID_KIND_FOLDER && raw[43] != EWS_ID_KIND_ITEM)
		return EWS_ID_BAD_STORE_ID;

	memcpy(out->mailbox, raw + 4, EWS_GUID_CHARS);
	out->mailbox[EWS_GUID_CHARS] = '\0';
	out->kind = raw[43];
	out->local_id = 0;
	for (int i = 0; i < 8; i++)
		out->local_id = (out->local_id << 8) | raw[44 + i];
	/* local ids come from a sequence starting at 1; 0 and the sign bit never occur */
	if (out->local_id == 0 || out->local_id > (uint64_t) INT64_MAX)
		return EWS_ID_BAD_STORE_ID;
	return EWS_ID_OK;
}

bool
ews_id_encode(const EwsObjectId *id, char *dst)
{
	uint8_t		raw[EWS_ID_BYTES];

	if (!ews_guid_text_valid(id->mailbox, strlen(id->mailbox)))
		return false;
	raw[0] = 0;
	raw[1] = 3;
	raw[2] = EWS_GUID_CHARS;
	raw[3] = 0;
	memcpy(raw + 4, id->mailbox, EWS_GUID_CHARS);
	raw[40] = 0;
	raw[41] = 9;
	raw[42] = 0;
	raw[43] = id->kind;
	for (int i = 0; i < 8; i++)
		raw[44 + i] = (uint8_t) (id->local_id >> (56 - 8 * i));
	ews_base64_encode(raw, EWS_ID_BYTES, dst);
	return true;
}

const char *
ews_id_status_text(EwsIdStatus st)
{
	switch (st)
	{
		case EWS_ID_OK:
			return "valid";
		case EWS_ID_NOT_BASE64:
			return "the id is not base64";
		case EWS_ID_BAD_LENGTH:
			return "the id has the wrong length";
		case EWS_ID_BAD_STORAGE_TYPE:
			return "the id is not a mailbox-GUID-based id";
		case EWS_ID_BAD_GUID:
			return "the id does not hold a valid mailbox GUID";
		case EWS_ID_BAD_STORE_ID:
			return "the id does not hold a valid store id";
	}
	return "the id is malformed";
}

void
ews_changekey_bytes(uint32_t kind, uint64_t change_number, uint8_t out[12])
{
	for (int i = 0; i < 4; i++)
		out[i] = (uint8_t) (kind >> (8 * i));
	for (int i = 0; i < 8; i++)
		out[4 + i] = (uint8_t) (change_number >> (8 * i));
}

bool
ews_changekey_decode(const char *s, size_t len, uint32_t *kind, uint64_t *change_number)
{
	uint8_t		raw[12 + 3];
	long long	n;

	if (len != EWS_CK_CHARS)
		return false;
	n = ews_base64_decode(s, len, raw, false);
	if (n != 12)
		return false;
	*kind = (uint32_t) raw[0] | ((uint32_t) raw[1] << 8) | ((uint32_t) raw[2] << 16) | ((uint32_t) raw[3] << 24);
	if (*kind != EWS_CK_KIND_FOLDER && *kind != EWS_CK_KIND_ITEM)
		return false;
	*change_number = 0;
	for (int i = 7; i >= 0; i--)
		*change_number = (*change_number << 8) | raw[4 + i];
	if (*change_number == 0 || *change_number > (uint64_t) INT64_MAX)
		return false;
	return true;
}

void
ews_changekey_encode(uint32_t kind, uint64_t change_number, char *dst)
{
	uint8_t		raw[12];

	ews_changekey_bytes(kind, change_number, raw);
	ews_base64_encode(raw, 12, dst);
}
