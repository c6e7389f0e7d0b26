/*
 * fuzz_xmlscan.c
 *	  libFuzzer harness for the XML pre-scan (src/xmlscan.c), differential
 *	  against libxml2.
 *
 * The first bytes choose limits; the rest is the document.  The scan must
 * stay inside the input and respect the limits it passed.  Then, with no
 * limits, the scan's counts are compared with libxml2's tree of the same
 * bytes (parsed the way ews_soap parses: no network, no entities, CDATA as
 * text): for every document ews_soap would accept (well-formed, namespaces
 * included, no DTD) the elements, the attributes of the most attributed
 * element and the depth must be exactly libxml2's, its nodes never fewer (where only a namespace
 * declaration was bad, libxml2 drops it and the scan may count more), and
 * no text or attribute value libxml2 built may be longer than the scan
 * measured.  So the scan cannot be fooled into
 * letting through what it would refuse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "xmlscan.h"

typedef struct Counts
{
	int64_t		nodes;
	int64_t		elements;
	int64_t		max_attributes;
	int64_t		max_depth;
	int64_t		max_text;
	int64_t		max_attribute_value;
} Counts;

static void
walk(xmlNodePtr n, int64_t depth, Counts *c)
{
	for (; n != NULL; n = n->next)
	{
		c->nodes++;
		if (n->type == XML_ELEMENT_NODE)
		{
			int64_t		attrs = 0;

			c->elements++;
			if (depth > c->max_depth)
				c->max_depth = depth;
			for (xmlNsPtr ns = n->nsDef; ns != NULL; ns = ns->next)
			{
				attrs++;
				if (ns->href && (int64_t) strlen((const char *) ns->href) > c->max_attribute_value)
					c->max_attribute_value = (int64_t) strlen((const char *) ns->href);
			}
			for (xmlAttrPtr a = n->properties; a != NULL; a = a->next)
			{
				xmlChar    *v = xmlNodeListGetString(n->doc, a->children, 1);

				attrs++;
				if (v && (int64_t) strlen((const char *) v) > c->max_attribute_value)
					c->max_attribute_value = (int64_t) strlen((const char *) v);
				xmlFree(v);
			}
			if (attrs > c->max_attributes)
				c->max_attributes = attrs;
			c->nodes += attrs;
			walk(n->children, depth + 1, c);
		}
		else if (n->type == XML_TEXT_NODE && n->content)
		{
			if ((int64_t) strlen((const char *) n->content) > c->max_text)
				c->max_text = (int64_t) strlen((const char *) n->content);
		}
	}
}

static void
quiet(void *ctx, const char *msg,...)
{
	(void) ctx;
	(void) msg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	EwsXmlLimits lim;
	EwsXmlLimits wide = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
	EwsXmlScanResult r;
	EwsXmlScanStatus st;
	const char *doc;
	size_t		len;
	xmlParserCtxtPtr ctxt;
	xmlDocPtr	xd;

	if (size < 5)
		return 0;
	lim.max_nodes = data[0] % 64;
	lim.max_attributes = data[1] % 16;
	lim.max_depth = data[2] % 32;
	lim.max_text = data[3] * 4;
	lim.max_attribute_value = data[4] * 4;
	doc = (const char *) data + 5;
	/* a request reaches the scan as PostgreSQL text, which holds no NUL (and libxml2 stops at one) */
	len = strnlen(doc, size - 5);

	st = ews_xml_prescan(doc, len, &lim, &r, NULL, NULL);
	if (r.offset > len)
		abort();
	if (st == EWS_XMLSCAN_OK &&
		(r.nodes > lim.max_nodes || r.max_attributes > lim.max_attributes ||
		 r.max_depth > lim.max_depth || r.max_text > lim.max_text ||
		 r.max_attribute_value > lim.max_attribute_value))
		abort();

	/* differential: exact counts on what libxml2 accepts */
	st = ews_xml_prescan(doc, len, &wide, &r, NULL, NULL);
	xmlSetGenericErrorFunc(NULL, quiet);
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL)
		abort();
	xd = xmlCtxtReadMemory(ctxt, doc, (int) len, NULL, "UTF-8", XML_PARSE_NONET | XML_PARSE_NOCDATA |
						   XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (xd != NULL)
	{
		if (xd->intSubset == NULL && xd->extSubset == NULL)
		{
			Counts		c = {0};

			walk(xd->children, 1, &c);
			if (st != EWS_XMLSCAN_OK)
				abort();		/* only declarations are refused with no limits */
			if (ctxt->nsWellFormed)
			{
				/* what ews_soap accepts: the same counts */
				if (c.elements != r.elements || c.max_attributes != r.max_attributes ||
					c.max_depth != r.max_depth)
					abort();
			}
			else
			{
				/* libxml2 drops a bad namespace declaration; the scan counted it */
				if (c.elements != r.elements || c.max_attributes > r.max_attributes ||
					c.max_depth != r.max_depth)
					abort();
			}
			/* the scan may count more nodes (text outside the root, the XML declaration), never fewer */
			if (c.nodes > r.nodes || c.max_text > r.max_text || c.max_attribute_value > r.max_attribute_value)
				abort();
		}
		xmlFreeDoc(xd);
	}
	xmlFreeParserCtxt(ctxt);
	return 0;
}
