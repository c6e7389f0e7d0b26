/*
 * soap.c
 *	  The SOAP face: ews_soap(request, mailbox) parses an EWS request
 *	  envelope with libxml2, reads its headers and its one operation,
 *	  decides the acting mailbox, runs the operation and returns the HTTP
 *	  status and the response envelope a web backend should send.
 *
 * Read, free, run.  Every operation (the table soap_operations) is a read
 * and a run (soap.h).  handle() parses the request, reads the headers and,
 * through the operation's read, everything the operation needs into
 * palloc'd C values; then it frees the document and leaves the libxml2
 * scope; only then does it open the store context, decide the acting
 * mailbox and call the operation's run.  No libxml2 object is alive while
 * the store works, so the DOM's memory is never held across the store's
 * queries and no store error can leave a libxml2 object behind.
 *
 * libxml2 is used the way PostgreSQL's own xml.c uses it: pg_xml_init()
 * installs PostgreSQL's error handler (which only records errors, so no
 * PostgreSQL error is ever raised from inside a libxml2 callback) and an
 * entity loader that loads nothing; everything runs inside PG_TRY and every
 * libxml2 object is freed, and pg_xml_done() called, on both paths.
 *
 * Hostile input is stopped before libxml2 sees it where that is cheap:
 * requests larger than ews.max_request_size are refused unread, and a
 * document whose prolog holds a DOCTYPE (external entities, "billion
 * laughs") is refused before parsing.  The parser runs with XML_PARSE_NONET
 * and without NOENT, DTDLOAD, DTDATTR or HUGE, so libxml2's own limits
 * (depth 256, 10 MB per text node or attribute) stay in force.
 */
#include "soap.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "access/detoast.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "access/xact.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/tuplestore.h"
#include "utils/xml.h"

#include "actas.h"
#include "ews.h"
#include "mailbox.h"
#include "soapwrite.h"
#include "xmlscan.h"

/* ---- faults ---- */

bool
soap_fault(SoapCall *call, const char *code, const char *fmt,...)
{
	va_list		ap;
	StringInfoData msg;
	MemoryContext old = MemoryContextSwitchTo(call->outer);

	initStringInfo(&msg);
	MemoryContextSwitchTo(old);
	for (;;)
	{
		int			needed;

		va_start(ap, fmt);
		needed = appendStringInfoVA(&msg, fmt, ap);
		va_end(ap);
		if (needed == 0)
			break;
		enlargeStringInfo(&msg, needed);
	}
	/* the first fault found is the one reported */
	if (call->fault_code == NULL)
	{
		call->fault_code = code;
		call->fault_message = msg.data;
	}
	return false;
}

/* ---- reading the tree ---- */

static const char *const ns_rest[] = {
	[SOAP_ENV] = "schemas.xmlsoap.org/soap/envelope/",
	[SOAP_MSG] = "schemas.microsoft.com/exchange/services/2006/messages",
	[SOAP_TYPES] = "schemas.microsoft.com/exchange/services/2006/types",
};

/* namespaces are matched by URI, never by prefix; http:// and https:// both count */
static bool
ns_matches(const xmlChar *href, SoapNs ns)
{
	const char *h = (const char *) href;

	if (h == NULL)
		return false;
	if (strncmp(h, "http://", 7) == 0)
		h += 7;
	else if (strncmp(h, "https://", 8) == 0)
		h += 8;
	else
		return false;
	return strcmp(h, ns_rest[ns]) == 0;
}

bool
soap_is(xmlNodePtr n, SoapNs ns, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
		strcmp((const char *) n->name, name) == 0 && ns_matches(n->ns->href, ns);
}

xmlNodePtr
soap_next(xmlNodePtr n)
{
	for (n = n->next; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

xmlNodePtr
soap_first(xmlNodePtr parent)
{
	xmlNodePtr	n = parent->children;

	if (n == NULL || n->type == XML_ELEMENT_NODE)
		return n;
	return soap_next(n);
}

char *
soap_name(xmlNodePtr n)
{
	const char *prefix = "";

	if (n->ns == NULL)
		prefix = "";
	else if (ns_matches(n->ns->href, SOAP_MSG))
		prefix = "m:";
	else if (ns_matches(n->ns->href, SOAP_TYPES))
		prefix = "t:";
	else if (ns_matches(n->ns->href, SOAP_ENV))
		prefix = "soap:";
	else
		return psprintf("{%s}%s", (const char *) n->ns->href, (const char *) n->name);
	return psprintf("%s%s", prefix, (const char *) n->name);
}

char *
soap_attr(xmlNodePtr n, const char *name)
{
	for (xmlAttrPtr a = n->properties; a != NULL; a = a->next)
	{
		xmlChar    *v;
		char	   *result;

		if (a->ns != NULL || strcmp((const char *) a->name, name) != 0)
			continue;
		if (a->children == NULL)
			return pstrdup("");
		if (a->children->type == XML_TEXT_NODE && a->children->next == NULL)
			return pstrdup((const char *) a->children->content);
		v = xmlNodeListGetString(n->doc, a->children, 1);
		result = pstrdup(v ? (const char *) v : "");
		xmlFree(v);
		return result;
	}
	return NULL;
}

/*
 * The text of an element.  Zero-copy when it is one text node (the common
 * case, and the one that matters for megabytes of base64): the result then
 * points into the document and is valid while the document lives, which is
 * the whole request.
 */
char *
soap_content(xmlNodePtr n, size_t *len)
{
	size_t		total = 0;
	int			nodes = 0;
	xmlNodePtr	only = NULL;
	char	   *result,
			   *p;

	for (xmlNodePtr c = n->children; c != NULL; c = c->next)
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
		{
			total += strlen((const char *) c->content);
			nodes++;
			only = c;
		}
	if (len)
		*len = total;
	if (nodes == 0)
		return pstrdup("");
	if (nodes == 1)
		return (char *) only->content;
	p = result = palloc(total + 1);
	for (xmlNodePtr c = n->children; c != NULL; c = c->next)
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
		{
			size_t		l = strlen((const char *) c->content);

			memcpy(p, c->content, l);
			p += l;
		}
	*p = '\0';
	return result;
}

static bool
only_space(const xmlChar *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return false;
	return true;
}

const SoapChild soap_item_shape_children[SOAP_ISH_N] = {
	[SOAP_ISH_BASE_SHAPE] = {SOAP_TYPES, "BaseShape", true},
	[SOAP_ISH_INCLUDE_MIME_CONTENT] = {SOAP_TYPES, "IncludeMimeContent", false},
	[SOAP_ISH_BODY_TYPE] = {SOAP_TYPES, "BodyType", false},
	[SOAP_ISH_UNIQUE_BODY_TYPE] = {SOAP_TYPES, "UniqueBodyType", false},
	[SOAP_ISH_NORMALIZED_BODY_TYPE] = {SOAP_TYPES, "NormalizedBodyType", false},
	[SOAP_ISH_FILTER_HTML_CONTENT] = {SOAP_TYPES, "FilterHtmlContent", false},
	[SOAP_ISH_CONVERT_HTML_CODE_PAGE] = {SOAP_TYPES, "ConvertHtmlCodePageToUTF8", false},
	[SOAP_ISH_INLINE_IMAGE_URL_TEMPLATE] = {SOAP_TYPES, "InlineImageUrlTemplate", false},
	[SOAP_ISH_BLOCK_EXTERNAL_IMAGES] = {SOAP_TYPES, "BlockExternalImages", false},
	[SOAP_ISH_ADD_BLANK_TARGET_TO_LINKS] = {SOAP_TYPES, "AddBlankTargetToLinks", false},
	[SOAP_ISH_MAXIMUM_BODY_SIZE] = {SOAP_TYPES, "MaximumBodySize", false},
	[SOAP_ISH_ADDITIONAL_PROPERTIES] = {SOAP_TYPES, "AdditionalProperties", false},
};

bool
soap_children(SoapCall *call, xmlNodePtr parent, const SoapChild *spec, int n,
			  xmlNodePtr *slots)
{
	for (int i = 0; i < n; i++)
		slots[i] = NULL;
	for (xmlNodePtr c = parent->children; c != NULL; c = c->next)
	{
		int			i;

		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
		{
			if (!only_space(c->content))
				return soap_fault(call, "ErrorSchemaValidation",
								  "The element %s cannot hold text.", soap_name(parent));
			continue;
		}
		if (c->type != XML_ELEMENT_NODE)
			continue;
		for (i = 0; i < n; i++)
			if (soap_is(c, spec[i].ns, spec[i].name))
				break;
		if (i == n)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The element %s has an invalid child element %s.",
							  soap_name(parent), soap_name(c));
		if (slots[i] != NULL)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The element %s holds %s more than once.",
							  soap_name(parent), soap_name(c));
		slots[i] = c;
	}
	for (int i = 0; i < n; i++)
		if (spec[i].required && slots[i] == NULL)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The element %s lacks its required child %s%s.",
							  soap_name(parent), spec[i].ns == SOAP_MSG ? "m:" : "t:", spec[i].name);
	return true;
}

/* DistinguishedFolderIdNameType of Microsoft's types.xsd (Exchange 2019) */
static const char *const distinguished_names[] = {
	"calendar", "contacts", "deleteditems", "drafts", "inbox", "journal", "notes", "outbox",
	"sentitems", "tasks", "msgfolderroot", "publicfoldersroot", "root", "junkemail",
	"searchfolders", "voicemail", "recoverableitemsroot", "recoverableitemsdeletions",
	"recoverableitemsversions", "recoverableitemspurges", "recoverableitemsdiscoveryholds",
	"archiveroot", "archivemsgfolderroot", "archivedeleteditems", "archiveinbox",
	"archiverecoverableitemsroot", "archiverecoverableitemsdeletions",
	"archiverecoverableitemsversions", "archiverecoverableitemspurges",
	"archiverecoverableitemsdiscoveryholds", "syncissues", "conflicts", "localfailures",
	"serverfailures", "recipientcache", "quickcontacts", "conversationhistory",
	"adminauditlogs", "todosearch", "mycontacts", "directory", "imcontactlist",
	"peopleconnect", "favorites", "mecontact", "personmetadata", "teamspaceactivity",
	"teamspacemessaging", "teamspaceworkitems", "scheduled", "orionnotes", "tagitems",
	"alltaggeditems", "externalcontacts", "teamchat", "teamchathistory", "yammerroot",
	"yammerinbound", "yammeroutbound", "yammerfeeds", "onedriveroot", "onedriverecylebin",
	"onedrivesystem", "onedrivevolume", "important", "starred", "archive",
};

bool
soap_folder_ref(SoapCall *call, xmlNodePtr el, EwsFolderRef *ref)
{
	memset(ref, 0, sizeof(*ref));
	if (soap_is(el, SOAP_TYPES, "FolderId"))
	{
		ref->id = soap_attr(el, "Id");
		ref->change_key = soap_attr(el, "ChangeKey");
		if (ref->id == NULL)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The required attribute Id of t:FolderId is missing.");
		return true;
	}
	if (soap_is(el, SOAP_TYPES, "DistinguishedFolderId"))
	{
		static const SoapChild spec[] = {{SOAP_TYPES, "Mailbox", false}};
		xmlNodePtr	mailbox;
		bool		known = false;
		char	   *name = soap_attr(el, "Id");

		if (name == NULL)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The required attribute Id of t:DistinguishedFolderId is missing.");
		for (int i = 0; i < lengthof(distinguished_names); i++)
			if (strcmp(name, distinguished_names[i]) == 0)
				known = true;
		/* a name outside the schema's list breaks the schema; one inside it that we lack is "not found" */
		if (!known)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The value '%s' of t:DistinguishedFolderId/@Id is not a distinguished folder name.",
							  name);
		ref->distinguished = name;
		if (!soap_children(call, el, spec, 1, &mailbox))
			return false;
		if (mailbox != NULL)
		{
			xmlNodePtr	c;

			for (c = soap_first(mailbox); c != NULL; c = soap_next(c))
				if (soap_is(c, SOAP_TYPES, "EmailAddress"))
					break;
			if (c == NULL)
				return soap_fault(call, "ErrorSchemaValidation",
								  "t:DistinguishedFolderId/t:Mailbox needs a t:EmailAddress.");
			ref->mailbox = pstrdup(soap_content(c, NULL));
		}
		return true;
	}
	return soap_fault(call, "ErrorSchemaValidation",
					  "%s is not a folder id: use t:FolderId or t:DistinguishedFolderId.",
					  soap_name(el));
}

bool
soap_folder_refs(SoapCall *call, xmlNodePtr parent, EwsFolderRef **refs, int *n)
{
	int			count = 0;
	int			i = 0;

	for (xmlNodePtr c = soap_first(parent); c != NULL; c = soap_next(c))
		count++;
	if (count == 0)
		return soap_fault(call, "ErrorSchemaValidation",
						  "The element %s needs at least one folder id.", soap_name(parent));
	if (!soap_batch_size_ok(call, count, "folder ids"))
		return false;
	*refs = palloc(sizeof(EwsFolderRef) * count);
	for (xmlNodePtr c = soap_first(parent); c != NULL; c = soap_next(c))
		if (!soap_folder_ref(call, c, &(*refs)[i++]))
			return false;
	*n = count;
	return true;
}

bool
soap_target_ref(SoapCall *call, xmlNodePtr parent, EwsFolderRef *ref)
{
	xmlNodePtr	c = soap_first(parent);

	if (c == NULL || soap_next(c) != NULL)
		return soap_fault(call, "ErrorSchemaValidation",
						  "The element %s needs exactly one folder id.", soap_name(parent));
	return soap_folder_ref(call, c, ref);
}

/* ---- batches: their size, per-input memory, the response cap ---- */

bool
soap_batch_size_ok(SoapCall *call, int n, const char *what)
{
	if (n <= ews_max_batch_size)
		return true;
	return soap_fault(call, "ErrorInvalidRequest",
					  "The request names %d %s; ews.max_batch_size allows at most %d in one request.",
					  n, what, ews_max_batch_size);
}

/* what the end of the response (the closing tags) takes */
#define SOAP_RESPONSE_CLOSING 256

size_t
soap_response_room(SoapCall *call, int remaining)
{
	int64		used = (int64) call->out->len + SOAP_RESPONSE_CLOSING +
		(int64) remaining * SOAP_STOPPED_MESSAGE;

	return used >= ews_max_response_size ? 0 : (size_t) (ews_max_response_size - used);
}

void
soap_batch_begin(SoapBatch *b, SoapCall *call, const char *op, const char *tail, int n)
{
	memset(b, 0, sizeof(*b));
	b->call = call;
	b->op = op;
	b->tail = tail;
	b->n = n;
	b->outer = CurrentMemoryContext;
	b->input = AllocSetContextCreate(CurrentMemoryContext, "ews SOAP input", ALLOCSET_DEFAULT_SIZES);
}

void
soap_batch_stop(SoapBatch *b, int i)
{
	StringInfo	out = b->call->out;

	b->stopped = true;
	sw_message_begin(out, b->op, "ErrorBatchProcessingStopped",
					 psprintf("The response reached ews.max_response_size (%d bytes) before input %d: send it again in another request.",
							  ews_max_response_size, i + 1),
					 NULL);
	appendStringInfoString(out, b->tail);
	sw_message_end(out, b->op);
}

bool
soap_batch_next(SoapBatch *b, int i, size_t need)
{
	CHECK_FOR_INTERRUPTS();
	if (b->stopped || need > soap_response_room(b->call, b->n - i - 1))
	{
		soap_batch_stop(b, i);
		return false;
	}
	b->mark = b->call->out->len;
	MemoryContextSwitchTo(b->input);
	return true;
}

void
soap_batch_done(SoapBatch *b, int i, bool may_undo)
{
	StringInfo	out = b->call->out;

	MemoryContextSwitchTo(b->outer);
	MemoryContextReset(b->input);
	if (may_undo && (int64) out->len + SOAP_RESPONSE_CLOSING +
		(int64) (b->n - i - 1) * SOAP_STOPPED_MESSAGE > ews_max_response_size)
	{
		out->len = b->mark;
		out->data[out->len] = '\0';
		soap_batch_stop(b, i);
	}
}

void
soap_batch_end(SoapBatch *b)
{
	MemoryContextSwitchTo(b->outer);
	MemoryContextDelete(b->input);
}

/* ---- one input of a batch ---- */

void
soap_step_begin(void)
{
	CommandCounterIncrement();
	if (ActiveSnapshotSet())
	{
		/* the same snapshot, but one that sees this transaction's commands so far */
		PushCopiedSnapshot(GetActiveSnapshot());
		UpdateActiveSnapshotCommandId();
	}
	else
		PushActiveSnapshot(GetTransactionSnapshot());
}

void
soap_step_end(void)
{
	PopActiveSnapshot();
}

/* ---- headers ---- */

/*
 * RequestServerVersion: the Exchange2007 ... Exchange2016 values of the
 * schema, Exchange2019, and the dated V20xx_xx_xx versions.
 */
bool
ews_soap_version_known(const char *v)
{
	static const char *const names[] = {
		"Exchange2007", "Exchange2007_SP1", "Exchange2009", "Exchange2010", "Exchange2010_SP1",
		"Exchange2010_SP2", "Exchange2012", "Exchange2013", "Exchange2013_SP1", "Exchange2015",
		"Exchange2016", "Exchange2019",
	};

	for (int i = 0; i < lengthof(names); i++)
		if (strcmp(v, names[i]) == 0)
			return true;
	/* V2015_10_05 style */
	if (strlen(v) == 11 && v[0] == 'V' && v[1] == '2' && v[2] == '0' && v[5] == '_' && v[8] == '_')
	{
		for (int i = 1; i < 11; i++)
			if (i != 5 && i != 8 && !isdigit((unsigned char) v[i]))
				return false;
		return true;
	}
	return false;
}

typedef struct SoapHeaders
{
	char	   *impersonate;	/* the address ExchangeImpersonation names, or NULL */
} SoapHeaders;

static bool
read_headers(SoapCall *call, xmlNodePtr header, SoapHeaders *h)
{
	memset(h, 0, sizeof(*h));
	if (header == NULL)
		return true;
	for (xmlNodePtr c = soap_first(header); c != NULL; c = soap_next(c))
	{
		if (soap_is(c, SOAP_TYPES, "RequestServerVersion"))
		{
			char	   *v = soap_attr(c, "Version");

			if (v == NULL)
				return soap_fault(call, "ErrorSchemaValidation",
								  "t:RequestServerVersion needs a Version attribute.");
			if (!ews_soap_version_known(v))
				return soap_fault(call, "ErrorInvalidServerVersion",
								  "The server version '%s' is not supported: use Exchange2007 to Exchange2019 or a V20xx_xx_xx version.",
								  v);
			call->version = v;
		}
		else if (soap_is(c, SOAP_TYPES, "ExchangeImpersonation"))
		{
			xmlNodePtr	sid = soap_first(c);
			xmlNodePtr	who;

			if (!soap_is(sid, SOAP_TYPES, "ConnectingSID") || (who = soap_first(sid)) == NULL)
				return soap_fault(call, "ErrorSchemaValidation",
								  "t:ExchangeImpersonation needs a t:ConnectingSID naming the mailbox.");
			if (soap_is(who, SOAP_TYPES, "PrimarySmtpAddress") ||
				soap_is(who, SOAP_TYPES, "SmtpAddress") ||
				soap_is(who, SOAP_TYPES, "PrincipalName"))
				h->impersonate = pstrdup(soap_content(who, NULL));
			else if (soap_is(who, SOAP_TYPES, "SID"))
				return soap_fault(call, "ErrorImpersonateUserDenied",
								  "Impersonation by SID is not supported: name the mailbox by t:PrimarySmtpAddress, t:SmtpAddress or t:PrincipalName.");
			else
				return soap_fault(call, "ErrorSchemaValidation",
								  "%s is not allowed in t:ConnectingSID.", soap_name(who));
		}
		/* TimeZoneContext, MailboxCulture, DateTimePrecision and unknown headers: ignored */
	}
	return true;
}

/*
 * The acting user: the mailbox ExchangeImpersonation names, the mailbox
 * argument, or the one ews_act_as() set for the transaction.  Any of them
 * makes the request act for that user, with the user's rights narrowed to
 * the calling role's (store.c), and the calling role must be allowed to act
 * for it (owner, impersonate grant, admin).  Two that name different users
 * are refused rather than one of them picked; they are compared before any
 * lookup, so the refusal tells nothing about either address.
 *
 * With none, the acting mailbox (what a DistinguishedFolderId without
 * t:Mailbox means) is the one mailbox the calling role owns, and the request
 * has the role's own rights.  With no such mailbox, those references get
 * ErrorInvalidRequest per message from the core.
 */
static bool
choose_acting(SoapCall *call, const char *mailbox_arg, const SoapHeaders *h)
{
	EwsCtx	   *ctx = &call->ctx;
	const char *named[3];
	const char *user = NULL;

	named[0] = h->impersonate;
	named[1] = mailbox_arg;
	named[2] = ews_actas_current();
	for (int i = 0; i < lengthof(named); i++)
	{
		if (named[i] == NULL)
			continue;
		if (user != NULL && pg_strcasecmp(user, named[i]) != 0)
			return soap_fault(call, "ErrorImpersonateUserDenied",
							  "The request names two different users to act for (ExchangeImpersonation, the mailbox argument of ews_soap, ews_act_as); it can act for one.");
		user = named[i];
	}
	if (user != NULL)
	{
		EwsStatus	st;

		if (!ews_ctx_act(ctx, user, &st))
			return soap_fault(call, ews_code_name(st.code), "%s", ews_status_text(&st));
	}
	else
		ctx->has_acting = ews_mailbox_owned(ctx, &ctx->acting) == 1;
	return true;
}

/* ---- the operation table ---- */

/*
 * Every operation, by the name of its element in the SOAP body.  Each is a
 * read (tree to C request, inside the libxml2 scope) and a run (store core
 * and response, after the document is freed); see SoapOperation.
 */
static const SoapOperation soap_operations[] = {
	{"GetFolder", soap_read_get_folder, soap_run_get_folder},
	{"FindFolder", soap_read_find_folder, soap_run_find_folder},
	{"CreateFolder", soap_read_create_folder, soap_run_create_folder},
	{"DeleteFolder", soap_read_delete_folder, soap_run_delete_folder},
	{"MoveFolder", soap_read_move_folder, soap_run_move_folder},
	{"CopyFolder", soap_read_copy_folder, soap_run_copy_folder},
	{"ExportItems", soap_read_export_items, soap_run_export_items},
	{"UploadItems", soap_read_upload_items, soap_run_upload_items},
	{"ConvertId", soap_read_convert_id, soap_run_convert_id},
	{"FindItem", soap_read_find_item, soap_run_find_item},
	{"GetItem", soap_read_get_item, soap_run_get_item},
	{"CreateItem", soap_read_create_item, soap_run_create_item},
	{"UpdateItem", soap_read_update_item, soap_run_update_item},
	{"DeleteItem", soap_read_delete_item, soap_run_delete_item},
	{"MoveItem", soap_read_move_item, soap_run_move_item},
	{"CopyItem", soap_read_copy_item, soap_run_copy_item},
	{"UpdateFolder", soap_read_update_folder, soap_run_update_folder},
	{"EmptyFolder", soap_read_empty_folder, soap_run_empty_folder},
	{"SyncFolderHierarchy", soap_read_sync_folder_hierarchy, soap_run_sync_folder_hierarchy},
	{"SyncFolderItems", soap_read_sync_folder_items, soap_run_sync_folder_items},
};

/* everything read out of a request: what run needs, in palloc'd memory */
typedef struct SoapRequest
{
	SoapHeaders headers;
	const SoapOperation *op;
	void	   *request;		/* op->read's result */
} SoapRequest;

/*
 * Read the envelope: the headers, then the one operation in the body and,
 * through its read function, its request.  False with a fault recorded when
 * the request is not one we can run.
 */
static bool
read_envelope(SoapCall *call, xmlDocPtr doc, SoapRequest *req)
{
	static const SoapChild env_spec[] = {
		{SOAP_ENV, "Header", false},
		{SOAP_ENV, "Body", true},
	};
	xmlNodePtr	root = xmlDocGetRootElement(doc);
	xmlNodePtr	parts[2];
	xmlNodePtr	op;

	if (root == NULL || !soap_is(root, SOAP_ENV, "Envelope"))
	{
		if (root != NULL && strcmp((const char *) root->name, "Envelope") == 0 && root->ns != NULL &&
			strcmp((const char *) root->ns->href, "http://www.w3.org/2003/05/soap-envelope") == 0)
			return soap_fault(call, "ErrorInvalidRequest",
							  "SOAP 1.2 envelopes are not supported: send a SOAP 1.1 envelope.");
		return soap_fault(call, "ErrorInvalidRequest",
						  "The request is not a SOAP 1.1 envelope: the root element is %s.",
						  root ? soap_name(root) : "missing");
	}
	if (!soap_children(call, root, env_spec, 2, parts))
		return false;
	if (!read_headers(call, parts[0], &req->headers))
		return false;

	op = soap_first(parts[1]);
	for (xmlNodePtr c = parts[1]->children; c != NULL; c = c->next)
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && !only_space(c->content))
			return soap_fault(call, "ErrorSchemaValidation", "The SOAP body cannot hold text.");
	if (op == NULL)
		return soap_fault(call, "ErrorInvalidRequest", "The SOAP body is empty: it must hold one operation.");
	if (soap_next(op) != NULL)
		return soap_fault(call, "ErrorInvalidRequest",
						  "The SOAP body holds more than one element: it must hold one operation.");
	if (op->ns == NULL || !ns_matches(op->ns->href, SOAP_MSG))
		return soap_fault(call, "ErrorInvalidRequest",
						  "The body element %s is not in the EWS messages namespace.", soap_name(op));
	req->op = NULL;
	for (int i = 0; i < lengthof(soap_operations); i++)
		if (strcmp((const char *) op->name, soap_operations[i].name) == 0)
			req->op = &soap_operations[i];
	if (req->op == NULL)
		return soap_fault(call, "ErrorInvalidRequest",
						  "The operation %s is not supported by this server.", (const char *) op->name);
	req->request = NULL;
	return req->op->read(call, op, &req->request);
}

/* ---- parsing: bounded before, and while, libxml2 reads ---- */

/*
 * The request's bytes are checked by a linear pre-scan (xmlscan.c) against
 * the ews.max_xml_* limits before libxml2 reads any of them: libxml2 2.9's
 * work on one element grows with the square of its attributes, and its tree
 * takes 100 to 200 bytes per node, so those counts decide what a parse
 * costs.  A refused request is a fault that names the limit and its
 * setting, as Exchange answers a request past its XML reader quotas
 * (ErrorSchemaValidation); a declaration (DOCTYPE, ENTITY) is refused the
 * same way before parsing (ErrorInvalidRequest, as before the pre-scan).
 */
static void
prescan_tick(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

static bool
prescan(SoapCall *call, const char *utf8, size_t len, int64 *max_text)
{
	EwsXmlLimits lim;
	EwsXmlScanResult res;
	EwsXmlScanStatus st;

	lim.max_nodes = ews_max_xml_nodes;
	lim.max_attributes = ews_max_xml_attributes;
	lim.max_depth = ews_max_xml_depth;
	lim.max_text = ews_max_xml_text_size;
	lim.max_attribute_value = Min((int64) ews_max_xml_text_size, EWS_MAX_XML_ATTRIBUTE_VALUE);
	*max_text = lim.max_text;
	st = ews_xml_prescan(utf8, len, &lim, &res, prescan_tick, NULL);
	switch (st)
	{
		case EWS_XMLSCAN_OK:
			return true;
		case EWS_XMLSCAN_DECLARATION:
			return soap_fault(call, "ErrorInvalidRequest",
							  "The request holds a document type declaration (DOCTYPE) or another markup declaration, which EWS requests never do.");
		case EWS_XMLSCAN_NODES:
			return soap_fault(call, "ErrorSchemaValidation",
							  "The request has more than %d nodes (elements, attributes, texts, comments; ews.max_xml_nodes).",
							  ews_max_xml_nodes);
		case EWS_XMLSCAN_ATTRIBUTES:
			return soap_fault(call, "ErrorSchemaValidation",
							  "An element of the request has more than %d attributes (ews.max_xml_attributes).",
							  ews_max_xml_attributes);
		case EWS_XMLSCAN_DEPTH:
			return soap_fault(call, "ErrorSchemaValidation",
							  "The request nests elements deeper than %d levels (ews.max_xml_depth).",
							  ews_max_xml_depth);
		case EWS_XMLSCAN_TEXT:
			return soap_fault(call, "ErrorSchemaValidation",
							  "A text of the request is longer than %d bytes (ews.max_xml_text_size).",
							  ews_max_xml_text_size);
		case EWS_XMLSCAN_ATTRIBUTE_VALUE:
			return soap_fault(call, "ErrorSchemaValidation",
							  "An attribute value of the request is longer than " INT64_FORMAT " bytes.",
							  lim.max_attribute_value);
	}
	return soap_fault(call, "ErrorInvalidRequest", "The request could not be scanned.");
}

/*
 * The parser's state.  The parser context gets a structured error handler
 * of its own, so that errors in a request are collected here, and
 * libxml2's warnings about hostile input (an odd version number, a relative
 * namespace URI) do not become PostgreSQL WARNINGs in the client and the
 * server log, where anyone could flood them.  The handlers only copy into
 * fixed buffers or call libxml2's allocator: nothing here can raise a
 * PostgreSQL error.
 */
typedef struct SoapParseState
{
	int			errors;
	int			line;
	char		first[256];
	bool		out_of_memory;	/* libxml2 could not allocate */
	bool		text_too_long;	/* a text passed max_text (the pre-scan stops that first) */
	int64		max_text;
	xmlNodePtr	text;			/* the text node being filled, or NULL */
	size_t		text_len;
	size_t		text_cap;
} SoapParseState;

static void
soap_parse_error(void *data, xmlErrorPtr err)
{
	xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr) data;
	SoapParseState *ps = ctxt ? (SoapParseState *) ctxt->_private : NULL;

	if (ps == NULL || err == NULL || err->level < XML_ERR_ERROR)
		return;
	/* libxml2 reports its failed allocations as parser errors: they are the server's, not the request's */
	if (err->code == XML_ERR_NO_MEMORY || err->domain == XML_FROM_MEMORY)
		ps->out_of_memory = true;
	if (ps->errors++ == 0)
	{
		strlcpy(ps->first, err->message ? err->message : "unknown error", sizeof(ps->first));
		ps->line = err->line;
	}
}

/*
 * Text of the document.  libxml2's own handler joins the pieces of one text
 * node (the push parser hands them over as they arrive) and refuses a node
 * past 10 MB unless XML_PARSE_HUGE is given, which would also lift its
 * other limits.  So t:Data of an item over about 7.5 MB could not be
 * uploaded at all, whatever ews.max_item_size said.  This handler builds
 * the text nodes itself, in a buffer that doubles, bounded by
 * ews.max_xml_text_size (which the pre-scan has already enforced); every
 * other limit of libxml2 stays.  Each run of text becomes one text node,
 * as libxml2 makes it; text outside the root element is dropped, as
 * libxml2 does.
 */
static void
soap_characters(void *data, const xmlChar *ch, int len)
{
	xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr) data;
	SoapParseState *ps = (SoapParseState *) ctxt->_private;
	xmlNodePtr	parent = ctxt->node;
	xmlNodePtr	node;
	xmlChar    *buf;
	size_t		cap;

	if (parent == NULL || len <= 0 || ps->out_of_memory || ps->text_too_long)
		return;
	if (ps->text != NULL && parent->last == ps->text)
	{
		/* more of the same text */
		if ((int64) (ps->text_len + len) > ps->max_text)
		{
			ps->text_too_long = true;
			xmlStopParser(ctxt);
			return;
		}
		if (ps->text_len + len + 1 > ps->text_cap)
		{
			cap = Max(ps->text_len + len + 1, ps->text_cap * 2);
			buf = xmlRealloc(ps->text->content, cap);
			if (buf == NULL)
			{
				ps->out_of_memory = true;
				xmlStopParser(ctxt);
				return;
			}
			ps->text->content = buf;
			ps->text_cap = cap;
		}
		memcpy(ps->text->content + ps->text_len, ch, len);
		ps->text_len += len;
		ps->text->content[ps->text_len] = '\0';
		return;
	}
	/* a new text node, after the parent's last child */
	cap = Max((size_t) len + 1, 64);
	buf = xmlMalloc(cap);
	node = buf ? xmlNewDocText(ctxt->myDoc, NULL) : NULL;
	if (node == NULL)
	{
		if (buf)
			xmlFree(buf);
		ps->out_of_memory = true;
		xmlStopParser(ctxt);
		return;
	}
	memcpy(buf, ch, len);
	buf[len] = '\0';
	node->content = buf;
	node->parent = parent;
	if (parent->last == NULL)
		parent->children = node;
	else
	{
		parent->last->next = node;
		node->prev = parent->last;
	}
	parent->last = node;
	ps->text = node;
	ps->text_len = len;
	ps->text_cap = cap;
}

/* libxml2 is fed this much at a time; interrupts are checked between pieces */
#define SOAP_PARSE_CHUNK (256 * 1024)

/*
 * Parse the request and read everything the operation needs into
 * palloc'd memory (req).  All of libxml2 lives inside this function: the
 * document and the parser are freed and pg_xml_done called on every path,
 * so nothing of libxml2 is alive when it returns.  False with a fault
 * recorded when the request cannot be run.
 *
 * The request is bounded first (prescan), then fed to libxml2's push parser
 * in pieces with CHECK_FOR_INTERRUPTS between them, so statement_timeout and
 * pg_cancel_backend stop a parse within a piece's work; the error unwinds
 * through PG_CATCH, which frees the document and the parser.  libxml2 is
 * told the bytes are UTF-8, whatever the XML declaration says.
 */
static bool
parse_and_read(SoapCall *call, const char *utf8, size_t len, SoapRequest *req)
{
	PgXmlErrorContext *errcxt;
	volatile xmlParserCtxtPtr ctxt = NULL;
	volatile xmlDocPtr doc = NULL;
	volatile bool ok = false;
	SoapParseState ps;

	memset(&ps, 0, sizeof(ps));
	if (!prescan(call, utf8, len, &ps.max_text))
		return false;

	errcxt = pg_xml_init(PG_XML_STRICTNESS_ALL);
	PG_TRY();
	{
		ctxt = xmlCreatePushParserCtxt(NULL, NULL, NULL, 0, NULL);
		if (ctxt == NULL || pg_xml_error_occurred(errcxt))
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not allocate XML parser context")));
		xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOWARNING |
						  XML_PARSE_IGNORE_ENC);
		xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8);
		ctxt->_private = &ps;
		ctxt->sax->serror = soap_parse_error;
		ctxt->sax->characters = soap_characters;
		ctxt->sax->ignorableWhitespace = soap_characters;

		for (size_t off = 0; off < len && ctxt->instate != XML_PARSER_EOF; off += SOAP_PARSE_CHUNK)
		{
			CHECK_FOR_INTERRUPTS();
			xmlParseChunk(ctxt, utf8 + off, (int) Min(len - off, SOAP_PARSE_CHUNK), 0);
		}
		CHECK_FOR_INTERRUPTS();
		if (ctxt->instate != XML_PARSER_EOF)
			xmlParseChunk(ctxt, NULL, 0, 1);
		doc = ctxt->myDoc;
		ctxt->myDoc = NULL;

		/* errors of the server, not of the request, are raised, never dropped */
		if (ps.out_of_memory)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory"),
					 errdetail("libxml2 could not allocate memory while parsing a SOAP request of %zu bytes.",
							   len)));
		if (ps.text_too_long)
			soap_fault(call, "ErrorSchemaValidation",
					   "A text of the request is longer than %d bytes (ews.max_xml_text_size).",
					   ews_max_xml_text_size);
		else if (doc == NULL || ps.errors > 0 || !ctxt->wellFormed || !ctxt->nsWellFormed)
		{
			size_t		l;

			if (ps.errors == 0)
				strlcpy(ps.first, "the document is not well-formed", sizeof(ps.first));
			l = strlen(ps.first);
			while (l > 0 && (ps.first[l - 1] == '\n' || ps.first[l - 1] == ' '))
				ps.first[--l] = '\0';
			soap_fault(call, "ErrorSchemaValidation",
					   "The request is not well-formed XML: %s (line %d).", ps.first, ps.line);
		}
		else if (pg_xml_error_occurred(errcxt))
			xml_ereport(errcxt, ERROR, ERRCODE_INTERNAL_ERROR,
						"libxml2 reported an error while parsing a SOAP request");
		else if (doc->intSubset != NULL || doc->extSubset != NULL)
			soap_fault(call, "ErrorInvalidRequest",
					   "The request holds a document type declaration (DOCTYPE), which EWS requests never do.");
		else
			ok = read_envelope(call, doc, req);
	}
	PG_CATCH();
	{
		if (ctxt != NULL && ctxt->myDoc != NULL)
			xmlFreeDoc(ctxt->myDoc);
		if (doc != NULL)
			xmlFreeDoc(doc);
		if (ctxt != NULL)
			xmlFreeParserCtxt(ctxt);
		pg_xml_done(errcxt, true);
		PG_RE_THROW();
	}
	PG_END_TRY();
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	pg_xml_done(errcxt, pg_xml_error_occurred(errcxt));
	return ok;
}

/*
 * Handle one request; the response goes to call->out.  Read, free, run:
 * the request is parsed and read into C values, the document freed and the
 * libxml2 scope left, and only then is the store context opened, the acting
 * mailbox decided and the operation run.
 */
static void
handle(SoapCall *call, const char *utf8, size_t len, const char *mailbox_arg)
{
	SoapRequest req;

	memset(&req, 0, sizeof(req));
	if (!parse_and_read(call, utf8, len, &req))
		return;
	/* the acting user comes from the headers, the mailbox argument and ews_act_as */
	ews_ctx_begin_bare(&call->ctx);
	if (choose_acting(call, mailbox_arg, &req.headers))
		req.op->run(call, req.request);
	ews_ctx_end(&call->ctx);
}

/* ---- ews_soap(request text, mailbox text DEFAULT NULL, OUT status int, OUT response text) ---- */

/*
 * The response is written into a buffer that starts with room for a varlena
 * header, so that when it is done it is the response text itself
 * (SET_VARSIZE, as cstring_to_text does after its copy): a response of
 * megabytes (ExportItems' base64) is not copied into a separate text.  The
 * one copy left is the row's: heap_form_tuple in the select list, the
 * tuplestore's minimal tuple in FROM.
 */
#define RESPONSE_OFF	VARHDRSZ

/*
 * SELECT ... FROM ews_soap(...): a function scan offers to take the result
 * as a tuplestore (SFRM_Materialize, and says it prefers that).  Left to
 * itself, it would put the row into a tuplestore of work_mem, and a response
 * larger than that (a few megabytes of ExportItems) would go to a temporary
 * file and be read back from it: several times the cost of the call.  The
 * row is in memory already; the tuplestore made here is sized to keep it
 * there.  PostgreSQL accepts a tuplestore only from a function declared
 * SETOF, so 0.2 declares ews_soap RETURNS SETOF record ROWS 1 (always one
 * row).  In the select list (ProjectSet, which does not prefer a
 * tuplestore: it would copy the row out of it again) and for the 0.1
 * declaration the row is returned as a datum.
 */
bool
ews_soap_result_as_tuplestore(FunctionCallInfo fcinfo, TupleDesc tupdesc, Datum *values, bool *nulls,
							  Size bytes)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	Tuplestorestate *ts;
	int64		kb;

	if (!fcinfo->flinfo->fn_retset || rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0 ||
		(rsinfo->allowedModes & SFRM_Materialize_Preferred) == 0)
		return false;
	/* the row, with room for the tuplestore's own bookkeeping */
	kb = Max((int64) work_mem, (int64) (bytes / 1024) + 64);
	kb = Min(kb, (int64) MAX_KILOBYTES);

	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	ts = tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0,
							   false, (int) kb);
	tuplestore_putvalues(ts, tupdesc, values, nulls);
	rsinfo->setDesc = CreateTupleDescCopy(tupdesc);
	MemoryContextSwitchTo(old);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = ts;
	return true;
}

static Datum
soap_call(FunctionCallInfo fcinfo)
{
	TupleDesc	tupdesc;
	SoapCall	call;
	StringInfoData out;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	text	   *response;
	int			status;

	ews_require_database_encoding();
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("request must not be null")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	initStringInfo(&out);
	appendStringInfoSpaces(&out, RESPONSE_OFF);	/* the text's header: see RESPONSE_OFF */
	memset(&call, 0, sizeof(call));
	call.out = &out;
	call.outer = CurrentMemoryContext;

	/* the size is checked before the request is even detoasted */
	if (toast_raw_datum_size(PG_GETARG_DATUM(0)) - VARHDRSZ > (Size) ews_max_request_size)
		soap_fault(&call, "ErrorInvalidRequest",
				   "The request is larger than ews.max_request_size (%d bytes).", ews_max_request_size);
	else
	{
		text	   *req = PG_GETARG_TEXT_PP(0);
		char	   *mailbox = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
		char	   *s = text_to_cstring(req);
		/*
		 * libxml2 is told the bytes are UTF-8, whatever the XML declaration
		 * says.  In a SQL_ASCII database the bytes go as they are, and
		 * libxml2 refuses what is not UTF-8 (a fault, not an error).
		 */
		char	   *utf8 = GetDatabaseEncoding() == PG_SQL_ASCII ? s :
			pg_server_to_any(s, strlen(s), PG_UTF8);

		/* a fault echoes the argument, and the response must stay UTF-8 */
		if (mailbox != NULL && GetDatabaseEncoding() == PG_SQL_ASCII &&
			!pg_verify_mbstr(PG_UTF8, mailbox, strlen(mailbox), true))
			ereport(ERROR,
					(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
					 errmsg("the mailbox argument is not valid UTF-8")));

		handle(&call, utf8, strlen(utf8), mailbox);
	}

	if (call.fault_code != NULL)
	{
		out.len = RESPONSE_OFF;
		sw_fault(&out, call.version, call.fault_code, call.fault_message);
		status = 500;
	}
	else
		status = 200;

	/*
	 * The response is UTF-8.  In a UTF-8 (or SQL_ASCII) database the buffer
	 * is the text; elsewhere it is converted, which copies anyway.
	 */
	if (GetDatabaseEncoding() == PG_UTF8 || GetDatabaseEncoding() == PG_SQL_ASCII)
	{
		response = (text *) out.data;
		SET_VARSIZE(response, out.len);
	}
	else
	{
		char	   *conv = pg_any_to_server(out.data + RESPONSE_OFF, out.len - RESPONSE_OFF, PG_UTF8);

		response = cstring_to_text(conv);
		if (conv != out.data + RESPONSE_OFF)
			pfree(conv);
		pfree(out.data);
	}
	values[0] = Int32GetDatum(status);
	values[1] = PointerGetDatum(response);

	if (ews_soap_result_as_tuplestore(fcinfo, tupdesc, values, nulls, VARSIZE(response)))
	{
		pfree(response);
		return (Datum) 0;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* 0.2: RETURNS SETOF record ROWS 1 (see ews_soap_result_as_tuplestore) */
PG_FUNCTION_INFO_V1(ews_soap_0_2);
Datum
ews_soap_0_2(PG_FUNCTION_ARGS)
{
	return soap_call(fcinfo);
}

/* 0.1's declaration, RETURNS record: in use until ALTER EXTENSION ews UPDATE */
PG_FUNCTION_INFO_V1(ews_soap);
Datum
ews_soap(PG_FUNCTION_ARGS)
{
	return soap_call(fcinfo);
}
