/*
 * syncstate.h
 *	  The SyncState of SyncFolderItems and SyncFolderHierarchy: a small
 *	  versioned, checksummed record, base64 in the protocol.  Pure C (no
 *	  postgres.h), so the unit tests and the fuzzer link it alone.
 *
 * A state is a cursor, not a credential.  It names the mailbox and folder it
 * was made for and the positions a client has reached; the request that
 * brings it back is authorized on its own SyncFolderId, and src/sync.c
 * refuses a state that names another mailbox, folder, operation or scope.
 * So a forged or altered state can at most move a client's position inside
 * a folder it may read anyway.  The checksum (CRC-32C) and the strict
 * decoding below catch truncation, corruption and states of another version
 * before any of its values is used.
 *
 * Layout, version 1, integers little-endian:
 *
 *	offset size
 *	0      4    magic "EWSS"
 *	4      1    version (1)
 *	5      1    kind: 1 SyncFolderItems, 2 SyncFolderHierarchy
 *	6      2    flags: items: bit 0 NormalAndAssociatedItems;
 *				hierarchy: bit 0 a SyncFolderId was given; other bits zero
 *	8      16   mailbox GUID (the bytes of the uuid)
 *	24     8    folder id (items: the synced folder; hierarchy: its root)
 *	items:
 *	32     8    w_cn  \  W: every change of an item the client holds with
 *	40     8    w_id  /     (change number, item id) <= W has been reported
 *	48     8    c_cn  \  C: the client holds exactly the items with
 *	56     8    c_id  /     (arrival change number, item id) <= C
 *	64     8    r_cn     R: where the current round began (read-flag changes)
 *	72     4    CRC-32C of bytes 0..71
 *	hierarchy:
 *	32     8    w_cn     every hierarchy change <= w_cn has been reported
 *	40     4    CRC-32C of bytes 0..39
 *
 * Every value is a non-negative int64 (change numbers and ids come from
 * PostgreSQL sequences); C <= W and R <= w_cn.
 */
#ifndef EWS_SYNCSTATE_H
#define EWS_SYNCSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EWS_SYNC_STATE_VERSION	1

#define EWS_SYNC_KIND_ITEMS		1
#define EWS_SYNC_KIND_HIERARCHY 2

/* items: NormalAndAssociatedItems; hierarchy: the request named its SyncFolderId */
#define EWS_SYNC_FLAG_ASSOCIATED	0x0001
#define EWS_SYNC_FLAG_FOLDER_GIVEN	0x0001

#define EWS_SYNC_ITEMS_BYTES		76
#define EWS_SYNC_HIERARCHY_BYTES	44
/* base64 of the longer form, and its terminating NUL */
#define EWS_SYNC_STATE_TEXT_MAX		(((EWS_SYNC_ITEMS_BYTES + 2) / 3) * 4 + 1)

/* "no item id bound": W and C reach every item of that change number */
#define EWS_SYNC_ID_ALL				INT64_MAX

typedef struct EwsSyncState
{
	uint8_t		kind;
	uint16_t	flags;
	uint8_t		mailbox[16];
	int64_t		folder_id;
	int64_t		w_cn;
	int64_t		w_id;			/* items only */
	int64_t		c_cn;			/* items only */
	int64_t		c_id;			/* items only */
	int64_t		r_cn;			/* items only */
} EwsSyncState;

typedef enum EwsSyncStateStatus
{
	EWS_SYNC_STATE_OK,
	EWS_SYNC_STATE_NOT_BASE64,	/* not the canonical base64 of whole bytes */
	EWS_SYNC_STATE_LENGTH,		/* neither an items nor a hierarchy state's length */
	EWS_SYNC_STATE_MAGIC,
	EWS_SYNC_STATE_VERSION_UNKNOWN,
	EWS_SYNC_STATE_KIND,		/* unknown kind, or the length of the other kind */
	EWS_SYNC_STATE_FLAGS,		/* reserved flag bits set */
	EWS_SYNC_STATE_CHECKSUM,
	EWS_SYNC_STATE_RANGE		/* a negative value, C > W or R > W */
} EwsSyncStateStatus;

/*
 * Encode s (kind, flags and values as the layout says; values in range) as
 * NUL-terminated base64 into out, which has room for
 * EWS_SYNC_STATE_TEXT_MAX bytes.  Returns the text's length.
 */
size_t		ews_sync_state_encode(const EwsSyncState *s, char *out);

/*
 * Decode a state.  Checks, in this order: canonical base64 (the exact text
 * ews_sync_state_encode would write: no white space, padding, or stray
 * bits), the length of one of the two kinds, magic, version, kind (and that
 * the length is that kind's), reserved flags, the CRC, then the ranges.  On
 * anything but EWS_SYNC_STATE_OK *out is undefined.
 */
EwsSyncStateStatus ews_sync_state_decode(const char *text, size_t len, EwsSyncState *out);

/* what failed, as a sentence fragment for MessageText ("the checksum does not match") */
const char *ews_sync_state_status_text(EwsSyncStateStatus st);

#endif
