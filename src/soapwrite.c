/*
 * soapwrite.c
 *	  The response writer of the SOAP adapter: escaping, base64 and the
 *	  frames (envelope, fault, response message) of EWS responses.
 *
 * Everything is appended to one StringInfo, so a response is built in a
 * single buffer and returned as it is; no DOM is built for output.
 */
#include "soapwrite.h"

#include "utils/memutils.h"

#include "base64.h"

/* what the server says it is: Exchange 2019 (15.2), a build of CU12 */
#define SV_MAJOR	"15"
#define SV_MINOR	"2"
#define SV_BUILD	"1118"
#define SV_REVISION	"7"

/*
 * Bytes that XML 1.0 cannot carry at all (C0 controls other than TAB, LF,
 * CR) are written as U+FFFD: a stored name with such a byte must not make
 * the whole response ill-formed.
 */
static void
escape(StringInfo buf, const char *s, bool attr)
{
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *run = p;

	for (;; p++)
	{
		const char *rep;
		unsigned char c = *p;

		if (c == '\0')
			break;
		if (c >= 0x20 && c != '&' && c != '<' && c != '>' && c != '"')
			continue;
		switch (c)
		{
			case '&':
				rep = "&amp;";
				break;
			case '<':
				rep = "&lt;";
				break;
			case '>':
				rep = "&gt;";
				break;
			case '"':
				rep = attr ? "&quot;" : "\"";
				break;
			case '\t':
				rep = attr ? "&#9;" : "\t";
				break;
			case '\n':
				rep = attr ? "&#10;" : "\n";
				break;
			case '\r':
				rep = "&#13;";
				break;
			default:
				rep = "\xEF\xBF\xBD";
				break;
		}
		appendBinaryStringInfo(buf, (const char *) run, p - run);
		appendStringInfoString(buf, rep);
		run = p + 1;
	}
	appendBinaryStringInfo(buf, (const char *) run, p - run);
}

void
sw_text(StringInfo buf, const char *s)
{
	escape(buf, s, false);
}

void
sw_attr(StringInfo buf, const char *name, const char *value)
{
	appendStringInfoChar(buf, ' ');
	appendStringInfoString(buf, name);
	appendBinaryStringInfo(buf, "=\"", 2);
	escape(buf, value, true);
	appendStringInfoChar(buf, '"');
}

void
sw_elem_text(StringInfo buf, const char *name, const char *text)
{
	appendStringInfo(buf, "<%s>", name);
	escape(buf, text, false);
	appendStringInfo(buf, "</%s>", name);
}

void
sw_elem_int(StringInfo buf, const char *name, long long n)
{
	appendStringInfo(buf, "<%s>%lld</%s>", name, n, name);
}

/*
 * base64 for ExportItems Data, where a response carries megabytes of it.
 * The output is that of ews_base64_encode() (the fixtures compare it with
 * PostgreSQL's encode()); only the speed differs.  Scalar: two lookups in a
 * table of the 4096 character pairs per three bytes.  With SSSE3 (checked at
 * run time): twelve bytes at a time, the 6-bit indices cut out with two
 * multiplies and mapped to the alphabet with one table shuffle; with AVX2,
 * twenty-four.
 */
static char pair_table[4096][2];
static bool pair_table_ready = false;

static size_t
base64_pairs(const unsigned char *src, size_t n, char *dst)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t		i = 0;

	if (!pair_table_ready)
	{
		for (int v = 0; v < 4096; v++)
		{
			pair_table[v][0] = alphabet[v >> 6];
			pair_table[v][1] = alphabet[v & 63];
		}
		pair_table_ready = true;
	}
	for (; i + 3 <= n; i += 3, dst += 4)
	{
		uint32		v = ((uint32) src[i] << 16) | ((uint32) src[i + 1] << 8) | src[i + 2];

		memcpy(dst, pair_table[v >> 12], 2);
		memcpy(dst + 2, pair_table[v & 4095], 2);
	}
	/* the last one or two bytes, padded, as the codec does them */
	if (i < n)
		ews_base64_encode(src + i, n - i, dst);
	return i;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* encodes whole 12-byte blocks while 16 bytes can be read; returns bytes consumed */
__attribute__((target("ssse3")))
static size_t
base64_ssse3(const unsigned char *src, size_t n, char *dst)
{
	/* each 32-bit lane gets the bytes b, a, c, b of one 3-byte group a b c */
	const __m128i spread = _mm_set_epi8(10, 11, 9, 10, 7, 8, 6, 7, 4, 5, 3, 4, 1, 2, 0, 1);
	/* per character class: what to add to the 6-bit value (see below) */
	const __m128i offsets = _mm_setr_epi8('a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
										  '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
										  '+' - 62, '/' - 63, 'A', 0, 0);
	size_t		i = 0;

	for (; i + 16 <= n; i += 12, dst += 16)
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

/* the same on two 12-byte blocks per step, one in each 128-bit lane */
__attribute__((target("avx2")))
static size_t
base64_avx2(const unsigned char *src, size_t n, char *dst)
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

	for (; i + 28 <= n; i += 24, dst += 32)
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

static void
base64_fast(const unsigned char *src, size_t n, char *dst)
{
#if defined(__x86_64__) && defined(__GNUC__)
	static int	level = -1;		/* 2 AVX2, 1 SSSE3, 0 neither */
	size_t		done = 0;

	if (level < 0)
		level = __builtin_cpu_supports("avx2") ? 2 : __builtin_cpu_supports("ssse3") ? 1 : 0;
	if (level == 2)
		done = base64_avx2(src, n, dst);
	if (level >= 1)
		done += base64_ssse3(src + done, n - done, dst + done / 3 * 4);
	src += done;
	dst += done / 3 * 4;
	n -= done;
#endif
	base64_pairs(src, n, dst);
}

void
sw_base64(StringInfo buf, const unsigned char *data, size_t len)
{
	size_t		n = ews_base64_encoded_len(len);

	/* one enlargement, then the encoder writes straight into the buffer */
	if (n >= (size_t) (MaxAllocSize - buf->len - 1))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("response too large")));
	enlargeStringInfo(buf, (int) n);
	base64_fast(data, len, buf->data + buf->len);
	buf->len += (int) n;
	buf->data[buf->len] = '\0';
}

void
sw_envelope_begin(StringInfo buf, const char *version)
{
	appendStringInfoString(buf,
						   "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
						   "<s:Envelope xmlns:s=\"" SOAP_NS_ENVELOPE "\">"
						   "<s:Header><t:ServerVersionInfo"
						   " MajorVersion=\"" SV_MAJOR "\" MinorVersion=\"" SV_MINOR "\""
						   " MajorBuildNumber=\"" SV_BUILD "\" MinorBuildNumber=\"" SV_REVISION "\"");
	sw_attr(buf, "Version", version ? version : "Exchange2016");
	appendStringInfoString(buf,
						   " xmlns:t=\"" SOAP_NS_TYPES "\"/></s:Header>"
						   "<s:Body xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
						   " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">");
}

void
sw_envelope_end(StringInfo buf)
{
	appendStringInfoString(buf, "</s:Body></s:Envelope>");
}

void
sw_fault(StringInfo buf, const char *version, const char *code, const char *message)
{
	sw_envelope_begin(buf, version);
	/* Exchange's spelling: the code as a QName in the types namespace */
	appendStringInfo(buf,
					 "<s:Fault><faultcode xmlns:a=\"" SOAP_NS_TYPES "\">a:%s</faultcode>"
					 "<faultstring xml:lang=\"en-US\">", code);
	sw_text(buf, message);
	appendStringInfo(buf,
					 "</faultstring><detail><e:ResponseCode xmlns:e=\"" SOAP_NS_ERRORS "\">%s"
					 "</e:ResponseCode><e:Message xmlns:e=\"" SOAP_NS_ERRORS "\">", code);
	sw_text(buf, message);
	appendStringInfoString(buf, "</e:Message></detail></s:Fault>");
	sw_envelope_end(buf);
}

void
sw_response_begin(StringInfo buf, const char *op)
{
	appendStringInfo(buf,
					 "<m:%sResponse xmlns:m=\"" SOAP_NS_MESSAGES "\" xmlns:t=\"" SOAP_NS_TYPES "\">"
					 "<m:ResponseMessages>", op);
}

void
sw_response_end(StringInfo buf, const char *op)
{
	appendStringInfo(buf, "</m:ResponseMessages></m:%sResponse>", op);
}

void
sw_message_begin(StringInfo buf, const char *op, const char *code,
				 const char *text, const char *mailbox_guid)
{
	if (code == NULL || strcmp(code, "NoError") == 0)
	{
		appendStringInfo(buf,
						 "<m:%sResponseMessage ResponseClass=\"Success\">"
						 "<m:ResponseCode>NoError</m:ResponseCode>", op);
		return;
	}
	appendStringInfo(buf, "<m:%sResponseMessage ResponseClass=\"Error\">", op);
	sw_elem_text(buf, "m:MessageText", text ? text : "");
	appendStringInfo(buf,
					 "<m:ResponseCode>%s</m:ResponseCode>"
					 "<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>", code);
	if (mailbox_guid != NULL && mailbox_guid[0] != '\0')
	{
		appendStringInfoString(buf, "<m:MessageXml><t:Value Name=\"MailboxGuid\">");
		sw_text(buf, mailbox_guid);
		appendStringInfoString(buf, "</t:Value></m:MessageXml>");
	}
}

void
sw_message_end(StringInfo buf, const char *op)
{
	appendStringInfo(buf, "</m:%sResponseMessage>", op);
}

void
sw_effective_rights(StringInfo buf, bool write, bool delegated)
{
	const char *w = write ? "true" : "false";

	/*
	 * Rights are per mailbox: whoever may write may create contents,
	 * subfolders and associated items, change and delete.  A reviewer reads
	 * and nothing else.  ViewPrivateItems is false for a delegate, as
	 * Exchange answers by default; the owner, role grants and admins get
	 * true.  (The store itself does not hide private items yet: README,
	 * "Access control".)
	 */
	appendStringInfo(buf,
					 "<t:EffectiveRights><t:CreateAssociated>%s</t:CreateAssociated>"
					 "<t:CreateContents>%s</t:CreateContents>"
					 "<t:CreateHierarchy>%s</t:CreateHierarchy>"
					 "<t:Delete>%s</t:Delete><t:Modify>%s</t:Modify>"
					 "<t:Read>true</t:Read><t:ViewPrivateItems>%s</t:ViewPrivateItems>"
					 "</t:EffectiveRights>",
					 w, w, w, w, w, delegated ? "false" : "true");
}
