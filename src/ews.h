/*
 * ews.h
 *	  The extension's settings (README "Limits and settings").
 */
#ifndef EWS_EWS_H
#define EWS_EWS_H

extern int	ews_max_request_size;	/* ews.max_request_size, bytes */
extern int	ews_max_item_size;		/* ews.max_item_size, bytes */

/* the XML pre-scan of SOAP requests (soap.c, xmlscan.c) */
extern int	ews_max_xml_nodes;		/* ews.max_xml_nodes: elements, attributes, texts, comments, PIs */
extern int	ews_max_xml_attributes; /* ews.max_xml_attributes, per element */
extern int	ews_max_xml_depth;		/* ews.max_xml_depth */
extern int	ews_max_xml_text_size;	/* ews.max_xml_text_size, bytes of one text */

/*
 * Attribute values are ids, names and URIs in EWS; they are held to this,
 * and to ews.max_xml_text_size when that is lower.  (libxml2's own limit,
 * which stays, is 10 MB.)
 */
#define EWS_MAX_XML_ATTRIBUTE_VALUE (1024 * 1024)

/* batches and responses, both faces */
extern int	ews_max_batch_size;		/* ews.max_batch_size: inputs of one call */
extern int	ews_max_response_size;	/* ews.max_response_size, bytes of one SOAP response */
extern int	ews_max_find_count;		/* ews.max_find_count: folders one FindFolder answers */

/* raises unless the database encoding is UTF8 or SQL_ASCII (every call checks) */
extern void ews_require_database_encoding(void);

#endif
