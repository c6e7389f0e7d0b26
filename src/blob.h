/*
 * blob.h
 *	  The item blob, version 1: the stored form of an item and the Data of
 *	  ExportItems and UploadItems.
 *
 * Layout (all integers little-endian; see DESIGN.md "Item blob format" and
 * "Named properties in the blob", and the README):
 *
 *	 0	4	magic "EWSB"
 *	 4	2	format version = 1
 *	 6	2	flags: bit 0 = a named-property table follows the header;
 *			  the other bits are reserved (readers refuse them)
 *	 8	4	property count N
 *	12	..	if flag bit 0: the named-property table,
 *			  uint32 count M (1..EWS_BLOB_MAX_NAMES), then M entries in
 *			  ascending tag order, each
 *				uint32 tag (the local tag of the named property: id
 *				  0x8000..0xFFFF << 16 | its type)
 *				16 bytes property-set GUID, as MAPI stores it (Data1,
 *				  Data2, Data3 little-endian, then the 8 bytes of Data4)
 *				uint8 kind: 0 numeric, 1 string
 *				kind 0: uint32 LID
 *				kind 1: uint32 byte length, then the UTF-8 name
 *	..	..	N properties, tags strictly ascending, each
 *			  uint32 tag (property id << 16 | property type), then the value:
 *			  fixed-size types their bytes; PT_UNICODE / PT_BINARY a uint32
 *			  byte length followed by that many bytes; multi-valued types
 *			  (0x1000 | base type) a uint32 value count, then each value in
 *			  its single-valued form
 *	end-4	4	CRC-32C of every byte before it
 *
 * The format has exactly one encoding for a set of properties and names:
 * flag bit 0 is set exactly when there are named properties (ids 0x8000
 * and up), every one of them has exactly one table entry and every entry
 * is used, and both lists are sorted.  So a validated blob is byte for
 * byte what ews_blob_encode_named makes of what it holds, and a blob
 * without named properties is byte for byte a 0.1 blob.
 *
 * Pure C, no postgres.h.  Nothing allocates except ews_blob_edit, which
 * takes the caller's allocator.
 */
#ifndef EWS_BLOB_H
#define EWS_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EWS_BLOB_VERSION 1

/* Sizes of the fixed parts, for callers that peek at a blob */
#define EWS_BLOB_HEADER_SIZE 12
#define EWS_BLOB_CRC_SIZE 4
#define EWS_BLOB_MIN_SIZE (EWS_BLOB_HEADER_SIZE + EWS_BLOB_CRC_SIZE)

/* Header flags */
#define EWS_BLOB_FLAG_NAMES 0x0001	/* the named-property table follows */

/* Property types (the low 16 bits of a tag) */
#define EWS_PT_SHORT    0x0002	/* int16 */
#define EWS_PT_LONG     0x0003	/* int32 */
#define EWS_PT_FLOAT    0x0004	/* IEEE float, 4 bytes */
#define EWS_PT_DOUBLE   0x0005	/* IEEE double, 8 bytes */
#define EWS_PT_CURRENCY 0x0006	/* int64, 1/10000 units */
#define EWS_PT_APPTIME  0x0007	/* double, OLE automation date */
#define EWS_PT_ERROR    0x000A	/* uint32 SCODE */
#define EWS_PT_BOOLEAN  0x000B	/* uint8, 0 or 1 */
#define EWS_PT_I8       0x0014	/* int64 */
#define EWS_PT_UNICODE  0x001F	/* uint32 length + UTF-8 */
#define EWS_PT_SYSTIME  0x0040	/* int64 FILETIME */
#define EWS_PT_CLSID    0x0048	/* 16-byte GUID, MAPI byte order */
#define EWS_PT_BINARY   0x0102	/* uint32 length + bytes */
#define EWS_PT_MV       0x1000	/* multi-valued: 0x1000 | any type above */
#define EWS_PT_MV_UNICODE (EWS_PT_MV | EWS_PT_UNICODE)	/* 0x101F */
#define EWS_PT_MV_BINARY  (EWS_PT_MV | EWS_PT_BINARY)	/* 0x1102 */

#define EWS_PROP_TYPE(tag) ((uint16_t) ((tag) & 0xFFFFu))
#define EWS_PROP_ID(tag)   ((uint16_t) ((tag) >> 16))
#define EWS_PROP_TAG(id, type) ((uint32_t) (((uint32_t) (id) << 16) | ((type) & 0xFFFFu)))
#define EWS_PROP_IS_MV(tag) ((EWS_PROP_TYPE(tag) & EWS_PT_MV) != 0)

/* Named properties: ids from 0x8000 up; their names are in the table */
#define EWS_PROP_ID_NAMED_MIN 0x8000
#define EWS_PROP_IS_NAMED(tag) (EWS_PROP_ID(tag) >= EWS_PROP_ID_NAMED_MIN)

/*
 * Bounds of the named-property table.  A table entry costs at least 25
 * bytes; at most EWS_BLOB_MAX_NAMES entries (the reader sorts their names
 * on the stack to find duplicates).  A string name is what MAPI can carry:
 * MS-OXCDATA 2.6.1 gives PropertyName a one-byte NameSize that counts the
 * UTF-16 bytes with the terminator, so at most 126 UTF-16 code units
 * (126 to 378 bytes of UTF-8).
 */
#define EWS_BLOB_MAX_NAMES 8192
#define EWS_BLOB_NAME_MAX_UTF16 126
#define EWS_GUID_SIZE 16
#define EWS_NAME_KIND_ID 0
#define EWS_NAME_KIND_STRING 1

/* Tags the store knows by name */
#define EWS_TAG_MESSAGE_CLASS      0x001A001Fu	/* required */
#define EWS_TAG_SUBJECT            0x0037001Fu
#define EWS_TAG_DELIVERY_TIME      0x0E060040u
#define EWS_TAG_MESSAGE_FLAGS      0x0E070003u
#define EWS_TAG_INTERNET_MESSAGE_ID 0x1035001Fu
#define EWS_TAG_BODY               0x1000001Fu
#define EWS_TAG_LAST_MODIFICATION_TIME 0x30080040u	/* store-maintained */
#define EWS_TAG_CHANGE_KEY         0x65E20102u	/* store-maintained */
#define EWS_TAG_RFC822             0x7E010102u

/*
 * What the reader (and the writer, for what it is given) can refuse.  The
 * values are not stored anywhere; each has one text (ews_blob_status_text).
 */
typedef enum EwsBlobStatus
{
	EWS_BLOB_OK = 0,
	EWS_BLOB_TOO_LARGE,			/* over max_size: maps to ErrorDataSizeLimitExceeded;
								 * also the writer's answer when outlen is
								 * too small */
	EWS_BLOB_TOO_SHORT,			/* shorter than header + CRC */
	EWS_BLOB_BAD_MAGIC,
	EWS_BLOB_BAD_VERSION,
	EWS_BLOB_BAD_FLAGS,			/* a reserved flag bit set */
	EWS_BLOB_TRUNCATED,			/* a property, length or value runs past the end
								 * (before the CRC) */
	EWS_BLOB_BAD_TYPE,			/* unknown property type; from the writer also a
								 * fixed-size value whose len is not its size, or
								 * value NULL with len > 0 */
	EWS_BLOB_BAD_BOOLEAN,		/* a PT_BOOLEAN value not 0 or 1 */
	EWS_BLOB_BAD_UTF8,			/* a PT_UNICODE value not valid UTF-8 (utf8.h) */
	EWS_BLOB_TAG_ORDER,			/* tags not strictly ascending (covers duplicates) */
	EWS_BLOB_TRAILING_BYTES,	/* bytes left between the last property and the
								 * CRC; from the writer, a multi-valued value
								 * longer than its values */
	EWS_BLOB_BAD_CRC,
	EWS_BLOB_NO_MESSAGE_CLASS,	/* PidTagMessageClass missing */
	/* 0.2: multi-valued properties */
	EWS_BLOB_MV_COUNT,			/* a value count that cannot fit in what is left */
	/* 0.2: the named-property table */
	EWS_BLOB_NAMES_EMPTY,		/* flag bit 0 set, count 0 */
	EWS_BLOB_NAMES_COUNT,		/* count over EWS_BLOB_MAX_NAMES or past the end */
	EWS_BLOB_NAME_TRUNCATED,	/* an entry runs past the end of the blob */
	EWS_BLOB_NAME_TAG_LOW,		/* an entry's property id below 0x8000 */
	EWS_BLOB_NAME_ORDER,		/* entries not in ascending tag order */
	EWS_BLOB_NAME_DUP_TAG,		/* two entries for one property id */
	EWS_BLOB_NAME_BAD_KIND,		/* kind neither 0 nor 1 */
	EWS_BLOB_NAME_EMPTY,		/* a string name of 0 bytes */
	EWS_BLOB_NAME_TOO_LONG,		/* over EWS_BLOB_NAME_MAX_UTF16 UTF-16 units */
	EWS_BLOB_NAME_NUL,			/* a NUL byte in a string name */
	EWS_BLOB_NAME_BAD_UTF8,		/* a string name not valid UTF-8 */
	EWS_BLOB_NAME_DUP,			/* the same (GUID, kind, LID or name) twice */
	EWS_BLOB_NAME_UNUSED,		/* an entry whose tag no property has */
	EWS_BLOB_NAME_MISSING		/* a property with id >= 0x8000 and no entry */
} EwsBlobStatus;

#define EWS_BLOB_STATUS_LAST EWS_BLOB_NAME_MISSING

/*
 * One property.  value points at the value bytes as they stand in the blob
 * (little-endian): for fixed-size types their bytes (len = the type's size:
 * 2, 4, 4, 8, 8, 8, 4, 1, 8, 8 or 16); for PT_UNICODE and PT_BINARY the
 * bytes after the uint32 length (len = that length); for multi-valued
 * types everything from the uint32 count to the end of the last value (len
 * = 4 + the values' encoded size; ews_blob_mv_* read and build them).
 */
typedef struct EwsBlobProp
{
	uint32_t	tag;
	uint32_t	len;
	const uint8_t *value;
} EwsBlobProp;

/* One entry of the named-property table */
typedef struct EwsBlobName
{
	uint32_t	tag;			/* local tag: id >= 0x8000 << 16 | type */
	const uint8_t *guid;		/* EWS_GUID_SIZE bytes, MAPI byte order */
	uint8_t		kind;			/* EWS_NAME_KIND_ID or EWS_NAME_KIND_STRING */
	uint32_t	lid;			/* kind 0 */
	uint32_t	name_len;		/* kind 1: bytes of UTF-8 */
	const uint8_t *name;		/* kind 1 */
} EwsBlobName;

/*
 * Check everything before trusting anything.  max_size 0 = no limit.  On
 * failure *err_offset (may be NULL) gets the byte offset where the check
 * failed; on success *nprops (may be NULL) gets the property count.
 *
 * Order of checks: size limit; header (short, magic, version, flags); the
 * named-property table when flag bit 0 is set (count: present, not 0, fits;
 * then per entry: tag id >= 0x8000, order and duplicate ids, kind, the
 * name: empty, runs past the end, too long by bytes, NUL, UTF-8, too long
 * in UTF-16 units; then duplicate names over the whole table); then per
 * property: type, lengths in bounds (multi-valued: the count fits, then
 * each value), booleans, UTF-8, tag order, and for ids >= 0x8000 an entry
 * with the same tag (an entry skipped on the way is unused); then trailing
 * bytes, entries left unused, CRC, message class.
 *
 * Offsets reported: TOO_LARGE max_size; TOO_SHORT len; BAD_MAGIC 0;
 * BAD_VERSION 4; BAD_FLAGS 6; TRUNCATED the field that does not fit (the
 * tag, the fixed-size value, the uint32 length or count, or for a value
 * that runs past the end its uint32 length); BAD_TYPE, TAG_ORDER and
 * NAME_MISSING the property's tag; BAD_BOOLEAN the value byte; BAD_UTF8 the
 * first byte of the bad sequence; MV_COUNT the count; TRAILING_BYTES the
 * first byte after the last property; BAD_CRC len - 4; NO_MESSAGE_CLASS
 * where that property would have had to be (before the first larger tag);
 * NAMES_EMPTY and NAMES_COUNT 12 (the table's count); NAME_TRUNCATED the
 * entry's field that does not fit (the name's length for a name that runs
 * past the end); NAME_TAG_LOW, NAME_ORDER, NAME_DUP_TAG, NAME_DUP (the
 * later of the two entries) and NAME_UNUSED the entry's tag; NAME_BAD_KIND
 * the kind byte; NAME_EMPTY and NAME_TOO_LONG the name's length field;
 * NAME_NUL the NUL byte; NAME_BAD_UTF8 the bad sequence.
 */
EwsBlobStatus ews_blob_validate(const uint8_t *buf, size_t len, size_t max_size,
								uint32_t *nprops, size_t *err_offset);

/*
 * The reader for what the store itself holds (re-deriving columns from a
 * stored blob, the upgrade from 0.1): the same checks, except that a blob
 * without a named-property table (flags 0) may hold property ids of 0x8000
 * and up without names, as 0.1 accepted and stored them.  Never for what
 * clients send.  No size limit.
 */
EwsBlobStatus ews_blob_validate_stored(const uint8_t *buf, size_t len,
									   uint32_t *nprops, size_t *err_offset);

/*
 * Lower-case English phrase naming what failed, e.g. "CRC-32C mismatch";
 * one fixed phrase per status, never NULL.  Callers add the offset.
 */
const char *ews_blob_status_text(EwsBlobStatus st);

/* The CRC-32C (PostgreSQL's, port/pg_crc32c.h) of len bytes, as blobs end with it */
uint32_t	ews_blob_checksum(const uint8_t *buf, size_t len);

/*
 * Iteration over the properties of a blob that ews_blob_validate accepted
 * (the named-property table is skipped).  Still bounds-checked: on a
 * malformed blob it stops early (returns false and sets bad) rather than
 * read outside [buf, buf+len).
 */
typedef struct EwsBlobIter
{
	const uint8_t *p;
	const uint8_t *end;
	uint32_t	remaining;
	bool		bad;			/* the walk stopped on damage */
} EwsBlobIter;

void		ews_blob_iter_init(EwsBlobIter *it, const uint8_t *buf, size_t len);
bool		ews_blob_iter_next(EwsBlobIter *it, EwsBlobProp *prop);

/* Find one property of a validated blob; false when absent */
bool		ews_blob_find(const uint8_t *buf, size_t len, uint32_t tag, EwsBlobProp *prop);

/*
 * The named-property table of a validated blob, in tag order (none when
 * flag bit 0 is clear).  Bounds-checked like the property iterator.
 */
typedef struct EwsBlobNameIter
{
	const uint8_t *p;
	const uint8_t *end;
	uint32_t	remaining;
	bool		bad;
} EwsBlobNameIter;

void		ews_blob_names_init(EwsBlobNameIter *it, const uint8_t *buf, size_t len);
bool		ews_blob_names_next(EwsBlobNameIter *it, EwsBlobName *name);

/*
 * A named property's local tag in a validated blob, found by its name:
 * (GUID, LID) or (GUID, UTF-8 name, byte-exact).  false when the blob has
 * no such name.  guid is EWS_GUID_SIZE bytes in MAPI byte order.
 */
bool		ews_blob_find_named_id(const uint8_t *buf, size_t len, const uint8_t *guid,
								   uint32_t lid, uint32_t *tag);
bool		ews_blob_find_named_string(const uint8_t *buf, size_t len, const uint8_t *guid,
									   const uint8_t *name, size_t name_len, uint32_t *tag);
/* The table entry of local tag `tag` (the exact tag); false when absent */
bool		ews_blob_name_of(const uint8_t *buf, size_t len, uint32_t tag, EwsBlobName *name);

/*
 * GUIDs as text ("00020329-0000-0000-c000-000000000046", 36 characters,
 * hex digits of either case, no braces) to and from MAPI byte order.
 * parse returns false on anything else; format writes 36 lower-case
 * characters and a NUL.
 */
bool		ews_guid_parse(const char *text, size_t len, uint8_t guid[EWS_GUID_SIZE]);
void		ews_guid_format(const uint8_t guid[EWS_GUID_SIZE], char text[37]);

/*
 * Multi-valued values.  A multi-valued EwsBlobProp's value is its uint32
 * count and the values; the iterator hands out each value as a single-
 * valued EwsBlobProp (tag with the 0x1000 bit cleared, len, value).  It
 * checks bounds as it goes and stops on a malformed value.
 */
typedef struct EwsBlobMvIter
{
	const uint8_t *p;
	const uint8_t *end;
	uint32_t	remaining;
	uint32_t	tag;			/* the single-valued tag */
} EwsBlobMvIter;

uint32_t	ews_blob_mv_count(const EwsBlobProp *prop);
void		ews_blob_mv_init(EwsBlobMvIter *it, const EwsBlobProp *prop);
bool		ews_blob_mv_next(EwsBlobMvIter *it, EwsBlobProp *value);

/*
 * Build the value of a multi-valued property of type mv_type (0x1000 |
 * base) from n single values (only len and value of each are used; fixed-
 * size values must have their type's size).  ews_blob_mv_size gives the
 * bytes needed (0 when the values do not fit the type or the total does
 * not fit in 32 bits); ews_blob_mv_encode writes them and returns the same
 * number, or 0 and writes nothing when outlen is too small or the values
 * are wrong.  Value contents (UTF-8, booleans) are checked when the
 * property is written into a blob.
 */
size_t		ews_blob_mv_size(uint16_t mv_type, const EwsBlobProp *values, size_t n);
size_t		ews_blob_mv_encode(uint16_t mv_type, const EwsBlobProp *values, size_t n,
							   uint8_t *out, size_t outlen);

/*
 * Writer.  props must be sorted strictly ascending by tag, of known types,
 * fixed-size values with len equal to their size, multi-valued values well
 * formed, booleans 0 or 1, strings valid UTF-8, and PidTagMessageClass
 * present; names (for the _named forms) sorted by tag, one per named
 * property and none unused, each within the table's rules.  The writer
 * never makes a blob that ews_blob_validate would refuse: otherwise encode
 * returns the status validate would give and writes nothing; TOO_LARGE
 * when outlen is smaller than the encoded size.  encoded_size returns 0
 * when the input is invalid.  The output is the canonical form with the
 * CRC; without names the flags are 0, as in 0.1.
 */
size_t		ews_blob_encoded_size(const EwsBlobProp *props, size_t n);
EwsBlobStatus ews_blob_encode(const EwsBlobProp *props, size_t n, uint8_t *out, size_t outlen);
size_t		ews_blob_encoded_size_named(const EwsBlobProp *props, size_t n,
										const EwsBlobName *names, size_t m);
EwsBlobStatus ews_blob_encode_named(const EwsBlobProp *props, size_t n,
									const EwsBlobName *names, size_t m,
									uint8_t *out, size_t outlen);

/*
 * Copy a validated blob, replacing the values of properties whose tags
 * appear in `over` (sorted ascending, unique) and inserting those that are
 * absent, in tag order; the named-property table is copied as it is, so
 * `over` may hold a named property only with a tag the table has.  The CRC
 * is recomputed.  merged_size tells how many bytes out must have; it
 * returns 0 when `over` breaks the writer's rules (PidTagMessageClass not
 * required in `over`) or the blob does not walk cleanly, and then
 * ews_blob_merge writes nothing.  out must not overlap buf.  This is how
 * the store stamps its two properties on every write.
 */
size_t		ews_blob_merged_size(const uint8_t *buf, size_t len, const EwsBlobProp *over, size_t n);
void		ews_blob_merge(const uint8_t *buf, size_t len, const EwsBlobProp *over, size_t n, uint8_t *out);

/*
 * Edit a validated blob in one re-encode: set (insert or replace) and
 * delete properties, tagged and named, in the order given; later edits see
 * the earlier ones.
 *
 *	 name == NULL: the property is prop.tag exactly.  A tag with id >= 0x8000
 *	   must be one the table has (its name is kept); DELETE of it removes
 *	   the property and its entry.
 *	 name != NULL: the named property with that (GUID, kind, LID or name);
 *	   name->tag is ignored.  SET takes the type from prop.tag (the id part
 *	   is ignored): an existing name keeps its local id (its type changes
 *	   if prop.tag's differs, and the old value goes); a new name gets the
 *	   lowest id from 0x8000 up that the blob does not use.  DELETE removes
 *	   the property and its entry; an absent name is no error.
 *
 * A 0.1 blob (no table) whose properties include ids of 0x8000 and up
 * without names (ews_blob_validate_stored) can be edited as long as no
 * name is added; those properties are kept as they are.
 *
 * DELETE of an absent property is no error.  On success *out is a new
 * blob (from alloc) of *outlen bytes, canonical, with the CRC, and tags
 * (may be NULL; n entries) gets the local tag each edit ended at (0 for a
 * delete of something absent).  On failure nothing is returned, and the
 * status is the writer's (the result would break that rule), or
 * NAMES_COUNT when a new name would go past EWS_BLOB_MAX_NAMES or id
 * 0xFFFF, NAME_MISSING for a named tag the table does not have, TRUNCATED
 * when the blob does not walk cleanly.  Memory comes from alloc(ctx, size)
 * (never NULL, as palloc; the caller frees it all, e.g. with its memory
 * context); values are copied only into the result.
 */
typedef void *(*ews_blob_alloc_fn) (void *ctx, size_t size);

typedef enum EwsBlobEditOp
{
	EWS_BLOB_SET = 0,
	EWS_BLOB_DELETE
} EwsBlobEditOp;

typedef struct EwsBlobEdit
{
	EwsBlobEditOp op;
	const EwsBlobName *name;	/* NULL: prop.tag names the property */
	EwsBlobProp prop;			/* SET: tag (type) and value; DELETE: tag */
} EwsBlobEdit;

EwsBlobStatus ews_blob_edit(const uint8_t *buf, size_t len,
							const EwsBlobEdit *edits, size_t n,
							ews_blob_alloc_fn alloc, void *ctx,
							uint8_t **out, size_t *outlen, uint32_t *tags);

/* Little helpers for callers */
uint32_t	ews_le32(const uint8_t *p);
uint64_t	ews_le64(const uint8_t *p);
uint16_t	ews_le16(const uint8_t *p);
void		ews_put_le32(uint8_t *p, uint32_t v);
void		ews_put_le64(uint8_t *p, uint64_t v);
void		ews_put_le16(uint8_t *p, uint16_t v);

#endif							/* EWS_BLOB_H */
