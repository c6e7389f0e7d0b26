/*
 * mimeint.h
 *	  Internals shared by the MIME codec's files (mime.c, mimemsg.c,
 *	  mimetext.c, mimegen.c).  Not an API: nothing outside the codec includes
 *	  it.  Pure C, no postgres.h.
 */
#ifndef EWS_MIMEINT_H
#define EWS_MIMEINT_H

#include "mime.h"

/* Charset names longer than this are not real charsets (RFC 2978 allows 40). */
#define EWSM_MAX_CHARSET_NAME 64

/*
 * Distinct iconv conversions per message (0.1: per Subject).  iconv_open on
 * alternating charsets loads and unloads gconv modules (tens of microseconds
 * each), which a hostile message of many tiny encoded-words or parts could
 * otherwise multiply into seconds.  Past the budget a charset counts as
 * unknown.
 */
#define EWSM_MAX_ICONV_RUNS 64

/* Growing byte buffer on the caller's allocator */
typedef struct EwsmBuf
{
	uint8_t    *data;
	size_t		len;
	size_t		cap;
	ews_mime_alloc_fn alloc;
	void	   *ctx;
} EwsmBuf;

void		ewsm_buf_init(EwsmBuf *b, size_t cap, ews_mime_alloc_fn alloc, void *ctx);
void		ewsm_buf_reserve(EwsmBuf *b, size_t extra);
void		ewsm_buf_put(EwsmBuf *b, const void *p, size_t n);
void		ewsm_buf_putc(EwsmBuf *b, uint8_t c);
void		ewsm_buf_puts(EwsmBuf *b, const char *s);
void		ewsm_buf_put_cp(EwsmBuf *b, uint32_t cp);
/* NUL-terminate (not counted in len) and return the data */
char	   *ewsm_buf_cstr(EwsmBuf *b);

/* Length of the well-formed UTF-8 sequence at s[0..n) (decoded into *cp), or 0. */
size_t		ewsm_utf8_seq(const uint8_t *s, size_t n, uint32_t *cp);

/* Clean text (see mime.h): header flavour (only TAB kept) or body flavour (TAB, CR, LF kept). */
char	   *ewsm_clean(const uint8_t *s, size_t n, bool body, size_t *out_len,
					   ews_mime_alloc_fn alloc, void *ctx);

typedef enum EwsmCharset
{
	EWSM_CS_UTF8,
	EWSM_CS_ASCII,
	EWSM_CS_LATIN1,
	EWSM_CS_CP1252,
	EWSM_CS_LATIN9,
	EWSM_CS_ICONV,				/* anything else: try iconv(3) */
	EWSM_CS_UNUSABLE			/* a name we refuse to hand to iconv_open */
} EwsmCharset;

EwsmCharset ewsm_charset_kind(const uint8_t *cs, size_t n);
/* Append s[0..n) in a natively known charset as UTF-8 (ill-formed: U+FFFD). */
void		ewsm_decode_native(EwsmBuf *b, const uint8_t *s, size_t n, EwsmCharset cs);

/*
 * Append s[0..n), in the charset named cs[0..csn), to out as UTF-8.  False
 * (nothing appended) when the charset is unusable, unknown to iconv, or the
 * iconv budget *iconv_left is spent.  No allocation happens while an iconv
 * descriptor is open.
 */
bool		ewsm_convert(EwsmBuf *out, const uint8_t *s, size_t n, const uint8_t *cs, size_t csn,
						 int *iconv_left);

bool		ewsm_ci_eq(const uint8_t *s, size_t n, const char *lit);
bool		ewsm_ci_eq_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn);
int			ewsm_hexval(uint8_t c);
int			ewsm_b64val(uint8_t c);

/*
 * Decode an unstructured header text s[0..n) (already unfolded; not
 * trimmed here): RFC 2047 encoded-words decoded (adjacent words in one
 * charset joined, white space between encoded-words dropped), raw 8-bit
 * text read as UTF-8 when the whole text is UTF-8, else windows-1252.
 * Returns clean header text; adds the steps it took to *work.
 */
char	   *ewsm_decode_unstructured(const uint8_t *s, size_t n, int *iconv_left, size_t *work,
									 ews_mime_alloc_fn alloc, void *ctx);

/* RFC 5322 date-time s[0..n) into FILETIME; false when not one. */
bool		ewsm_parse_date_time(const uint8_t *s, size_t n, int64_t *ft);

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
int64_t		ewsm_days_from_civil(int y, int m, int d);

/*
 * If msg[pos..end) starts a header field, the offset of its colon (name
 * length in *name_len); else SIZE_MAX.
 */
size_t		ewsm_field_colon(const uint8_t *msg, size_t pos, size_t end, size_t *name_len);

/*
 * Copy msg[start..end) unfolded (line breaks removed, the WSP after them
 * kept) and trimmed of WSP; *outlen its length.  Not NUL-terminated.
 */
uint8_t    *ewsm_unfold(const uint8_t *msg, size_t start, size_t end, size_t *outlen,
						ews_mime_alloc_fn alloc, void *ctx);

/*
 * A header field name the generator writes itself (Date, From, ...,
 * Keywords, MIME-Version, Content-*): ews_mime_generate refuses it as an
 * extra field (mimegen.c; mimeedit.c keeps the other fields of a message
 * it makes anew).
 */
bool		ewsm_gen_reserved_name(const char *n);

#endif							/* EWS_MIMEINT_H */
