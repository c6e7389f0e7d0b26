/*
 * soapwrite.h
 *	  A small XML writer for EWS responses: a StringInfo, text and attribute
 *	  escaping, base64 straight from bytes, and the envelope, fault and
 *	  response-message frames every operation shares.
 *
 * Responses always use the http:// namespaces and the prefixes s:
 * (envelope), m: (messages) and t: (types), as Exchange does: some clients
 * look elements up by prefixed name.
 */
#ifndef EWS_SOAPWRITE_H
#define EWS_SOAPWRITE_H

#include "postgres.h"

#include "lib/stringinfo.h"

#define SOAP_NS_ENVELOPE	"http://schemas.xmlsoap.org/soap/envelope/"
#define SOAP_NS_MESSAGES	"http://schemas.microsoft.com/exchange/services/2006/messages"
#define SOAP_NS_TYPES		"http://schemas.microsoft.com/exchange/services/2006/types"
#define SOAP_NS_ERRORS		"http://schemas.microsoft.com/exchange/services/2006/errors"

/* append s as XML character data (& < > escaped; invalid XML characters become U+FFFD) */
extern void sw_text(StringInfo buf, const char *s);
/* append  name="value"  with the value escaped for an attribute */
extern void sw_attr(StringInfo buf, const char *name, const char *value);
/* append <name>text</name> */
extern void sw_elem_text(StringInfo buf, const char *name, const char *text);
/* append <name>n</name> */
extern void sw_elem_int(StringInfo buf, const char *name, long long n);
/* append the base64 of len bytes, in one pass, growing the buffer once */
extern void sw_base64(StringInfo buf, const unsigned char *data, size_t len);

/* the XML declaration, s:Envelope, s:Header with t:ServerVersionInfo, s:Body */
extern void sw_envelope_begin(StringInfo buf, const char *version);
extern void sw_envelope_end(StringInfo buf);

/* a whole fault envelope: faultcode, faultstring, detail/e:ResponseCode, e:Message */
extern void sw_fault(StringInfo buf, const char *version, const char *code, const char *message);

/* <m:{op}Response ...><m:ResponseMessages>  and its end */
extern void sw_response_begin(StringInfo buf, const char *op);
extern void sw_response_end(StringInfo buf, const char *op);

/*
 * <m:{op}ResponseMessage ResponseClass="..."> then, for errors, MessageText,
 * ResponseCode, DescriptiveLinkKey (0) and MessageXml (with the mailbox GUID
 * of ErrorNonExistentMailbox); for success ResponseCode NoError alone, as
 * Exchange writes it.  code NULL or "NoError" means success.
 */
extern void sw_message_begin(StringInfo buf, const char *op, const char *code,
							 const char *text, const char *mailbox_guid);
extern void sw_message_end(StringInfo buf, const char *op);

/*
 * t:EffectiveRights of a folder (or item) for a request that may write in
 * its mailbox or only read it (a reviewer), and whose rights come from a
 * mailbox delegate grant or not.
 */
extern void sw_effective_rights(StringInfo buf, bool write, bool delegated);

#endif
