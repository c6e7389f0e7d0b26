/*
 * getitem.h
 *	  What an item shows: the values behind its fields, from its row (the
 *	  extracted columns), its blob and its MIME.  Both faces read items
 *	  through these, so GetItem over SOAP and ews_get_items in SQL answer
 *	  the same thing.
 */
#ifndef EWS_GETITEM_H
#define EWS_GETITEM_H

#include "finditem.h"

/* one item being answered; the MIME is looked up (and parsed) once, when first needed */
typedef struct EwsItemView
{
	const EwsItemRow *row;
	bool		mime_done;
	const uint8 *mime;			/* the stored message (0x7E01), or NULL */
	size_t		mime_len;
} EwsItemView;

extern void ews_item_view_init(EwsItemView *v, const EwsItemRow *row);

/* the item's RFC 5322 message as stored (PT_BINARY 0x7E01); false when it has none */
extern bool ews_item_mime(EwsItemView *v, const uint8 **mime, size_t *len);

/* an integer column's value (smallint, integer or bigint); the column must not be null */
extern int64 ews_row_int(const EwsItemRow *row, EwsColumn col);

/* a column's value as C text (text columns), NULL when null */
extern char *ews_row_text(const EwsItemRow *row, EwsColumn col);

/* one field of a header block (PR_TRANSPORT_MESSAGE_HEADERS) */
typedef struct EwsHeaderField
{
	char	   *name;
	char	   *value;			/* unfolded, leading white space removed */
} EwsHeaderField;

/* split a header block into its fields, in order; returns their number */
extern int	ews_header_block_split(const char *block, EwsHeaderField **fields);
/* the value of the first field of that name (case ignored), or NULL */
extern char *ews_header_block_value(const char *block, const char *name);

/* "Name <address>" (from_text) back into its parts; name NULL when none */
extern void ews_mailbox_text_split(const char *text, char **name, char **address);

/* item:Preview: the first 255 characters of the body's text, white space runs as one space */
extern char *ews_body_preview(const char *body_text);

#endif
