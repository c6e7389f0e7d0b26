/*
 * blob.h
 *	  The item blob, version 1: the stored form of an item and the Data of
 *	  ExportItems and UploadItems.
 *
 * Layout (all integers little-endian; see DESIGN.md "Item blob format"):
 *
 *	 0	4	magic "EWSB"
 *	 4	2	format version = 1
 *	 6	2	flags = 0 (reserved; readers refuse anything else)
 *	 8	4	property count N
 *	12	..	N properties, tags strictly ascending, each
 *			  uint32 tag (property id << 16 | property type), then the value:
 *			  fixed-size types their bytes, PT_UNICODE / PT_BINARY a uint32
 *			  byte length followed by that many bytes
 *	end-4	4	CRC-32C of every byte before it
 *
 * The format has exactly one encoding for a set of properties, so a
 * validated blob is byte-for-byte what ews_blob_encode makes of its
 * properties.  Pure C, no postgres.h, no allocation: callers pass buffers.
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

/* Property types (the low 16 bits of a tag) */
#define EWS_PT_SHORT   0x0002
#define EWS_PT_LONG    0x0003
#define EWS_PT_BOOLEAN 0x000B
#define EWS_PT_I8      0x0014
#define EWS_PT_SYSTIME 0x0040
#define EWS_PT_UNICODE 0x001F
#define EWS_PT_BINARY  0x0102

#define EWS_PROP_TYPE(tag) ((uint16_t) ((tag) & 0xFFFFu))
#define EWS_PROP_ID(tag)   ((uint16_t) ((tag) >> 16))

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

typedef enum EwsBlobStatus
{
	EWS_BLOB_OK = 0,
	EWS_BLOB_TOO_LARGE,			/* over max_size: maps to ErrorDataSizeLimitExceeded;
								 * also ews_blob_encode's answer when outlen is
								 * too small */
	EWS_BLOB_TOO_SHORT,			/* shorter than header + CRC */
	EWS_BLOB_BAD_MAGIC,
	EWS_BLOB_BAD_VERSION,
	EWS_BLOB_BAD_FLAGS,
	EWS_BLOB_TRUNCATED,			/* a property or length runs past the end (before
								 * the CRC) */
	EWS_BLOB_BAD_TYPE,			/* unknown property type; from the writer also a
								 * fixed-size value whose len is not its size, or
								 * value NULL with len > 0 */
	EWS_BLOB_BAD_BOOLEAN,		/* PT_BOOLEAN not 0 or 1 */
	EWS_BLOB_BAD_UTF8,			/* PT_UNICODE not valid UTF-8 (overlongs,
								 * surrogates, > U+10FFFF and NUL bytes refused) */
	EWS_BLOB_TAG_ORDER,			/* tags not strictly ascending (covers duplicates) */
	EWS_BLOB_TRAILING_BYTES,	/* bytes left between the last property and the CRC */
	EWS_BLOB_BAD_CRC,
	EWS_BLOB_NO_MESSAGE_CLASS	/* PidTagMessageClass missing */
} EwsBlobStatus;

typedef struct EwsBlobProp
{
	uint32_t	tag;
	uint32_t	len;			/* value length in bytes; for fixed-size types
								 * their size (2,4,1,8,8) */
	const uint8_t *value;		/* the value bytes as they stand in the blob
								 * (little-endian; for PT_UNICODE/PT_BINARY the
								 * bytes after the uint32 length) */
} EwsBlobProp;

/*
 * Check everything before trusting anything.  max_size 0 = no limit.  On
 * failure *err_offset (may be NULL) gets the byte offset where the check
 * failed; on success *nprops (may be NULL) gets the property count.
 *
 * Order of checks: size limit first, then header (short, magic, version,
 * flags), then walk properties (for each: type, lengths in bounds, boolean,
 * utf8, tag order), then trailing bytes, then CRC, then message class.
 *
 * Offsets reported: TOO_LARGE max_size; TOO_SHORT len; BAD_MAGIC 0;
 * BAD_VERSION 4; BAD_FLAGS 6; TRUNCATED the field that does not fit (the
 * tag, the fixed-size value, the uint32 length, or for a PT_UNICODE/
 * PT_BINARY value that runs past the end its uint32 length); BAD_TYPE and
 * TAG_ORDER the property's tag; BAD_BOOLEAN the value byte; BAD_UTF8 the
 * first byte of the bad sequence; TRAILING_BYTES the first byte after the
 * last property; BAD_CRC len - 4; NO_MESSAGE_CLASS where that property would
 * have had to be (before the first larger tag).
 */
EwsBlobStatus ews_blob_validate(const uint8_t *buf, size_t len, size_t max_size,
								uint32_t *nprops, size_t *err_offset);

/*
 * Lower-case English phrase naming what failed, e.g. "CRC-32C mismatch";
 * one fixed phrase per status, never NULL.  Callers add the offset.
 */
const char *ews_blob_status_text(EwsBlobStatus st);

/*
 * Iteration over a blob that ews_blob_validate accepted.  Still bounds-
 * checked: on a malformed blob it stops early (returns false) rather than
 * read outside [buf, buf+len).
 */
typedef struct EwsBlobIter
{
	const uint8_t *p;
	const uint8_t *end;
	uint32_t	remaining;
} EwsBlobIter;

void		ews_blob_iter_init(EwsBlobIter *it, const uint8_t *buf, size_t len);
bool		ews_blob_iter_next(EwsBlobIter *it, EwsBlobProp *prop);

/* Find one property of a validated blob; false when absent */
bool		ews_blob_find(const uint8_t *buf, size_t len, uint32_t tag, EwsBlobProp *prop);

/*
 * Writer.  props must be sorted strictly ascending by tag, of known types,
 * fixed-size values with len equal to their size, booleans 0 or 1,
 * PT_UNICODE valid UTF-8, and PidTagMessageClass present: the writer never
 * makes a blob that ews_blob_validate would refuse.  Otherwise encode
 * returns the status validate would give (BAD_TYPE for a wrong fixed size)
 * and writes nothing; TOO_LARGE when outlen is smaller than the encoded
 * size.  encoded_size returns 0 when props are invalid.  The output is the
 * canonical form with the CRC.
 */
size_t		ews_blob_encoded_size(const EwsBlobProp *props, size_t n);
EwsBlobStatus ews_blob_encode(const EwsBlobProp *props, size_t n, uint8_t *out, size_t outlen);

/*
 * Copy a validated blob, replacing the values of properties whose tags
 * appear in `over` (sorted ascending, unique) and inserting those that are
 * absent, in tag order; recompute the CRC.  merged_size tells how many bytes
 * out must have; it returns 0 when `over` breaks the writer's rules above
 * (PidTagMessageClass not required in `over`) or the blob does not walk
 * cleanly, and then ews_blob_merge writes nothing.  out must not overlap buf.
 */
size_t		ews_blob_merged_size(const uint8_t *buf, size_t len, const EwsBlobProp *over, size_t n);
void		ews_blob_merge(const uint8_t *buf, size_t len, const EwsBlobProp *over, size_t n, uint8_t *out);

/* Little helpers for callers */
uint32_t	ews_le32(const uint8_t *p);
uint64_t	ews_le64(const uint8_t *p);
uint16_t	ews_le16(const uint8_t *p);
void		ews_put_le32(uint8_t *p, uint32_t v);
void		ews_put_le64(uint8_t *p, uint64_t v);
void		ews_put_le16(uint8_t *p, uint16_t v);

#endif							/* EWS_BLOB_H */
