/*
 * mime.h
 *	  Header-section parser for RFC 5322 messages handed to ews_create_item.
 *
 * Pure C (C11 + libc, plus iconv(3) from glibc); no postgres.h, so the unit
 * tests and the libFuzzer harness can exercise it outside the server.  The
 * parser reads untrusted mail: it never crashes, runs in time linear in the
 * input, and reports a status instead of guessing when the bytes are not a
 * message.  All memory comes from the caller's allocator (palloc in the
 * server), which never returns NULL; nothing is freed here.
 */
#ifndef EWS_MIME_H
#define EWS_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest header section accepted, blank line included. */
#define EWS_MIME_MAX_HEADER (1024 * 1024)
/* Most header fields accepted (continuation lines do not count). */
#define EWS_MIME_MAX_FIELDS 10000

/* Never returns NULL (caller's allocator throws). */
typedef void *(*ews_mime_alloc_fn) (void *ctx, size_t size);

typedef struct EwsMimeInfo
{
	char	   *subject;		/* NUL-terminated valid UTF-8: unfolded, RFC
								 * 2047 encoded-words decoded, no control
								 * chars but TAB; NULL if no Subject */
	char	   *message_id;		/* Message-ID value trimmed, including the
								 * angle brackets as sent (made valid UTF-8,
								 * controls as spaces); NULL if absent or
								 * empty */
	bool		has_date;		/* a parseable Date: header */
	int64_t		date;			/* its value as FILETIME: 100 ns ticks since
								 * 1601-01-01 UTC */
	bool		has_received;	/* a parseable date after the last ';' of the
								 * FIRST (topmost) Received: header */
	int64_t		received;		/* FILETIME */
	size_t		header_len;		/* bytes of the header section including the
								 * blank line (or whole input when there is
								 * no body) */
} EwsMimeInfo;

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

/*
 * Parse the header section of msg[0..len).  On EWS_MIME_OK *out is filled
 * in; on any other status *out is all zero / NULL / false.
 */
EwsMimeStatus ews_mime_parse(const uint8_t *msg, size_t len, EwsMimeInfo *out,
							 ews_mime_alloc_fn alloc, void *ctx);

/* Lower-case phrase, e.g. "the header section has a line that is not a header field". */
const char *ews_mime_status_text(EwsMimeStatus st);

/* ews_utf8_valid, the one UTF-8 validator (which refuses NUL too) */
#include "utf8.h"

#endif							/* EWS_MIME_H */
