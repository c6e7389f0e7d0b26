/*
 * base64.h
 *	  RFC 4648 base64 (standard alphabet, padded), pure C.
 *
 * Two decoding modes: strict for ids and change keys (no white space,
 * canonical padding bits, so every id has exactly one spelling) and lenient
 * for xs:base64Binary content such as ExportItems/UploadItems Data, which
 * XML allows to be wrapped in white space.
 */
#ifndef EWS_BASE64_H
#define EWS_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes needed to encode n bytes (no terminator). */
static inline size_t
ews_base64_encoded_len(size_t n)
{
	return ((n + 2) / 3) * 4;
}

/* An upper bound for the decoded size of n characters of input. */
static inline size_t
ews_base64_decoded_max(size_t n)
{
	return (n / 4) * 3 + 3;
}

/* Encode n bytes into dst (ews_base64_encoded_len(n) bytes); returns that length. */
size_t		ews_base64_encode(const uint8_t *src, size_t n, char *dst);

/*
 * Decode len characters into dst (at least ews_base64_decoded_max(len)
 * bytes).  Returns the decoded length, or -1 when the input is not base64.
 * allow_space lets XML white space (SP, TAB, CR, LF) stand anywhere.
 */
long long	ews_base64_decode(const char *src, size_t len, uint8_t *dst, bool allow_space);

#endif
