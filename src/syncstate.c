/*
 * syncstate.c
 *	  Encoding and strict decoding of sync states (layout in syncstate.h).
 *
 * Pure C: c.h is included only for port/pg_crc32c.h, PostgreSQL's CRC-32C
 * (hardware instructions where the CPU has them), which the unit tests and
 * the fuzzer link from libpgport as PostgreSQL's own client programs do.
 */
#include "c.h"

#include "port/pg_crc32c.h"

#include "syncstate.h"

#include <string.h>

#include "base64.h"

static const uint8_t magic[4] = {'E', 'W', 'S', 'S'};

static void
put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
}

static void
put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

static void
put_le64(uint8_t *p, int64_t v)
{
	uint64_t	u = (uint64_t) v;

	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t) (u >> (8 * i));
}

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t) (p[0] | (p[1] << 8));
}

static uint32_t
le32(const uint8_t *p)
{
	uint32_t	v = 0;

	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static int64_t
le64(const uint8_t *p)
{
	uint64_t	v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return (int64_t) v;
}

static uint32_t
checksum(const uint8_t *buf, size_t len)
{
	pg_crc32c	crc;

	INIT_CRC32C(crc);
	COMP_CRC32C(crc, buf, len);
	FIN_CRC32C(crc);
	return (uint32_t) crc;
}

static size_t
state_bytes(uint8_t kind)
{
	return kind == EWS_SYNC_KIND_ITEMS ? EWS_SYNC_ITEMS_BYTES : EWS_SYNC_HIERARCHY_BYTES;
}

size_t
ews_sync_state_encode(const EwsSyncState *s, char *out)
{
	uint8_t		raw[EWS_SYNC_ITEMS_BYTES];
	size_t		n = state_bytes(s->kind);
	size_t		len;

	memcpy(raw, magic, 4);
	raw[4] = EWS_SYNC_STATE_VERSION;
	raw[5] = s->kind;
	put_le16(raw + 6, s->flags);
	memcpy(raw + 8, s->mailbox, 16);
	put_le64(raw + 24, s->folder_id);
	put_le64(raw + 32, s->w_cn);
	if (s->kind == EWS_SYNC_KIND_ITEMS)
	{
		put_le64(raw + 40, s->w_id);
		put_le64(raw + 48, s->c_cn);
		put_le64(raw + 56, s->c_id);
		put_le64(raw + 64, s->r_cn);
	}
	put_le32(raw + n - 4, checksum(raw, n - 4));
	len = ews_base64_encode(raw, n, out);
	out[len] = '\0';
	return len;
}

/* (a, b) <= (c, d) in the order of (change number, id) pairs */
static bool
pair_le(int64_t a, int64_t b, int64_t c, int64_t d)
{
	return a < c || (a == c && b <= d);
}

EwsSyncStateStatus
ews_sync_state_decode(const char *text, size_t len, EwsSyncState *out)
{
	uint8_t		raw[EWS_SYNC_ITEMS_BYTES + 3];
	char		again[EWS_SYNC_STATE_TEXT_MAX];
	long long	n;
	size_t		want;

	/* a bound before decoding: longer text is no state of ours */
	if (len > EWS_SYNC_STATE_TEXT_MAX - 1 || len % 4 != 0)
	{
		for (size_t i = 0; i < len && i < 4096; i++)
		{
			char		c = text[i];

			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
				  (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '='))
				return EWS_SYNC_STATE_NOT_BASE64;
		}
		return len % 4 != 0 ? EWS_SYNC_STATE_NOT_BASE64 : EWS_SYNC_STATE_LENGTH;
	}
	n = ews_base64_decode(text, len, raw, false);
	if (n < 0)
		return EWS_SYNC_STATE_NOT_BASE64;
	/* canonical: the text must be exactly what encoding these bytes gives */
	if (ews_base64_encode(raw, (size_t) n, again) != len || memcmp(again, text, len) != 0)
		return EWS_SYNC_STATE_NOT_BASE64;
	if (n != EWS_SYNC_ITEMS_BYTES && n != EWS_SYNC_HIERARCHY_BYTES)
		return EWS_SYNC_STATE_LENGTH;
	if (memcmp(raw, magic, 4) != 0)
		return EWS_SYNC_STATE_MAGIC;
	if (raw[4] != EWS_SYNC_STATE_VERSION)
		return EWS_SYNC_STATE_VERSION_UNKNOWN;
	if (raw[5] != EWS_SYNC_KIND_ITEMS && raw[5] != EWS_SYNC_KIND_HIERARCHY)
		return EWS_SYNC_STATE_KIND;
	want = state_bytes(raw[5]);
	if ((size_t) n != want)
		return EWS_SYNC_STATE_KIND;
	memset(out, 0, sizeof(*out));
	out->kind = raw[5];
	out->flags = le16(raw + 6);
	if ((out->flags & ~(uint16_t) 0x0001) != 0)
		return EWS_SYNC_STATE_FLAGS;
	if (le32(raw + want - 4) != checksum(raw, want - 4))
		return EWS_SYNC_STATE_CHECKSUM;
	memcpy(out->mailbox, raw + 8, 16);
	out->folder_id = le64(raw + 24);
	out->w_cn = le64(raw + 32);
	if (out->folder_id < 0 || out->w_cn < 0)
		return EWS_SYNC_STATE_RANGE;
	if (out->kind == EWS_SYNC_KIND_ITEMS)
	{
		out->w_id = le64(raw + 40);
		out->c_cn = le64(raw + 48);
		out->c_id = le64(raw + 56);
		out->r_cn = le64(raw + 64);
		if (out->w_id < 0 || out->c_cn < 0 || out->c_id < 0 || out->r_cn < 0 ||
			!pair_le(out->c_cn, out->c_id, out->w_cn, out->w_id) || out->r_cn > out->w_cn)
			return EWS_SYNC_STATE_RANGE;
	}
	return EWS_SYNC_STATE_OK;
}

const char *
ews_sync_state_status_text(EwsSyncStateStatus st)
{
	switch (st)
	{
		case EWS_SYNC_STATE_OK:
			return "valid";
		case EWS_SYNC_STATE_NOT_BASE64:
			return "it is not base64 as this server writes it";
		case EWS_SYNC_STATE_LENGTH:
			return "it has the wrong length";
		case EWS_SYNC_STATE_MAGIC:
			return "it was not made by this server";
		case EWS_SYNC_STATE_VERSION_UNKNOWN:
			return "it has an unknown version";
		case EWS_SYNC_STATE_KIND:
			return "it is of an unknown kind";
		case EWS_SYNC_STATE_FLAGS:
			return "it has reserved flags set";
		case EWS_SYNC_STATE_CHECKSUM:
			return "its checksum does not match";
		case EWS_SYNC_STATE_RANGE:
			return "its positions are out of range";
	}
	return "it is invalid";
}
