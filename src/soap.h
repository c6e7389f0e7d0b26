/*
 * soap.h
 *	  The SOAP adapter's internals shared by soap.c (parsing, headers,
 *	  dispatch, the SQL function ews_soap) and soap_ops.c (the operations).
 *
 * A request is handled in two phases per operation: first everything the
 * operation needs is read out of the libxml2 tree into palloc'd C values,
 * and a request that breaks the schema becomes a SOAP fault before anything
 * is changed; then the store core is called and the response is written.
 */
#ifndef EWS_SOAP_H
#define EWS_SOAP_H

#include "postgres.h"

#include <libxml/tree.h>

#include "lib/stringinfo.h"

#include "store.h"

/* the namespaces a request may use, each spelled http:// or https:// */
typedef enum SoapNs
{
	SOAP_ENV,
	SOAP_MSG,
	SOAP_TYPES
} SoapNs;

typedef struct SoapCall
{
	StringInfo	out;			/* the response, in the caller's memory context */
	MemoryContext outer;		/* the function's context: fault texts live here */
	const char *version;		/* RequestServerVersion/@Version, or NULL */
	EwsCtx		ctx;			/* open while the operation runs */
	/* a fault: set by soap_fault, the response becomes a fault envelope */
	const char *fault_code;
	char	   *fault_message;
} SoapCall;

/* is v a RequestServerVersion this server accepts (Exchange2007 ... Exchange2019, V20xx_xx_xx)? */
extern bool ews_soap_version_known(const char *v);

/* record a fault; returns false so that parsers can "return soap_fault(...)" */
extern bool soap_fault(SoapCall *call, const char *code, const char *fmt,...) pg_attribute_printf(3, 4);

/* is n an element named name in namespace ns (either spelling)? */
extern bool soap_is(xmlNodePtr n, SoapNs ns, const char *name);
/* the first / next element child; whitespace and comments are skipped */
extern xmlNodePtr soap_first(xmlNodePtr parent);
extern xmlNodePtr soap_next(xmlNodePtr n);
/* a name for messages: "t:FolderId" style, palloc'd */
extern char *soap_name(xmlNodePtr n);

/* an unqualified attribute, palloc'd, or NULL */
extern char *soap_attr(xmlNodePtr n, const char *name);
/* the text content of an element (text and CDATA children), palloc'd */
extern char *soap_content(xmlNodePtr n, size_t *len);

/*
 * Children of an element by name: each spec entry names an allowed child;
 * slots get the nodes.  An unknown child, a repeated one or a missing
 * required one is a schema fault.
 */
typedef struct SoapChild
{
	SoapNs		ns;
	const char *name;
	bool		required;
} SoapChild;
extern bool soap_children(SoapCall *call, xmlNodePtr parent, const SoapChild *spec, int n,
						  xmlNodePtr *slots);

/* folder references: t:FolderId or t:DistinguishedFolderId */
extern bool soap_folder_ref(SoapCall *call, xmlNodePtr el, EwsFolderRef *ref);
/* NonEmptyArrayOfBaseFolderIdsType: at least one reference */
extern bool soap_folder_refs(SoapCall *call, xmlNodePtr parent, EwsFolderRef **refs, int *n);
/* TargetFolderIdType: exactly one reference */
extern bool soap_target_ref(SoapCall *call, xmlNodePtr parent, EwsFolderRef *ref);

/*
 * Around the core call for one input of a batch: make what the inputs before
 * it changed visible to it.  The core reads with read-only SPI, which uses
 * the statement's snapshot as it was when ews_soap() was called, so without
 * this the second CreateFolder of a request would not see the first.
 */
extern void soap_step_begin(void);
extern void soap_step_end(void);

/* the operations (soap_ops.c): read the request, call the core, write the response */
typedef bool (*SoapOp) (SoapCall *call, xmlNodePtr op);
extern bool soap_op_get_folder(SoapCall *call, xmlNodePtr op);
extern bool soap_op_find_folder(SoapCall *call, xmlNodePtr op);
extern bool soap_op_create_folder(SoapCall *call, xmlNodePtr op);
extern bool soap_op_delete_folder(SoapCall *call, xmlNodePtr op);
extern bool soap_op_convert_id(SoapCall *call, xmlNodePtr op);
extern bool soap_op_export_items(SoapCall *call, xmlNodePtr op);
extern bool soap_op_upload_items(SoapCall *call, xmlNodePtr op);
extern bool soap_op_move_folder(SoapCall *call, xmlNodePtr op);
extern bool soap_op_copy_folder(SoapCall *call, xmlNodePtr op);

#endif
