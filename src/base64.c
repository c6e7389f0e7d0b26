/*
 * base64.c
 *	  RFC 4648 base64 encoding and decoding without allocation.
 */
#include "base64.h"

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

size_t
ews_base64_encode(const uint8_t *src, size_t n, char *dst)
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
