/*
 * base64.c
 *	  RFC 4648 base64 encoding and decoding without allocation.
 *
 * PostgreSQL exports a base64 codec (common/base64.h), but its rules do not
 * fit ours (STYLE.md, practice 13): its decoder takes white space anywhere
 * even where ids must have exactly one spelling, and does not refuse
 * non-zero padding bits; its encoder is a byte-at-a-time loop, tens of
 * times slower than the SIMD encoders here on the megabytes ExportItems
 * writes (bench/codecs.sh: about 50x against AVX2).
 */
#include "base64.h"

#include <string.h>

static const char enc_table[64] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63 for alphabet characters, 64 for '=', 65 for XML white space, 255 otherwise */
static const uint8_t dec_table[256] = {
#define B255 255, 255, 255, 255, 255, 255, 255, 255
	255, 255, 255, 255, 255, 255, 255, 255, 255, 65, 65, 255, 255, 65, 255, 255,
	B255, B255,
	65, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 62, 255, 255, 255, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 255, 255, 255, 64, 255, 255,
	255, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 255, 255, 255, 255, 255,
	255, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 255, 255, 255, 255, 255,
	B255, B255, B255, B255, B255, B255, B255, B255,
	B255, B255, B255, B255, B255, B255, B255, B255
#undef B255
};

/* The reference encoder: one table lookup per output character */
static size_t
encode_reference(const uint8_t *src, size_t n, char *dst)
{
	char	   *out = dst;
	size_t		i = 0;

	for (; i + 3 <= n; i += 3)
	{
		uint32_t	v = ((uint32_t) src[i] << 16) | ((uint32_t) src[i + 1] << 8) | src[i + 2];

		out[0] = enc_table[v >> 18];
		out[1] = enc_table[(v >> 12) & 63];
		out[2] = enc_table[(v >> 6) & 63];
		out[3] = enc_table[v & 63];
		out += 4;
	}
	if (n - i == 1)
	{
		uint32_t	v = (uint32_t) src[i] << 16;

		out[0] = enc_table[v >> 18];
		out[1] = enc_table[(v >> 12) & 63];
		out[2] = '=';
		out[3] = '=';
		out += 4;
	}
	else if (n - i == 2)
	{
		uint32_t	v = ((uint32_t) src[i] << 16) | ((uint32_t) src[i + 1] << 8);

		out[0] = enc_table[v >> 18];
		out[1] = enc_table[(v >> 12) & 63];
		out[2] = enc_table[(v >> 6) & 63];
		out[3] = '=';
		out += 4;
	}
	return (size_t) (out - dst);
}

/*
 * The scalar fast encoder: two lookups per three bytes in a table of all
 * 4096 character pairs.  The table is built by the preprocessor, so it is
 * constant data, with no lazy initialisation to race on.
 */
#define B64CHAR(v) ((char) ((v) < 26 ? 'A' + (v) : (v) < 52 ? 'a' + ((v) - 26) : \
							(v) < 62 ? '0' + ((v) - 52) : (v) == 62 ? '+' : '/'))
#define PAIR1(v) {B64CHAR((v) >> 6), B64CHAR((v) & 63)}
#define PAIR4(v) PAIR1(v), PAIR1((v) + 1), PAIR1((v) + 2), PAIR1((v) + 3)
#define PAIR16(v) PAIR4(v), PAIR4((v) + 4), PAIR4((v) + 8), PAIR4((v) + 12)
#define PAIR64(v) PAIR16(v), PAIR16((v) + 16), PAIR16((v) + 32), PAIR16((v) + 48)
#define PAIR256(v) PAIR64(v), PAIR64((v) + 64), PAIR64((v) + 128), PAIR64((v) + 192)
#define PAIR1024(v) PAIR256(v), PAIR256((v) + 256), PAIR256((v) + 512), PAIR256((v) + 768)

static const char pair_table[4096][2] = {
	PAIR1024(0), PAIR1024(1024), PAIR1024(2048), PAIR1024(3072)
};

/* whole 3-byte groups; returns the bytes consumed */
static size_t
encode_pairs(const uint8_t *src, size_t n, char *dst)
{
	size_t		i = 0;

	for (; n - i >= 3; i += 3, dst += 4)
	{
		uint32_t	v = ((uint32_t) src[i] << 16) | ((uint32_t) src[i + 1] << 8) | src[i + 2];

		memcpy(dst, pair_table[v >> 12], 2);
		memcpy(dst + 2, pair_table[v & 4095], 2);
	}
	return i;
}

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define EWS_B64_X86 1
#include <immintrin.h>

/*
 * SSSE3: twelve input bytes per step, read as 16 (so the loop runs while 16
 * bytes are left, and never reads past src[n - 1]).  The 6-bit indices are
 * cut out with two multiplies and mapped to the alphabet with one table
 * shuffle.  Returns the bytes consumed (a multiple of 12).
 */
__attribute__((target("ssse3")))
static size_t
encode_ssse3(const uint8_t *src, size_t n, char *dst)
{
	/* each 32-bit lane gets the bytes b, a, c, b of one 3-byte group a b c */
	const __m128i spread = _mm_set_epi8(10, 11, 9, 10, 7, 8, 6, 7, 4, 5, 3, 4, 1, 2, 0, 1);
	/* per character class: what to add to the 6-bit value (see below) */
	const __m128i offsets = _mm_setr_epi8('a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
										  '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
										  '+' - 62, '/' - 63, 'A', 0, 0);
	size_t		i = 0;

	for (; n - i >= 16; i += 12, dst += 16)
	{
		__m128i		in = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *) (src + i)), spread);
		/* indices 0 and 2 of each group: a>>2 and (b&15)<<2|c>>6, by high multiplies */
		__m128i		t0 = _mm_mulhi_epu16(_mm_and_si128(in, _mm_set1_epi32(0x0fc0fc00)),
										 _mm_set1_epi32(0x04000040));
		/* indices 1 and 3: (a&3)<<4|b>>4 and c&63, by low multiplies */
		__m128i		t1 = _mm_mullo_epi16(_mm_and_si128(in, _mm_set1_epi32(0x003f03f0)),
										 _mm_set1_epi32(0x01000010));
		__m128i		idx = _mm_or_si128(t0, t1);
		/* class: 0 for 26..51, 1..10 for digits, 11 '+', 12 '/', 13 for 0..25 */
		__m128i		cls = _mm_subs_epu8(idx, _mm_set1_epi8(51));

		cls = _mm_or_si128(cls, _mm_and_si128(_mm_cmpgt_epi8(_mm_set1_epi8(26), idx),
											  _mm_set1_epi8(13)));
		_mm_storeu_si128((__m128i *) dst, _mm_add_epi8(_mm_shuffle_epi8(offsets, cls), idx));
	}
	return i;
}

/*
 * AVX2: the same on two 12-byte blocks per step, one in each 128-bit lane;
 * the second block is read as 16 bytes from src + i + 12, so the loop runs
 * while 28 bytes are left.  Returns the bytes consumed (a multiple of 24).
 */
__attribute__((target("avx2")))
static size_t
encode_avx2(const uint8_t *src, size_t n, char *dst)
{
	const __m256i spread = _mm256_set_epi8(10, 11, 9, 10, 7, 8, 6, 7, 4, 5, 3, 4, 1, 2, 0, 1,
										   10, 11, 9, 10, 7, 8, 6, 7, 4, 5, 3, 4, 1, 2, 0, 1);
	const __m256i offsets = _mm256_setr_epi8('a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
											 '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
											 '+' - 62, '/' - 63, 'A', 0, 0,
											 'a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
											 '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
											 '+' - 62, '/' - 63, 'A', 0, 0);
	size_t		i = 0;

	for (; n - i >= 28; i += 24, dst += 32)
	{
		__m256i		in = _mm256_inserti128_si256(
			_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *) (src + i))),
			_mm_loadu_si128((const __m128i *) (src + i + 12)), 1);
		__m256i		t0,
					t1,
					idx,
					cls;

		in = _mm256_shuffle_epi8(in, spread);
		t0 = _mm256_mulhi_epu16(_mm256_and_si256(in, _mm256_set1_epi32(0x0fc0fc00)),
								_mm256_set1_epi32(0x04000040));
		t1 = _mm256_mullo_epi16(_mm256_and_si256(in, _mm256_set1_epi32(0x003f03f0)),
								_mm256_set1_epi32(0x01000010));
		idx = _mm256_or_si256(t0, t1);
		cls = _mm256_subs_epu8(idx, _mm256_set1_epi8(51));
		cls = _mm256_or_si256(cls, _mm256_and_si256(_mm256_cmpgt_epi8(_mm256_set1_epi8(26), idx),
													_mm256_set1_epi8(13)));
		_mm256_storeu_si256((__m256i *) dst, _mm256_add_epi8(_mm256_shuffle_epi8(offsets, cls), idx));
	}
	return i;
}
#endif

bool
ews_base64_impl_available(EwsBase64Impl impl)
{
	switch (impl)
	{
		case EWS_B64_REFERENCE:
		case EWS_B64_PAIRS:
			return true;
#ifdef EWS_B64_X86
		case EWS_B64_SSSE3:
			return __builtin_cpu_supports("ssse3");
		case EWS_B64_AVX2:
			/* also false when the OS does not save the AVX registers */
			return __builtin_cpu_supports("avx2");
#else
		case EWS_B64_SSSE3:
		case EWS_B64_AVX2:
			return false;
#endif
	}
	return false;
}

EwsBase64Impl
ews_base64_impl_best(void)
{
	/* chosen once; a race only computes the same answer twice */
	static int	best = -1;

	if (best < 0)
		best = ews_base64_impl_available(EWS_B64_AVX2) ? EWS_B64_AVX2 :
			ews_base64_impl_available(EWS_B64_SSSE3) ? EWS_B64_SSSE3 : EWS_B64_PAIRS;
	return (EwsBase64Impl) best;
}

const char *
ews_base64_impl_name(EwsBase64Impl impl)
{
	switch (impl)
	{
		case EWS_B64_REFERENCE:
			return "reference";
		case EWS_B64_PAIRS:
			return "pairs";
		case EWS_B64_SSSE3:
			return "ssse3";
		case EWS_B64_AVX2:
			return "avx2";
	}
	return "unknown";
}

/*
 * Each faster encoder does the whole groups it can and hands the rest to
 * the next slower one: AVX2 stops with fewer than 28 bytes left, SSSE3 with
 * fewer than 16, the pair table with fewer than 3, and the reference encoder
 * writes the padded last group.  Consumed counts are multiples of 3, so the
 * output position is always 4/3 of the input position.
 */
static void
encode_impl(EwsBase64Impl impl, const uint8_t *src, size_t n, char *dst)
{
	size_t		done = 0;

	if (impl == EWS_B64_REFERENCE)
	{
		encode_reference(src, n, dst);
		return;
	}
#ifdef EWS_B64_X86
	if (impl == EWS_B64_AVX2)
		done += encode_avx2(src, n, dst);
	if (impl >= EWS_B64_SSSE3)
		done += encode_ssse3(src + done, n - done, dst + done / 3 * 4);
#endif
	done += encode_pairs(src + done, n - done, dst + done / 3 * 4);
	encode_reference(src + done, n - done, dst + done / 3 * 4);
}

size_t
ews_base64_encode(const uint8_t *src, size_t n, char *dst)
{
	encode_impl(ews_base64_impl_best(), src, n, dst);
	return ews_base64_encoded_len(n);
}

bool
ews_base64_encode_with(EwsBase64Impl impl, const uint8_t *src, size_t n, char *dst)
{
	if (!ews_base64_impl_available(impl))
		return false;
	encode_impl(impl, src, n, dst);
	return true;
}

long long
ews_base64_decode(const char *src, size_t len, uint8_t *dst, bool allow_space)
{
	uint8_t    *out = dst;
	uint32_t	acc = 0;
	int			nacc = 0;		/* sextets in acc */
	int			npad = 0;		/* '=' seen */

	for (size_t i = 0; i < len; i++)
	{
		uint8_t		c = dec_table[(unsigned char) src[i]];

		if (c == 65)
		{
			if (!allow_space)
				return -1;
			continue;
		}
		if (c == 255)
			return -1;
		if (c == 64)
		{
			/* padding only in the last two places of a quantum */
			if (nacc < 2)
				return -1;
			npad++;
			nacc++;
			if (npad > 2)
				return -1;
			if (nacc == 4)
			{
				/* the quantum closes: 2 pads -> 1 byte, 1 pad -> 2 bytes */
				if (npad == 2)
				{
					if (acc & 0xF)	/* non-canonical: low bits must be zero */
						return -1;
					*out++ = (uint8_t) (acc >> 4);
				}
				else
				{
					if (acc & 0x3)
						return -1;
					*out++ = (uint8_t) (acc >> 10);
					*out++ = (uint8_t) (acc >> 2);
				}
				nacc = 0;
				acc = 0;
				/* nothing but white space may follow the padding */
				for (i++; i < len; i++)
				{
					if (dec_table[(unsigned char) src[i]] != 65 || !allow_space)
						return -1;
				}
				return (long long) (out - dst);
			}
			continue;
		}
		if (npad)				/* data after '=' in the same quantum */
			return -1;
		acc = (acc << 6) | c;
		nacc++;
		if (nacc == 4)
		{
			*out++ = (uint8_t) (acc >> 16);
			*out++ = (uint8_t) (acc >> 8);
			*out++ = (uint8_t) acc;
			acc = 0;
			nacc = 0;
		}
	}
	if (nacc != 0)				/* unpadded or truncated quantum */
		return -1;
	return (long long) (out - dst);
}
