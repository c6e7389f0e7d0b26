/*
 * base64.h
 *	  RFC 4648 base64 (standard alphabet, padded), pure C.
 *
 * Encoding: one output for every input, whichever encoder runs.  ExportItems
 * writes megabytes of base64 per response, so ews_base64_encode picks, once,
 * at run time, the fastest encoder the CPU has (AVX2, SSSE3, else a scalar
 * one with a table of character pairs); the plain scalar encoder is the
 * reference the others are tested against.
 *
 * Decoding modes: strict for ids and change keys (no white space,
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

/*
 * Encode n bytes into dst (ews_base64_encoded_len(n) bytes, no terminator
 * written); returns that length.  src and dst may have any alignment and
 * must not overlap; nothing outside src[0..n) is read, nothing outside the
 * output is written.
 */
size_t		ews_base64_encode(const uint8_t *src, size_t n, char *dst);

/*
 * The encoders behind ews_base64_encode, for the tests and benchmarks.
 * EWS_B64_REFERENCE is the plain one-character-at-a-time encoder; the others
 * must give the same bytes.  ews_base64_encode_with runs the one asked for
 * and returns true, or returns false and writes nothing when this CPU (or
 * this build) cannot run it (ews_base64_impl_available tells which).
 */
typedef enum EwsBase64Impl
{
	EWS_B64_REFERENCE = 0,
	EWS_B64_PAIRS,				/* scalar, two table lookups per 3 bytes */
	EWS_B64_SSSE3,				/* x86-64 only */
	EWS_B64_AVX2				/* x86-64 only */
} EwsBase64Impl;

#define EWS_B64_NIMPL 4

bool		ews_base64_impl_available(EwsBase64Impl impl);
EwsBase64Impl ews_base64_impl_best(void);
const char *ews_base64_impl_name(EwsBase64Impl impl);
bool		ews_base64_encode_with(EwsBase64Impl impl, const uint8_t *src, size_t n, char *dst);

/*
 * Decode len characters into dst (at least ews_base64_decoded_max(len)
 * bytes).  Returns the decoded length, or -1 when the input is not base64.
 * allow_space lets XML white space (SP, TAB, CR, LF) stand anywhere.
 */
long long	ews_base64_decode(const char *src, size_t len, uint8_t *dst, bool allow_space);

#endif
