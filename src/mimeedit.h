/*
 * mimeedit.h
 *	  Changing the fields of a stored RFC 5322 message: what UpdateItem and
 *	  CreateItem do to an item's message (PT_BINARY 0x7E01) when a client
 *	  changes a property the message carries (Subject, recipients, the
 *	  body, ...).
 *
 * The rule (README, "Items and their message"): the message is the item's
 * content and always agrees with the properties that mirror it.
 *
 *	- A header field change rewrites only that field: every field of that
 *	  name (for importance also X-Priority, X-MSMail-Priority and Priority)
 *	  is removed and the new one, written as the generator writes it
 *	  (RFC 2047 encoded-words, folded at 78), takes the place of the first
 *	  one removed, or goes at the end of the header section when there was
 *	  none.  Every other byte of the message stays as it was: the other
 *	  fields, their order and folding, the line ends (CRLF or bare LF, as
 *	  the message uses), the body.
 *	- A body change makes the message anew with ews_mime_generate: the
 *	  parsed fields with the changes applied, every other top-level field
 *	  kept (RFC 2047 decoded and encoded again), the new body.  A message
 *	  with attachments is refused: the generator writes no attachments, and
 *	  dropping them silently would lose mail.
 *	- A field the message already has with the same value is not touched,
 *	  so a client that saves every field back (exchangelib's save()) leaves
 *	  the message byte for byte as it was.
 *
 * Pure C (no postgres.h), part of the MIME codec; memory from the caller's
 * allocator, as in mime.h.
 */
#ifndef EWS_MIMEEDIT_H
#define EWS_MIMEEDIT_H

#include "mime.h"

/* The message fields an edit can change, in the generator's field order */
typedef enum EwsMimeEditField
{
	EWS_ME_DATE = 0,			/* Date (item:DateTimeSent) */
	EWS_ME_FROM,				/* From (message:From) */
	EWS_ME_SENDER,				/* Sender (message:Sender) */
	EWS_ME_REPLY_TO,			/* Reply-To (message:ReplyTo) */
	EWS_ME_TO,					/* To */
	EWS_ME_CC,					/* Cc */
	EWS_ME_BCC,					/* Bcc */
	EWS_ME_SUBJECT,				/* Subject */
	EWS_ME_MESSAGE_ID,			/* Message-ID (message:InternetMessageId) */
	EWS_ME_IN_REPLY_TO,			/* In-Reply-To (item:InReplyTo) */
	EWS_ME_REFERENCES,			/* References (message:References) */
	EWS_ME_IMPORTANCE,			/* Importance, X-Priority, X-MSMail-Priority, Priority */
	EWS_ME_SENSITIVITY,			/* Sensitivity */
	EWS_ME_BODY,				/* the text and HTML bodies */
	EWS_ME_COUNT
} EwsMimeEditField;

#define EWS_ME_BIT(f) (1u << (f))
#define EWS_ME_ALL ((1u << EWS_ME_COUNT) - 1)

typedef enum EwsMimeEditStatus
{
	EWS_MIMEEDIT_OK = 0,
	EWS_MIMEEDIT_NOT_A_MESSAGE, /* the stored bytes do not parse as a message */
	EWS_MIMEEDIT_ATTACHMENTS,	/* a body change of a message with attachments */
	EWS_MIMEEDIT_GENERATE		/* the generator refused a value: see *gen */
} EwsMimeEditStatus;

/* Lower-case phrase naming what failed. */
const char *ews_mime_edit_status_text(EwsMimeEditStatus st);

/*
 * Of the fields in `which`, those whose value in f differs from the one in
 * old (a parse of the message): the ones an edit would change.  Strings
 * compare byte for byte (NULL and "" alike), address lists element by
 * element (name, address), dates to the second, bodies byte for byte.
 */
unsigned	ews_mime_fields_differ(const EwsMimeFields *old, const EwsMimeFields *f, unsigned which);

/*
 * Change the fields in `which` of the message msg[0..len) to their values in
 * f: a NULL string, an empty list, normal importance or sensitivity,
 * has_date false and a missing body mean "none" (the field is removed).
 * The rest of f is ignored.  On EWS_MIMEEDIT_OK *out (allocated, *out_len
 * bytes) is the new message; seed makes a regenerated message's multipart
 * boundary deterministic (see ews_mime_generate).  On EWS_MIMEEDIT_GENERATE
 * *gen says what the generator refused (an address that is not ASCII, ...).
 */
EwsMimeEditStatus ews_mime_edit(const uint8_t *msg, size_t len, const EwsMimeFields *f, unsigned which,
								uint64_t seed, uint8_t **out, size_t *out_len, EwsMimeGenStatus *gen,
								ews_mime_alloc_fn alloc, void *ctx);

#endif							/* EWS_MIMEEDIT_H */
