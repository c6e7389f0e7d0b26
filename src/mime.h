/*
 * mime.h
 *	  The MIME codec: RFC 5322 + MIME messages read and written.
 *
 * Four entry points, all pure C (C11 + libc, plus iconv(3) from glibc); no
 * postgres.h, so the unit tests and the libFuzzer harnesses link them alone:
 *
 *   ews_mime_parse          the header fields ews_create_item has used since
 *                           0.1 (Subject, Message-ID, Date, Received)
 *   ews_mime_parse_message  the whole message: header fields, address lists,
 *                           body structure, text and HTML bodies, attachments
 *   ews_mime_generate       a message from properties (exchangelib's
 *                           Message(subject=..., body=...).save())
 *   ews_mime_html_to_text / ews_mime_text_to_html   body renderings
 *
 * Memory.  Everything comes from the caller's allocator (palloc in the
 * server; it never returns NULL and may throw, i.e. longjmp, so the codec
 * holds no other resource across an allocation) and nothing is freed here:
 * free the whole context when done.  Results point into that memory, never
 * into the input, unless a comment says otherwise (attachment offsets).
 *
 * Hostile input.  The readers never crash, run in time linear in their input
 * (every count below has a bound; EwsMimeMessage.work lets tests check it),
 * and say with a status when the bytes are not a message.  Past the top-level
 * header section nothing fails the message: a broken body part is kept as an
 * opaque attachment and a flag says what was degraded.
 *
 * Strings handed back ("clean text") are NUL-terminated, valid UTF-8 and free
 * of the code points XML 1.0 and PostgreSQL text cannot carry: header values
 * have no control character but TAB (C0, DEL and C1 become a space), bodies
 * keep TAB, CR and LF and turn the other controls into a space; U+FFFE and
 * U+FFFF become U+FFFD, as do ill-formed bytes.
 */
#ifndef EWS_MIME_H
#define EWS_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ----------------------------------------------------------------
 * Limits (every input has a bound)
 * ----------------------------------------------------------------
 */

/* Largest top-level header section accepted, blank line included. */
#define EWS_MIME_MAX_HEADER (1024 * 1024)
/* Most top-level header fields accepted (continuation lines do not count). */
#define EWS_MIME_MAX_FIELDS 10000
/* Deepest multipart nesting read; a deeper multipart is one opaque part. */
#define EWS_MIME_MAX_DEPTH 20
/*
 * Most body parts (leaves and multiparts) read; the rest of each open
 * multipart is not split but kept as one opaque attachment (so at most
 * EWS_MIME_MAX_PARTS + EWS_MIME_MAX_DEPTH + 1 attachments).
 */
#define EWS_MIME_MAX_PARTS 1000
/* Largest header section of a body part; a larger one makes the part opaque. */
#define EWS_MIME_MAX_PART_HEADER (64 * 1024)
/* Most addresses kept over all address fields together; the rest dropped. */
#define EWS_MIME_MAX_ADDRESSES 10000
/* Most categories (Keywords) kept. */
#define EWS_MIME_MAX_CATEGORIES 1000
/*
 * Bound on EwsMimeMessage.work: at most this many units (about one per byte
 * examined) per input byte, plus EWS_MIME_WORK_CONST.  Multipart nesting is
 * what costs: each level may look at its bytes once more.
 */
#define EWS_MIME_WORK_FACTOR (4 * (EWS_MIME_MAX_DEPTH + 4))
#define EWS_MIME_WORK_CONST 4096

/* Never returns NULL (caller's allocator throws). */
typedef void *(*ews_mime_alloc_fn) (void *ctx, size_t size);

/* ----------------------------------------------------------------
 * Statuses of the readers
 * ----------------------------------------------------------------
 */
typedef enum EwsMimeStatus
{
	EWS_MIME_OK = 0,
	EWS_MIME_EMPTY,				/* zero bytes */
	EWS_MIME_NOT_A_MESSAGE,		/* first line is not a header field (name:
								 * value), or no header field at all */
	EWS_MIME_BAD_HEADER,		/* a line in the header section that is
								 * neither a field nor a continuation */
	EWS_MIME_NUL_IN_HEADER,		/* NUL byte in the header section */
	EWS_MIME_HEADER_TOO_LARGE	/* header section over EWS_MIME_MAX_HEADER (1
								 * MiB) or over 10000 fields */
} EwsMimeStatus;

/* Lower-case phrase, e.g. "the header section has a line that is not a header field". */
const char *ews_mime_status_text(EwsMimeStatus st);

/* ----------------------------------------------------------------
 * 0.1: the header fields of ews_create_item
 * ----------------------------------------------------------------
 */
typedef struct EwsMimeInfo
{
	char	   *subject;		/* clean text: unfolded, RFC 2047
								 * encoded-words decoded; NULL if no Subject */
	char	   *message_id;		/* Message-ID value trimmed, including the
								 * angle brackets as sent (clean text); NULL
								 * if absent or empty */
	bool		has_date;		/* a parseable Date: header */
	int64_t		date;			/* its value as FILETIME: 100 ns ticks since
								 * 1601-01-01 UTC */
	bool		has_received;	/* a parseable date after the last ';' of the
								 * FIRST (topmost) Received: header */
	int64_t		received;		/* FILETIME */
	size_t		header_len;		/* bytes of the header section including the
								 * blank line (or whole input when there is
								 * no body) */
	size_t		work;			/* units of work spent (about one per byte
								 * examined): tests check it is linear */
} EwsMimeInfo;

/*
 * Parse the header section of msg[0..len).  On EWS_MIME_OK *out is filled
 * in; on any other status *out is all zero / NULL / false.
 * ews_mime_parse_message gives the same EwsMimeInfo and status for the same
 * input; this one reads nothing past the header section.
 */
EwsMimeStatus ews_mime_parse(const uint8_t *msg, size_t len, EwsMimeInfo *out,
							 ews_mime_alloc_fn alloc, void *ctx);

/* ----------------------------------------------------------------
 * The fields a message carries: parsed out, and generated from
 * ----------------------------------------------------------------
 */

/* PidTagImportance (0x0017) values */
typedef enum EwsMimeImportance
{
	EWS_MIME_IMPORTANCE_LOW = 0,
	EWS_MIME_IMPORTANCE_NORMAL = 1,
	EWS_MIME_IMPORTANCE_HIGH = 2
} EwsMimeImportance;

/* PidTagSensitivity (0x0036) values */
typedef enum EwsMimeSensitivity
{
	EWS_MIME_SENSITIVITY_NORMAL = 0,
	EWS_MIME_SENSITIVITY_PERSONAL = 1,
	EWS_MIME_SENSITIVITY_PRIVATE = 2,
	EWS_MIME_SENSITIVITY_CONFIDENTIAL = 3
} EwsMimeSensitivity;

typedef struct EwsMimeAddress
{
	char	   *name;			/* display name, clean text, RFC 2047 decoded,
								 * quotes and escapes removed; NULL if none */
	char	   *address;		/* addr-spec without CFWS, e.g. "a@b.example"
								 * or "\"a b\"@c" (a quoted local part stays
								 * quoted); clean text; "" when the element
								 * had a name but no address */
	char	   *group;			/* display name of the RFC 5322 group it was
								 * listed in ("Team: a@x, b@y;"), else NULL.
								 * An empty group adds no element. Ignored by
								 * the generator */
} EwsMimeAddress;

typedef struct EwsMimeAddressList
{
	EwsMimeAddress *v;
	size_t		n;
} EwsMimeAddressList;

/* One header field: name as sent, value unfolded and trimmed, clean text. */
typedef struct EwsMimeHeader
{
	char	   *name;
	char	   *value;			/* RFC 2047 encoded-words NOT decoded:
								 * ews_mime_decode_header_value does that */
} EwsMimeHeader;

/*
 * The item-level fields.  ews_mime_parse_message fills one in (extra is left
 * empty: EwsMimeMessage.headers lists every field); ews_mime_generate writes
 * one out.  parse(generate(f)) gives f back (see ews_mime_generate).
 */
typedef struct EwsMimeFields
{
	EwsMimeAddressList from;
	EwsMimeAddressList sender;	/* at most one element is meaningful */
	EwsMimeAddressList reply_to;
	EwsMimeAddressList to;
	EwsMimeAddressList cc;
	EwsMimeAddressList bcc;
	char	   *subject;		/* NULL: no Subject field */
	bool		has_date;
	int64_t		date;			/* FILETIME */
	char	   *message_id;		/* "<...>", as sent */
	char	   *in_reply_to;	/* as sent, white space runs made one space */
	char	   *references;		/* as sent, white space runs made one space */
	EwsMimeImportance importance;	/* Importance, X-Priority,
									 * X-MSMail-Priority or Priority, the
									 * first present in that order */
	EwsMimeSensitivity sensitivity; /* Sensitivity: Personal, Private,
									 * Company-Confidential */
	char	  **categories;		/* Keywords: every field, split at commas,
								 * each a decoded phrase; empty ones dropped */
	size_t		ncategories;
	char	   *text_body;		/* clean UTF-8 (line ends as sent); NULL when
								 * none; a body of length 0 and none are the
								 * same to the generator */
	size_t		text_body_len;
	char	   *html_body;		/* clean UTF-8, converted from its charset (a
								 * <meta charset> inside is not rewritten) */
	size_t		html_body_len;
	EwsMimeHeader *extra;		/* generator input only: more header fields */
	size_t		nextra;
} EwsMimeFields;

/* Zero everything, importance and sensitivity normal. */
void		ews_mime_fields_init(EwsMimeFields *f);

/* ----------------------------------------------------------------
 * The whole message
 * ----------------------------------------------------------------
 */

/* Content-Transfer-Encoding of a part */
typedef enum EwsMimeEncoding
{
	EWS_MIME_ENC_IDENTITY = 0,	/* 7bit, 8bit, binary, absent, or unknown
								 * (RFC 2045 6.4: an unknown encoding is
								 * opaque data) */
	EWS_MIME_ENC_BASE64,
	EWS_MIME_ENC_QUOTED_PRINTABLE
} EwsMimeEncoding;

typedef struct EwsMimeAttachment
{
	char	   *filename;		/* Content-Disposition filename, else
								 * Content-Type name (RFC 2231 continuations
								 * and charsets, RFC 2047 words decoded),
								 * only its last path component; clean text;
								 * NULL when none (a later body part) */
	char	   *content_type;	/* "type/subtype", lower-case ASCII;
								 * "application/octet-stream" when missing or
								 * malformed */
	char	   *content_id;		/* Content-ID without angle brackets, or NULL */
	char	   *content_location;	/* Content-Location, or NULL */
	bool		is_inline;		/* disposition inline, or no disposition and a
								 * Content-ID inside multipart/related */
	bool		is_message;		/* message/rfc822 or message/global: an item
								 * attachment; its bytes are a message to
								 * hand to ews_mime_parse_message */
	bool		broken;			/* kept opaque because it could not be read
								 * (a multipart without boundary, a part
								 * header over the limits, too deep) */
	size_t		size;			/* decoded size in bytes */
	/* where the encoded bytes are in the parsed input */
	size_t		body_offset;
	size_t		body_len;
	EwsMimeEncoding encoding;
} EwsMimeAttachment;

/* EwsMimeMessage.flags: what was degraded (the message was still read) */
#define EWS_MIME_F_PART_LIMIT		0x0001	/* over EWS_MIME_MAX_PARTS */
#define EWS_MIME_F_DEPTH_LIMIT		0x0002	/* over EWS_MIME_MAX_DEPTH */
#define EWS_MIME_F_ADDRESS_LIMIT	0x0004	/* over EWS_MIME_MAX_ADDRESSES */
#define EWS_MIME_F_CATEGORY_LIMIT	0x0008	/* over EWS_MIME_MAX_CATEGORIES */
#define EWS_MIME_F_BROKEN_MULTIPART 0x0010	/* no boundary, no delimiter, or
											 * no close delimiter */
#define EWS_MIME_F_BROKEN_PART		0x0020	/* a part header that is not
											 * one, or over its limit */
#define EWS_MIME_F_BAD_ENCODING		0x0040	/* base64/QP with invalid data
											 * (decoded leniently) */
#define EWS_MIME_F_CHARSET			0x0080	/* a charset that could not be
											 * converted (read as UTF-8 if
											 * valid, else windows-1252) */

typedef struct EwsMimeMessage
{
	EwsMimeInfo info;			/* exactly what ews_mime_parse gives */
	EwsMimeFields fields;		/* subject, message_id, has_date/date are
								 * info's */
	char	   *header_text;	/* the header section for
								 * PR_TRANSPORT_MESSAGE_HEADERS (0x007D): as
								 * sent, folded, every line ended by CRLF, the
								 * closing blank line left out; clean text
								 * but CR and LF kept */
	size_t		header_text_len;
	EwsMimeHeader *headers;		/* every top-level field, in order */
	size_t		nheaders;
	EwsMimeAttachment *attachments; /* in document order */
	size_t		nattachments;
	bool		has_attachments;	/* an attachment that is not inline
									 * (Exchange's HasAttachments) */
	size_t		nparts;			/* body parts read, multiparts included */
	unsigned	flags;			/* EWS_MIME_F_* */
	size_t		work;			/* units of work spent (see
								 * EWS_MIME_WORK_FACTOR) */
} EwsMimeMessage;

/*
 * Read the whole message msg[0..len).  The status is decided by the
 * top-level header section alone, exactly as ews_mime_parse decides it; on
 * EWS_MIME_OK *out is filled in, otherwise it is all zero.
 *
 * Body choice (as Exchange does): walking the parts depth first, the first
 * text/plain and the first text/html that are not attachments (no
 * "attachment" disposition, no file name) become text_body and html_body;
 * inside a multipart/alternative the other alternatives are dropped; every
 * other leaf, and a later text part of a multipart/mixed, is an attachment.
 * A message/rfc822 part is an attachment (is_message) and is not entered.
 * Use ews_mime_html_to_text for item:TextBody when there is only HTML.
 */
EwsMimeStatus ews_mime_parse_message(const uint8_t *msg, size_t len, EwsMimeMessage *out,
									 ews_mime_alloc_fn alloc, void *ctx);

/*
 * The decoded bytes of an attachment of a message parsed from msg[0..len)
 * (the same bytes): *out_len is a->size.  Never fails; returns a buffer of
 * at least one byte.
 */
uint8_t    *ews_mime_attachment_content(const uint8_t *msg, size_t len,
										const EwsMimeAttachment *a, size_t *out_len,
										ews_mime_alloc_fn alloc, void *ctx);

/* Decode an unstructured header value (RFC 2047 encoded-words) to clean text. */
char	   *ews_mime_decode_header_value(const char *value, ews_mime_alloc_fn alloc, void *ctx);

/*
 * "Name1; Name2; addr3" as PidTagDisplayTo/Cc show a list: the name, or the
 * address when there is none; "" for an empty list.
 */
char	   *ews_mime_display_list(const EwsMimeAddressList *l, ews_mime_alloc_fn alloc, void *ctx);

/* ----------------------------------------------------------------
 * Body renderings
 * ----------------------------------------------------------------
 */

/*
 * Plain text of an HTML document (item:TextBody, body search): tags dropped,
 * head, script, style and comments dropped, entities decoded (&nbsp; as a
 * space), white space collapsed outside <pre>, block elements and <br> as
 * line breaks (CRLF), at most one blank line in a row, trimmed.  Input is
 * UTF-8 (ill-formed bytes become U+FFFD); output is clean text, linear time.
 */
char	   *ews_mime_html_to_text(const char *html, size_t len, size_t *out_len,
								  ews_mime_alloc_fn alloc, void *ctx);

/*
 * An HTML document showing a text body: & < > " escaped, line breaks as
 * <br>, runs of spaces and TABs kept with &nbsp;, inside a minimal document
 * that declares UTF-8.
 */
char	   *ews_mime_text_to_html(const char *text, size_t len, size_t *out_len,
								  ews_mime_alloc_fn alloc, void *ctx);

/* ----------------------------------------------------------------
 * Generator
 * ----------------------------------------------------------------
 */
typedef enum EwsMimeGenStatus
{
	EWS_MIMEGEN_OK = 0,
	EWS_MIMEGEN_BAD_UTF8,		/* a string or body is not valid UTF-8 */
	EWS_MIMEGEN_BAD_ADDRESS,	/* an address is not an ASCII addr-spec
								 * local@domain */
	EWS_MIMEGEN_BAD_ID,			/* Message-ID, In-Reply-To or References not
								 * printable ASCII (or a line over 998) */
	EWS_MIMEGEN_BAD_DATE,		/* a date outside 1900..9999 */
	EWS_MIMEGEN_BAD_HEADER,		/* an extra header whose name is not a field
								 * name, or one the generator writes itself */
	EWS_MIMEGEN_TOO_LARGE		/* over EWS_MIME_MAX_ADDRESSES addresses,
								 * EWS_MIME_MAX_CATEGORIES categories, 9000
								 * extra headers, or a header section the
								 * reader would refuse (over
								 * EWS_MIME_MAX_HEADER) */
} EwsMimeGenStatus;

const char *ews_mime_gen_status_text(EwsMimeGenStatus st);

/*
 * Write f as an RFC 5322 message into *out (allocated, *out_len bytes, a
 * NUL after them).  On any other status *out is NULL and nothing is usable.
 *
 * Output: ASCII only, CRLF line ends, lines folded at 78 where the syntax
 * allows (no line over 998), fields in a fixed order: Date, From, Sender,
 * Reply-To, To, Cc, Bcc, Subject, Message-ID, In-Reply-To, References,
 * Importance and X-Priority (when not normal), Sensitivity (when not
 * normal), Keywords, the extra fields, MIME-Version, then the body:
 * text/plain or text/html with charset=utf-8, or multipart/alternative of
 * both, each part quoted-printable or base64, whichever is shorter (ties go
 * to quoted-printable); no body gives an empty text/plain part.
 * Header text that is not plain ASCII words (non-ASCII, "=?", leading,
 * trailing or doubled white space, over-long words, specials in a display
 * name) is written as RFC 2047 encoded-words: UTF-8, B or Q whichever is
 * shorter, at most 75 characters each, never splitting a character.
 *
 * Deterministic: the same f and seed give the same bytes (the multipart
 * boundary is derived from the seed and the bodies; it starts "=_", which
 * neither quoted-printable nor base64 output can contain).
 *
 * Round trip: ews_mime_parse_message(generated) gives back f: every field
 * with the same value, where strings are compared after the cleaning every
 * parsed string gets (controls as spaces), white space runs in In-Reply-To
 * and References as one space, empty categories dropped, a missing body as
 * an empty one, date in whole seconds, and each extra header found in
 * EwsMimeMessage.headers with a value ews_mime_decode_header_value turns
 * back into the given one.  Body bytes come back exactly (a bare LF stays a
 * bare LF).  Group names and attachments are not generated.
 */
EwsMimeGenStatus ews_mime_generate(const EwsMimeFields *f, uint64_t seed, uint8_t **out,
								   size_t *out_len, ews_mime_alloc_fn alloc, void *ctx);

/* ----------------------------------------------------------------
 * UTF-8
 * ----------------------------------------------------------------
 */

/* ews_utf8_valid, the one UTF-8 validator (which refuses NUL too) */
#include "utf8.h"

#endif							/* EWS_MIME_H */
