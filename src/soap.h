/*
 * soap.h
 *	  The SOAP adapter's internals shared by soap.c (parsing, headers,
 *	  dispatch, the SQL function ews_soap) and soap_ops.c (the operations).
 *
 * A request is handled in two phases per operation (see SoapOperation):
 * read, inside the libxml2 scope, turns the tree into palloc'd C values (a
 * schema break is a SOAP fault before anything is changed); then the
 * document is freed, and run calls the store core and writes the response.
 */
#ifndef EWS_SOAP_H
#define EWS_SOAP_H

#include "postgres.h"

#include <libxml/tree.h>

#include "access/tupdesc.h"
#include "fmgr.h"
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

/*
 * ews_soap's row in a tuplestore sized to keep it in memory, when called in
 * FROM as a set-returning function (soap.c); false: return it as a datum
 */
extern bool ews_soap_result_as_tuplestore(FunctionCallInfo fcinfo, TupleDesc tupdesc, Datum *values,
										  bool *nulls, Size bytes);

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
/*
 * The text content of an element (text and CDATA children).  It may point
 * into the document (one text node: no copy), so it is valid only during
 * read: copy what the request keeps.
 */
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

/*
 * The children of t:ItemResponseShapeType in schema order, as soap_children
 * reads them: the item shape of FindItem, GetItem and SyncFolderItems.
 */
enum
{
	SOAP_ISH_BASE_SHAPE,
	SOAP_ISH_INCLUDE_MIME_CONTENT,
	SOAP_ISH_BODY_TYPE,
	SOAP_ISH_UNIQUE_BODY_TYPE,
	SOAP_ISH_NORMALIZED_BODY_TYPE,
	SOAP_ISH_FILTER_HTML_CONTENT,
	SOAP_ISH_CONVERT_HTML_CODE_PAGE,
	SOAP_ISH_INLINE_IMAGE_URL_TEMPLATE,
	SOAP_ISH_BLOCK_EXTERNAL_IMAGES,
	SOAP_ISH_ADD_BLANK_TARGET_TO_LINKS,
	SOAP_ISH_MAXIMUM_BODY_SIZE,
	SOAP_ISH_ADDITIONAL_PROPERTIES,
	SOAP_ISH_N
};
extern const SoapChild soap_item_shape_children[SOAP_ISH_N];

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

/*
 * Batches.  Every operation that takes several inputs (ids, folders, items)
 * checks their number in read, with soap_batch_size_ok: more than
 * ews.max_batch_size is a fault before anything is done.  Its run handles
 * each input between soap_batch_next and soap_batch_done, which
 *   - run the input in a memory context of its own, reset after it (what
 *	   must outlive the input goes to call->out, or is copied out);
 *   - keep the response within ews.max_response_size: an input whose
 *	   answer would not fit, and every input after it, is answered
 *	   ErrorBatchProcessingStopped (ResponseClass Warning), as Exchange
 *	   answers the rest of a batch it stopped, and is not run at all.
 * soap_batch_next takes the most bytes the input's message can need; an
 * operation whose messages can be large (FindFolder) gives a typical size
 * and passes may_undo to soap_batch_done, which then takes back a message
 * that overflowed (read-only operations only: nothing may have changed).
 */
extern bool soap_batch_size_ok(SoapCall *call, int n, const char *what);

typedef struct SoapBatch
{
	SoapCall   *call;
	const char *op;				/* GetFolder, ... */
	const char *tail;			/* what the op's error messages end with ("<m:Folders/>", "") */
	int			n;
	bool		stopped;
	int			mark;			/* where the current input's message began */
	MemoryContext outer;
	MemoryContext input;
} SoapBatch;

/* the size of a message of ErrorBatchProcessingStopped, with room to spare */
#define SOAP_STOPPED_MESSAGE 640

extern void soap_batch_begin(SoapBatch *b, SoapCall *call, const char *op, const char *tail, int n);
/* false when input i is not to be run (its Warning is written); else the input's context is current */
extern bool soap_batch_next(SoapBatch *b, int i, size_t need);
extern void soap_batch_done(SoapBatch *b, int i, bool may_undo);
/* answer input i (and mark the batch stopped) without running it */
extern void soap_batch_stop(SoapBatch *b, int i);
extern void soap_batch_end(SoapBatch *b);
/* bytes the response may still grow by while leaving room for the stopped answers of `remaining` inputs */
extern size_t soap_response_room(SoapCall *call, int remaining);

/*
 * An EWS operation is two functions, registered in the one operation table
 * in soap.c (soap_operations):
 *
 *   read	turns the operation element into a palloc'd C request
 *			(*request); a request that breaks the schema is a fault
 *			(soap_fault, return false), before anything is changed.  It may
 *			keep nothing that points into the document: the document is
 *			freed when read returns.
 *   run	calls the store core (call->ctx is open, the acting mailbox
 *			decided) and writes the response to call->out.  It sees no
 *			libxml2 object: the document is gone and the libxml2 scope
 *			(pg_xml_init .. pg_xml_done) left before it is called.
 *
 * Operations are grouped in files by concern: soap_ops.c (folders, export,
 * upload, ConvertId); new concerns get files of their own.
 */
typedef bool (*SoapReadFn) (SoapCall *call, xmlNodePtr op, void **request);
typedef void (*SoapRunFn) (SoapCall *call, void *request);

typedef struct SoapOperation
{
	const char *name;			/* the element in the body: GetFolder, ... */
	SoapReadFn	read;
	SoapRunFn	run;
} SoapOperation;

/* soap_ops.c */
/* the element a folder of this class is written as: t:CalendarFolder, ..., t:Folder */
extern const char *soap_folder_element(const char *cls);
extern bool soap_read_get_folder(SoapCall *call, xmlNodePtr op, void **request);
extern void soap_run_get_folder(SoapCall *call, void *request);
extern bool soap_read_find_folder(SoapCall *call, xmlNodePtr op, void **request);
extern void soap_run_find_folder(SoapCall *call, void *request);
extern bool soap_read_create_folder(SoapCall *call, xmlNodePtr op, void **request);
extern void soap_run_create_folder(SoapCall *call, void *request);
extern bool soap_read_delete_folder(SoapCall *call, xmlNodePtr op, void **request);
extern void soap_run_delete_folder(SoapCall *call, void *request);
extern bool soap_read_move_folder(SoapCall *call, xmlNodePtr op, void **request);
extern void soap_run_move_folder(SoapCall *call, void *request);
extern bool soap_read_copy_folder(SoapCall *call, xmlNodePtr op, void **request);
extern void soap_run_copy_folder(SoapCall *call, void *request);
extern bool soap_read_convert_id(SoapCall *call, xmlNodePtr op, void **request);
extern void soap_run_convert_id(SoapCall *call, void *request);
extern bool soap_read_export_items(SoapCall *call, xmlNodePtr op, void **request);
extern void soap_run_export_items(SoapCall *call, void *request);
extern bool soap_read_upload_items(SoapCall *call, xmlNodePtr op, void **request);
extern void soap_run_upload_items(SoapCall *call, void *request);
/* soap_items.c */
extern bool soap_read_find_item(SoapCall *call, xmlNodePtr op, void **request);
extern void soap_run_find_item(SoapCall *call, void *request);
extern bool soap_read_get_item(SoapCall *call, xmlNodePtr op, void **request);
extern void soap_run_get_item(SoapCall *call, void *request);
/* the SQL face's ews_find_items: a search expression and sort keys as text (raise when bad) */
struct EwsRestriction;
struct EwsSortKey;
extern struct EwsRestriction *soap_restriction_from_text(const char *text);
/* a property path: t:FieldURI (checked against the schema), t:IndexedFieldURI, t:ExtendedFieldURI */
struct EwsPath;
extern bool soap_read_path(SoapCall *call, xmlNodePtr el, struct EwsPath *p);
/* m:Restriction (FindItem, FindFolder): its one search expression, read into C values */
extern bool soap_read_restriction(SoapCall *call, xmlNodePtr el, struct EwsRestriction **out);
extern void soap_sort_key_from_text(const char *text, struct EwsSortKey *key);
/* NonEmptyArrayOfBaseItemIdsType: t:ItemId elements (soap_items.c) */
struct EwsItemRef;
extern bool soap_read_item_ids(SoapCall *call, xmlNodePtr list, struct EwsItemRef **refs, int *n);
/* soap_itemwrite.c */
extern bool soap_read_create_item(SoapCall *call, xmlNodePtr op, void **request);
extern void soap_run_create_item(SoapCall *call, void *request);
extern bool soap_read_update_item(SoapCall *call, xmlNodePtr op, void **request);
extern void soap_run_update_item(SoapCall *call, void *request);
extern bool soap_read_delete_item(SoapCall *call, xmlNodePtr op, void **request);
extern void soap_run_delete_item(SoapCall *call, void *request);
extern bool soap_read_move_item(SoapCall *call, xmlNodePtr op, void **request);
extern void soap_run_move_item(SoapCall *call, void *request);
extern bool soap_read_copy_item(SoapCall *call, xmlNodePtr op, void **request);
extern void soap_run_copy_item(SoapCall *call, void *request);
extern bool soap_read_update_folder(SoapCall *call, xmlNodePtr op, void **request);
extern void soap_run_update_folder(SoapCall *call, void *request);
extern bool soap_read_empty_folder(SoapCall *call, xmlNodePtr op, void **request);
extern void soap_run_empty_folder(SoapCall *call, void *request);
/* the SQL twins' XML fragments, read as the SOAP face reads them (raise when bad) */
struct EwsCreateInput;
struct EwsItemEdit;
struct EwsFolderUpdate;
extern void soap_create_input_from_text(const char *text, struct EwsCreateInput *in);
extern void soap_item_updates_from_text(const char *text, struct EwsItemEdit **edits, int *n);
extern void soap_folder_updates_from_text(const char *text, struct EwsFolderUpdate *u);
/* a m:FolderShape, read (NULL after a fault), and a folder written in it, as GetFolder does */
extern void *soap_folder_shape_read(SoapCall *call, xmlNodePtr el);
extern void soap_folder_write(StringInfo buf, const EwsFolder *f, const void *shape);

/* soap_sync.c */
extern bool soap_read_sync_folder_hierarchy(SoapCall *call, xmlNodePtr op, void **request);
extern void soap_run_sync_folder_hierarchy(SoapCall *call, void *request);
extern bool soap_read_sync_folder_items(SoapCall *call, xmlNodePtr op, void **request);
extern void soap_run_sync_folder_items(SoapCall *call, void *request);

#endif
