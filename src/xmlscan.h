/*
 * xmlscan.h
 *	  A linear pre-scan of an XML request, before libxml2 reads it, and the
 *	  XML 1.0 character check of text the writer emits.  Pure C: no
 *	  postgres.h, so the unit tests and a fuzz harness link it alone.
 *
 * The pre-scan tokenizes the document the way any XML parser must (markup
 * starts at '<'; comments, CDATA sections and processing instructions end
 * at their terminators; attribute values at their closing quote) and counts
 * what makes a parse expensive: the nodes its tree would have (elements,
 * attributes, runs of text, comments, processing instructions: each some
 * 100 to 200 bytes in libxml2's tree), attributes of one element, nesting,
 * and the length of one text run or attribute value.  It refuses
 * the document at the first limit it passes, in one pass over the bytes and
 * with no allocation, so a hostile request costs a read of its bytes and
 * nothing more.  It does not check well-formedness: libxml2 does, on a
 * document now known to be small enough in every dimension.  On a
 * well-formed document its counts are exact; on a malformed one they may
 * differ from libxml2's reading only after the first error, where libxml2
 * stops.
 */
#ifndef EWS_XMLSCAN_H
#define EWS_XMLSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct EwsXmlLimits
{
	int64_t		max_nodes;		/* nodes of the tree: elements, attributes, texts, comments, PIs */
	int64_t		max_attributes; /* attributes (namespace declarations too) of one element */
	int64_t		max_depth;		/* nesting: the root element is depth 1 */
	int64_t		max_text;		/* bytes of one text run (text and CDATA) */
	int64_t		max_attribute_value;	/* bytes of one attribute value */
} EwsXmlLimits;

typedef enum EwsXmlScanStatus
{
	EWS_XMLSCAN_OK = 0,
	EWS_XMLSCAN_NODES,			/* more nodes than max_nodes */
	EWS_XMLSCAN_ATTRIBUTES,		/* an element with more than max_attributes */
	EWS_XMLSCAN_DEPTH,			/* nesting deeper than max_depth */
	EWS_XMLSCAN_TEXT,			/* a text run longer than max_text */
	EWS_XMLSCAN_ATTRIBUTE_VALUE,	/* an attribute value longer than max_attribute_value */
	EWS_XMLSCAN_DECLARATION		/* <!DOCTYPE ...> or any other <! declaration */
} EwsXmlScanStatus;

typedef struct EwsXmlScanResult
{
	int64_t		nodes;			/* tree nodes counted so far (all, when OK) */
	int64_t		elements;		/* of which elements */
	int64_t		max_attributes; /* the most attributes one element had */
	int64_t		max_depth;		/* the deepest nesting seen */
	int64_t		max_text;		/* the longest text run */
	int64_t		max_attribute_value;	/* the longest attribute value */
	size_t		offset;			/* where the scan stopped (the refused markup) */
} EwsXmlScanResult;

/*
 * Scan doc[0..len).  tick, when not NULL, is called with arg every
 * EWS_XMLSCAN_TICK bytes: the extension checks for interrupts there (it may
 * not return; the scan holds nothing that needs freeing).
 */
#define EWS_XMLSCAN_TICK (1 << 20)
extern EwsXmlScanStatus ews_xml_prescan(const char *doc, size_t len, const EwsXmlLimits *limits,
										 EwsXmlScanResult *result, void (*tick) (void *arg), void *arg);

/* "elements", "attributes of one element", ... for messages */
extern const char *ews_xml_scan_status_text(EwsXmlScanStatus status);

/*
 * XML 1.0 characters (the Char production): TAB, LF, CR, U+0020..U+D7FF,
 * U+E000..U+FFFD, U+10000..U+10FFFF.  The first byte offset of a character
 * outside it in the UTF-8 text s[0..len), or len when there is none.  Bytes
 * that are not valid UTF-8 count as outside.
 */
extern size_t ews_xml_first_invalid_char(const char *s, size_t len);

/*
 * The length of the next UTF-8 sequence at s[0..len) and its code point in
 * *cp; 0 when the bytes there are not valid UTF-8 (overlong forms,
 * surrogates, beyond U+10FFFF, truncated).
 */
extern int	ews_utf8_next(const unsigned char *s, size_t len, uint32_t *cp);

/* is the code point an XML 1.0 Char? */
static inline bool
ews_xml_is_char(uint32_t cp)
{
	return cp == 0x9 || cp == 0xA || cp == 0xD ||
		(cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
		(cp >= 0x10000 && cp <= 0x10FFFF);
}

#endif
