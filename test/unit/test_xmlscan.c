/*
 * test_xmlscan.c
 *	  Unit tests for the XML pre-scan and the XML 1.0 character check
 *	  (src/xmlscan.c): each limit exactly at its value and one past it, the
 *	  tokens that must not fool the counts (quotes, '>' and '=' inside
 *	  values, CDATA, comments, processing instructions), declarations,
 *	  unterminated input, the tick, and characters XML 1.0 forbids.
 */
#include "xmlscan.h"
#include "unit.h"

#include <stdlib.h>

static const EwsXmlLimits wide = {10000000, 1000, 1000, 100000000, 100000000};

static EwsXmlScanStatus
scan(const char *doc, const EwsXmlLimits *lim, EwsXmlScanResult *res)
{
	return ews_xml_prescan(doc, strlen(doc), lim, res, NULL, NULL);
}

static int	ticks;

static void
count_tick(void *arg)
{
	(void) arg;
	ticks++;
}

/* n nested <a> elements, each with text "x" before the child */
static char *
nested(int n)
{
	char	   *s = malloc((size_t) n * 9 + 1);
	char	   *p = s;

	for (int i = 0; i < n; i++)
	{
		memcpy(p, "<a>x", 4);
		p += 4;
	}
	for (int i = 0; i < n; i++)
	{
		memcpy(p, "</a>", 4);
		p += 4;
	}
	*p = '\0';
	return s;
}

int
main(void)
{
	EwsXmlScanResult r;
	EwsXmlLimits lim;
	const char *env =
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		"<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:t=\"t\" xmlns:m=\"m\">"
		"<s:Header><t:RequestServerVersion Version=\"Exchange2016\"/></s:Header>"
		"<s:Body><m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
		"<m:FolderIds><t:DistinguishedFolderId Id=\"inbox\"/></m:FolderIds></m:GetFolder></s:Body>"
		"</s:Envelope>";
	char	   *doc;
	char	   *big;

	/* counts of an ordinary request */
	CHECK_EQ_INT(scan(env, &wide, &r), EWS_XMLSCAN_OK, "an EWS envelope passes wide limits");
	CHECK_EQ_INT(r.elements, 9, "its 9 elements are counted");
	CHECK_EQ_INT(r.nodes, 17, "its 17 nodes: 9 elements, 5 attributes, 2 texts, the declaration");
	CHECK_EQ_INT(r.max_depth, 5, "its depth is 5 (Envelope, Body, GetFolder, FolderIds, DistinguishedFolderId)");
	CHECK_EQ_INT(r.max_attributes, 3, "the envelope's 3 namespace declarations count as attributes");
	CHECK_EQ_INT(r.max_text, 6, "the longest text is \"IdOnly\"");
	CHECK_EQ_INT(r.max_attribute_value, 41, "the longest attribute value is the SOAP namespace");

	/* elements: at the limit and one past it */
	lim = wide;
	lim.max_nodes = 17;
	CHECK_EQ_INT(scan(env, &lim, &r), EWS_XMLSCAN_OK, "17 nodes pass max_nodes 17");
	lim.max_nodes = 16;
	CHECK_EQ_INT(scan(env, &lim, &r), EWS_XMLSCAN_NODES, "17 nodes are refused by max_nodes 16");
	CHECK(strncmp(env + r.offset, "\"inbox\"", 7) == 0 || strncmp(env + r.offset, "<t:Dist", 7) == 0 ||
		  r.offset > 300, "the offset is within the last element");
	lim.max_nodes = 3;
	CHECK_EQ_INT(scan("<a/><!--x--><?p?>", &lim, &r), EWS_XMLSCAN_OK, "an element, a comment and a PI: 3 nodes");
	lim.max_nodes = 2;
	CHECK_EQ_INT(scan("<a/><!--x--><?p?>", &lim, &r), EWS_XMLSCAN_NODES, "... refused by max_nodes 2");
	CHECK_EQ_INT(scan("<a b='1' c='2'/>", &lim, &r), EWS_XMLSCAN_NODES, "attributes are nodes too");
	lim.max_nodes = 4;
	CHECK_EQ_INT(scan("<a>x<![CDATA[y]]>z<b/></a>", &lim, &r), EWS_XMLSCAN_OK,
				 "text, a CDATA section and text are one node (4 in all)");
	big = malloc(7 * 100000 + 16);
	strcpy(big, "<a>");
	for (int i = 0; i < 100000; i++)
		memcpy(big + 3 + 7 * i, "<!---->", 7);
	strcpy(big + 3 + 7 * 100000, "</a>");
	lim = wide;
	lim.max_nodes = 1000;
	CHECK_EQ_INT(scan(big, &lim, &r), EWS_XMLSCAN_NODES, "100 000 empty comments are refused by max_nodes");
	free(big);

	/* attributes */
	lim = wide;
	lim.max_attributes = 3;
	CHECK_EQ_INT(scan("<a b='1' c=\"2\" d = '3'/>", &lim, &r), EWS_XMLSCAN_OK, "3 attributes pass max_attributes 3");
	lim.max_attributes = 2;
	CHECK_EQ_INT(scan("<a b='1' c=\"2\" d = '3'/>", &lim, &r), EWS_XMLSCAN_ATTRIBUTES,
				 "3 attributes are refused by max_attributes 2");
	CHECK_EQ_INT(scan("<a b='x=y=z' c=\"=>'\"/>", &lim, &r), EWS_XMLSCAN_OK,
				 "'=', '>' and the other quote inside values are not attributes");
	CHECK_EQ_INT(r.max_attributes, 2, "... and two attributes are counted");
	CHECK_EQ_INT(r.elements, 1, "... and the '>' inside a value does not end the tag");
	lim.max_attributes = 1;
	CHECK_EQ_INT(scan("<a b='1'><c d='1'/><e f='1'/></a>", &lim, &r), EWS_XMLSCAN_OK,
				 "the limit is per element, not per document");
	big = malloc(100000 * 10 + 16);
	{
		char	   *q = big + 2;

		memcpy(big, "<a", 2);
		for (int i = 0; i < 100000; i++)
			q += sprintf(q, " a%05d=''", i);
		strcpy(q, "/>");
	}
	lim = wide;
	lim.max_attributes = 64;
	CHECK_EQ_INT(scan(big, &lim, &r), EWS_XMLSCAN_ATTRIBUTES, "one element with 100 000 attributes is refused");
	CHECK_EQ_INT(r.max_attributes, 65, "... at the 65th");
	free(big);

	/* depth */
	doc = nested(10);
	lim = wide;
	lim.max_depth = 10;
	CHECK_EQ_INT(scan(doc, &lim, &r), EWS_XMLSCAN_OK, "10 nested elements pass max_depth 10");
	CHECK_EQ_INT(r.max_depth, 10, "... at depth 10");
	lim.max_depth = 9;
	CHECK_EQ_INT(scan(doc, &lim, &r), EWS_XMLSCAN_DEPTH, "10 nested elements are refused by max_depth 9");
	free(doc);
	lim.max_depth = 2;
	CHECK_EQ_INT(scan("<a><b/><b/><b></b><b><!-- c --></b></a>", &lim, &r), EWS_XMLSCAN_OK,
				 "siblings, empty elements and end tags keep the depth at 2");
	lim.max_depth = 1;
	CHECK_EQ_INT(scan("<a><b/></a>", &lim, &r), EWS_XMLSCAN_DEPTH, "an empty child is one level deeper");
	doc = nested(100000);
	lim = wide;
	lim.max_depth = 64;
	CHECK_EQ_INT(scan(doc, &lim, &r), EWS_XMLSCAN_DEPTH, "100 000 nested elements are refused at depth 65");
	CHECK_EQ_INT(r.elements, 65, "... after 65 elements");
	free(doc);

	/* text */
	lim = wide;
	lim.max_text = 10;
	CHECK_EQ_INT(scan("<a>0123456789</a>", &lim, &r), EWS_XMLSCAN_OK, "10 bytes of text pass max_text 10");
	lim.max_text = 9;
	CHECK_EQ_INT(scan("<a>0123456789</a>", &lim, &r), EWS_XMLSCAN_TEXT, "10 bytes of text are refused by max_text 9");
	CHECK_EQ_INT(scan("<a>01234<![CDATA[56789]]></a>", &lim, &r), EWS_XMLSCAN_TEXT,
				 "a CDATA section continues the text around it");
	CHECK_EQ_INT(scan("<a>01234<b/>56789</a>", &lim, &r), EWS_XMLSCAN_OK, "an element ends a text run");
	CHECK_EQ_INT(scan("<a>01234<!--c-->56789</a>", &lim, &r), EWS_XMLSCAN_OK, "a comment ends a text run");
	CHECK_EQ_INT(scan("<a>01234<?p?>56789</a>", &lim, &r), EWS_XMLSCAN_OK, "a processing instruction ends a text run");
	CHECK_EQ_INT(scan("<a>&amp;&amp;&amp;</a>", &lim, &r), EWS_XMLSCAN_TEXT,
				 "references count as written (15 bytes), never less than they expand to");
	big = malloc(3 * EWS_XMLSCAN_TICK + 16);
	strcpy(big, "<a>");
	memset(big + 3, 'A', 3 * EWS_XMLSCAN_TICK);
	strcpy(big + 3 + 3 * EWS_XMLSCAN_TICK, "</a>");
	lim = wide;
	lim.max_text = 3 * EWS_XMLSCAN_TICK;
	ticks = 0;
	CHECK_EQ_INT(ews_xml_prescan(big, strlen(big), &lim, &r, count_tick, NULL), EWS_XMLSCAN_OK,
				 "3 MB of text pass max_text 3 MB");
	CHECK(ticks >= 2 && ticks <= 4, "the tick is called about once per MB (%d times)", ticks);
	lim.max_text = 2 * EWS_XMLSCAN_TICK + 5;
	CHECK_EQ_INT(ews_xml_prescan(big, strlen(big), &lim, &r, NULL, NULL), EWS_XMLSCAN_TEXT,
				 "3 MB of text are refused by max_text 2 MB");
	free(big);

	/* attribute values */
	lim = wide;
	lim.max_attribute_value = 5;
	CHECK_EQ_INT(scan("<a b='12345' c=\"12345\"/>", &lim, &r), EWS_XMLSCAN_OK, "5-byte values pass max_attribute_value 5");
	CHECK_EQ_INT(scan("<a b='12345' c=\"123456\"/>", &lim, &r), EWS_XMLSCAN_ATTRIBUTE_VALUE,
				 "a 6-byte value is refused by max_attribute_value 5");
	big = malloc(3 * EWS_XMLSCAN_TICK + 16);
	strcpy(big, "<a b='");
	memset(big + 6, 'A', 3 * EWS_XMLSCAN_TICK);
	strcpy(big + 6 + 3 * EWS_XMLSCAN_TICK, "'/>");
	lim.max_attribute_value = EWS_XMLSCAN_TICK / 2;
	CHECK_EQ_INT(scan(big, &lim, &r), EWS_XMLSCAN_ATTRIBUTE_VALUE, "a 3 MB value is refused by a 512 kB limit");
	lim.max_attribute_value = 3 * EWS_XMLSCAN_TICK;
	CHECK_EQ_INT(scan(big, &lim, &r), EWS_XMLSCAN_OK, "... and passes a 3 MB limit");
	free(big);

	/* declarations */
	CHECK_EQ_INT(scan("<!DOCTYPE a [<!ENTITY x 'y'>]><a/>", &wide, &r), EWS_XMLSCAN_DECLARATION, "a DOCTYPE is refused");
	CHECK_EQ_INT(r.offset, 0, "... at its first byte");
	CHECK_EQ_INT(scan("<?xml version='1.0'?><!-- c --><?p?>\n<!DOCTYPE a><a/>", &wide, &r),
				 EWS_XMLSCAN_DECLARATION, "a DOCTYPE after the declaration, a comment and a PI is refused");
	CHECK_EQ_INT(scan("<a><!ENTITY x 'y'></a>", &wide, &r), EWS_XMLSCAN_DECLARATION,
				 "a declaration inside the document is refused too");
	CHECK_EQ_INT(scan("<a><!-- <!DOCTYPE --><![CDATA[<!DOCTYPE]]></a>", &wide, &r), EWS_XMLSCAN_OK,
				 "'<!' inside a comment or CDATA is text");

	/* malformed input never crashes and never loops */
	{
		const char *bad[] = {"<", "<a", "<a b='", "<a b=\"x", "<!--", "<![CDATA[", "<?", "</", "</a", "<a/",
		"<a>", "</a></a></a>", "<<<<", "'\"'\"", "<a b==='c'>", ""};
		bool		ok = true;

		for (int i = 0; i < (int) (sizeof(bad) / sizeof(bad[0])); i++)
		{
			EwsXmlScanStatus st = scan(bad[i], &wide, &r);

			if (st != EWS_XMLSCAN_OK || r.offset > strlen(bad[i]))
				ok = false;
		}
		CHECK(ok, "16 malformed or truncated inputs scan to the end without a refusal");
	}

	/* XML 1.0 characters */
	CHECK_EQ_INT(ews_xml_first_invalid_char("Inbox \t\r\n", 9), 9, "ASCII text, TAB, CR and LF are characters");
	CHECK_EQ_INT(ews_xml_first_invalid_char("a\x01z", 3), 1, "U+0001 is not");
	CHECK_EQ_INT(ews_xml_first_invalid_char("ab\x1f", 3), 2, "U+001F is not");
	CHECK_EQ_INT(ews_xml_first_invalid_char("Caf\xc3\xa9", 5), 5, "U+00E9 is");
	CHECK_EQ_INT(ews_xml_first_invalid_char("x\xef\xbf\xbfy", 5), 1, "U+FFFF is not");
	CHECK_EQ_INT(ews_xml_first_invalid_char("x\xef\xbf\xbe", 4), 1, "U+FFFE is not");
	CHECK_EQ_INT(ews_xml_first_invalid_char("x\xef\xbf\xbd", 4), 4, "U+FFFD is");
	CHECK_EQ_INT(ews_xml_first_invalid_char("\xed\xa0\x80", 3), 0, "an encoded surrogate U+D800 is not");
	CHECK_EQ_INT(ews_xml_first_invalid_char("\xee\x80\x80", 3), 3, "U+E000 is");
	CHECK_EQ_INT(ews_xml_first_invalid_char("\xf0\x9f\x98\x80", 4), 4, "U+1F600 is");
	CHECK_EQ_INT(ews_xml_first_invalid_char("\xf4\x8f\xbf\xbf", 4), 4, "U+10FFFF is");
	CHECK_EQ_INT(ews_xml_first_invalid_char("\xf4\x90\x80\x80", 4), 0, "beyond U+10FFFF is not");
	CHECK_EQ_INT(ews_xml_first_invalid_char("\xc0\x80", 2), 0, "an overlong NUL is not");
	CHECK_EQ_INT(ews_xml_first_invalid_char("ab\xc3", 3), 2, "a truncated sequence is not");
	CHECK_EQ_INT(ews_xml_first_invalid_char("\x7f", 1), 1, "U+007F (DEL) is a character");
	CHECK_EQ_INT(ews_xml_first_invalid_char("\xc2\x80", 2), 2, "U+0080 is a character");

	return unit_done();
}
