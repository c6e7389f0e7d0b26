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
#include "mime.h"

/* one item being answered; the MIME is looked up (and parsed) once, when first needed */
typedef struct EwsItemView
{
	const EwsItemRow *row;
	bool		mime_done;
	const uint8 *mime;			/* the stored message (0x7E01), or generated */
	size_t		mime_len;
	bool		mime_generated;
	bool		msg_done;
	EwsMimeMessage *msg;		/* the stored message, parsed; NULL when none */
} EwsItemView;

extern void ews_item_view_init(EwsItemView *v, const EwsItemRow *row);

/*
 * The item's RFC 5322 message: the one stored with it (PT_BINARY 0x7E01),
 * or, for an item stored from properties alone (UploadItems of a blob
 * without one), one generated from its properties (subject, From, dates,
 * Message-ID, importance, sensitivity, categories, PidTagBody /
 * PidTagHtml), deterministic for the item.  False only when even that
 * cannot be made.
 */
extern bool ews_item_mime(EwsItemView *v, const uint8 **mime, size_t *len);

/* the stored message parsed (ews_mime_parse_message); NULL when the item has none */
extern const EwsMimeMessage *ews_item_message(EwsItemView *v);

/* what item:Body shows */
typedef enum EwsBodyWant
{
	EWS_BODY_BEST,				/* HTML when the item has HTML, else text */
	EWS_BODY_HTML,
	EWS_BODY_TEXT
} EwsBodyWant;

/*
 * The body as asked for: from the message (its text/plain and text/html
 * parts; the other rendered when only one exists), else from the blob
 * (PidTagHtml 0x1013, PidTagBody 0x1000).  *is_html tells which it is.
 * An item without any body gives "" as text.
 */
extern char *ews_item_body(EwsItemView *v, EwsBodyWant want, bool *is_html, size_t *len);

/* an integer column's value (smallint, integer or bigint); the column must not be null */
extern int64 ews_row_int(const EwsItemRow *row, EwsColumn col);

/*
 * An attachment's id: the item's id and the attachment's position in the
 * message (base64).  GetAttachment is not implemented; the id names the
 * attachment for clients that key attachments by it.
 */
extern char *ews_attachment_id(const EwsItemRow *row, int index);

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
