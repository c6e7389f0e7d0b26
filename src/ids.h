/*
 * ids.h
 *	  EWS FolderId/ItemId and ChangeKey codecs, pure C.
 *
 * An id is base64 of the outer layout of MS-OXWSITEMID with our own store id:
 *
 *	[0 compression][3 storage type: mailbox GUID based][int16 LE 36]
 *	[mailbox GUID, 36 lower-case ASCII characters][0 processing]
 *	[int16 LE 9][kind: 1 folder, 2 item][uint64 big-endian local id]
 *
 * 52 bytes, so 72 base64 characters starting "AAMkA" as Exchange's do.
 * A ChangeKey is base64 of [uint32 LE kind: 1 folder, 9 item][uint64 LE
 * change number]: 12 bytes, 16 characters.
 */
#ifndef EWS_IDS_H
#define EWS_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EWS_ID_KIND_FOLDER	1
#define EWS_ID_KIND_ITEM	2
#define EWS_ID_BYTES		52
#define EWS_ID_CHARS		72	/* base64 of EWS_ID_BYTES, no terminator */

#define EWS_CK_KIND_FOLDER	1
#define EWS_CK_KIND_ITEM	9
#define EWS_CK_CHARS		16

#define EWS_GUID_CHARS		36

typedef enum EwsIdStatus
{
	EWS_ID_OK = 0,
	EWS_ID_NOT_BASE64,
	EWS_ID_BAD_LENGTH,
	EWS_ID_BAD_STORAGE_TYPE,	/* compression, storage type or GUID length */
	EWS_ID_BAD_GUID,			/* not 8-4-4-4-12 lower-case hex */
	EWS_ID_BAD_STORE_ID,		/* processing byte, store id length or kind */
} EwsIdStatus;

typedef struct EwsObjectId
{
	char		mailbox[EWS_GUID_CHARS + 1];	/* canonical GUID text, NUL-terminated */
	uint8_t		kind;			/* EWS_ID_KIND_* */
	uint64_t	local_id;
} EwsObjectId;

/* Is s (len chars) a canonical lower-case GUID text? */
bool		ews_guid_text_valid(const char *s, size_t len);

/* Decode an id; on success fills *out (any kind: callers check it). */
EwsIdStatus ews_id_decode(const char *s, size_t len, EwsObjectId *out);

/* Encode into dst (EWS_ID_CHARS bytes, no terminator); false if id->mailbox is not canonical. */
bool		ews_id_encode(const EwsObjectId *id, char *dst);

/* A phrase naming what was wrong, for MessageText. */
const char *ews_id_status_text(EwsIdStatus st);

/* Decode a change key; false when it is not one (any kind: callers check it). */
bool		ews_changekey_decode(const char *s, size_t len, uint32_t *kind, uint64_t *change_number);

/* Encode into dst (EWS_CK_CHARS bytes, no terminator). */
void		ews_changekey_encode(uint32_t kind, uint64_t change_number, char *dst);

/* The 12 raw bytes of a change key (for PidTagChangeKey). */
void		ews_changekey_bytes(uint32_t kind, uint64_t change_number, uint8_t out[12]);

#endif
