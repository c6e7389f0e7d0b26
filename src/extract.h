/*
 * extract.h
 *	  The columns of ews.item derived from an item's blob.
 *
 * The blob is the item; these columns are a cache of some of its values
 * that FindItem restricts and sorts on and folder counts need, so that a
 * query over a folder of 100 000 items decodes no blob.  They are derived
 * from the blob alone, by ews_item_columns, on every write of the item (and
 * by the update script for items stored before).
 */
#ifndef EWS_EXTRACT_H
#define EWS_EXTRACT_H

#include "postgres.h"

#include "datatype/timestamp.h"

/* the extracted columns of ews.item, in the order of ews.item_columns(bytea) */
typedef enum EwsItemCol
{
	EWS_COL_ITEM_CLASS,			/* PidTagMessageClass; never null */
	EWS_COL_SUBJECT,
	EWS_COL_SIZE,				/* never null */
	EWS_COL_RECEIVED_AT,
	EWS_COL_IS_READ,			/* never null */
	EWS_COL_LAST_MODIFIED,
	EWS_COL_SENT_AT,
	EWS_COL_CREATED_AT,			/* null: the writer uses the time of the first store */
	EWS_COL_MESSAGE_FLAGS,
	EWS_COL_FLAG_STATUS,
	EWS_COL_IMPORTANCE,
	EWS_COL_SENSITIVITY,
	EWS_COL_HAS_ATTACHMENTS,	/* never null */
	EWS_COL_INTERNET_MESSAGE_ID,
	EWS_COL_FROM_TEXT,
	EWS_COL_DISPLAY_TO,
	EWS_COL_DISPLAY_CC,
	EWS_COL_CATEGORIES,
	EWS_COL_IMAP_DELETED,
	EWS_COL_HEADERS,
	EWS_COL_BODY_TEXT,
	EWS_ITEM_NCOLS
} EwsItemCol;

typedef struct EwsItemColumns
{
	Datum		values[EWS_ITEM_NCOLS];
	bool		nulls[EWS_ITEM_NCOLS];
} EwsItemColumns;

/* column names and types, for statements that write them */
extern const char *const ews_item_col_names[EWS_ITEM_NCOLS];
extern const Oid ews_item_col_types[EWS_ITEM_NCOLS];

/*
 * Derive every column from a blob that ews_blob_validate accepted.  Values
 * are palloc'd in the current memory context.
 */
extern void ews_item_columns(const uint8 *blob, size_t len, EwsItemColumns *out);

/* FILETIME (100 ns ticks since 1601-01-01 UTC) and timestamptz */
extern int64 ews_filetime_from_timestamp(TimestampTz ts);
/* false when ft is before 1601 or outside timestamptz's range */
extern bool ews_filetime_to_timestamp(int64 ft, TimestampTz *out);

/* a PT_UNICODE value (valid UTF-8 without NUL: the codec checked) as a text datum in the database encoding */
extern Datum ews_utf8_text_datum(const uint8 *s, size_t len);

#endif
