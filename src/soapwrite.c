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
#include "xmlscan.h"

/* what the server says it is: Exchange 2019 (15.2), a build of CU12 */
#define SV_MAJOR	"15"
#define SV_MINOR	"2"
#define SV_BUILD	"1118"
#define SV_REVISION	"7"

/*
 * Characters that XML 1.0 cannot carry at all are written as U+FFFD: the C0
 * controls other than TAB, LF and CR, and U+FFFE and U+FFFF (EF BF BE, EF BF
 * BF); so are bytes that are not UTF-8 (the store keeps UTF-8 only, so these
 * are for text stored by 0.1 or outside the functions).  A stored name or
 * subject with such a character must not make the whole response
 * ill-formed: the writer never emits one.  U+FFFD is what XML parsers and
 * Exchange themselves put in place of what they cannot decode.
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
		int			skip = 0;	/* more bytes the replaced sequence takes */

		if (c == '\0')
			break;
		if (c >= 0x20 && c < 0x80 && c != '&' && c != '<' && c != '>' && c != '"')
			continue;
		if (c >= 0x80)
		{
			uint32_t	cp;
			int			n = ews_utf8_next(p, strnlen((const char *) p, 4), &cp);

			if (n > 0 && ews_xml_is_char(cp))
			{
				p += n - 1;
				continue;
			}
			/* not a character XML can carry, or not UTF-8: one U+FFFD */
			skip = n > 0 ? n - 1 : 0;
			appendBinaryStringInfo(buf, (const char *) run, p - run);
			appendStringInfoString(buf, "\xEF\xBF\xBD");
			p += skip;
			run = p + 1;
			continue;
		}
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
	/* the fastest encoder this CPU has (SIMD where there is one): src/base64.c */
	ews_base64_encode(data, len, buf->data + buf->len);
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
	/* a batch that stopped answers the rest "not processed": a Warning, as Exchange does */
	appendStringInfo(buf, "<m:%sResponseMessage ResponseClass=\"%s\">", op,
					 strcmp(code, "ErrorBatchProcessingStopped") == 0 ? "Warning" : "Error");
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
