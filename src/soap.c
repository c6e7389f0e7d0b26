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

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "access/detoast.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "access/xact.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
#include "utils/xml.h"

#include "actas.h"
#include "ews.h"
#include "mailbox.h"
#include "soapwrite.h"

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
static bool
version_known(const char *v)
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
			if (!version_known(v))
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

/*
 * True when the prolog (before the root element) holds a DOCTYPE or any
 * other markup declaration.  Only the prolog can: so a DTD, and with it
 * every entity trick, is refused before libxml2 reads a byte of it.
 */
static bool
prolog_has_doctype(const char *s, size_t len)
{
	const char *p = s;
	const char *end = s + len;

	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	for (;;)
	{
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
			p++;
		if (end - p >= 4 && memcmp(p, "<!--", 4) == 0)
		{
			const char *q = strstr(p + 4, "-->");

			if (q == NULL)
				return false;	/* unterminated: the parser refuses it */
			p = q + 3;
		}
		else if (end - p >= 2 && memcmp(p, "<?", 2) == 0)
		{
			const char *q = strstr(p + 2, "?>");

			if (q == NULL)
				return false;
			p = q + 2;
		}
		else
			return end - p >= 2 && memcmp(p, "<!", 2) == 0;
	}
}

/*
 * What the parser reported.  The parser context gets this structured error
 * handler of its own, so that errors in a request are collected here, and
 * libxml2's warnings about hostile input (an odd version number, a relative
 * namespace URI) do not become PostgreSQL WARNINGs in the client and the
 * server log, where anyone could flood them.  It only copies into a fixed
 * buffer: nothing here can raise a PostgreSQL error or allocate.
 */
typedef struct SoapParseErrors
{
	int			errors;
	int			line;
	char		first[256];
} SoapParseErrors;

static void
soap_parse_error(void *data, xmlErrorPtr err)
{
	xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr) data;
	SoapParseErrors *e = ctxt ? (SoapParseErrors *) ctxt->_private : NULL;

	if (e == NULL || err == NULL || err->level < XML_ERR_ERROR)
		return;
	if (e->errors++ == 0)
	{
		strlcpy(e->first, err->message ? err->message : "unknown error", sizeof(e->first));
		e->line = err->line;
	}
}

/*
 * Parse the request and read everything the operation needs into
 * palloc'd memory (req).  All of libxml2 lives inside this function: the
 * document and the parser are freed and pg_xml_done called on every path,
 * so nothing of libxml2 is alive when it returns.  False with a fault
 * recorded when the request cannot be run.
 */
static bool
parse_and_read(SoapCall *call, const char *utf8, size_t len, SoapRequest *req)
{
	PgXmlErrorContext *errcxt;
	volatile xmlParserCtxtPtr ctxt = NULL;
	volatile xmlDocPtr doc = NULL;
	volatile bool ok = false;
	SoapParseErrors errs;

	if (prolog_has_doctype(utf8, len))
		return soap_fault(call, "ErrorInvalidRequest",
						  "The request holds a document type declaration (DOCTYPE), which EWS requests never do.");
	if (len > INT_MAX)
		return soap_fault(call, "ErrorInvalidRequest", "The request is too large.");

	memset(&errs, 0, sizeof(errs));
	errcxt = pg_xml_init(PG_XML_STRICTNESS_ALL);
	PG_TRY();
	{
		ctxt = xmlNewParserCtxt();
		if (ctxt == NULL || pg_xml_error_occurred(errcxt))
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not allocate XML parser context")));
		ctxt->_private = &errs;
		ctxt->sax->serror = soap_parse_error;
		doc = xmlCtxtReadMemory(ctxt, utf8, (int) len, NULL, "UTF-8",
								XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOWARNING);
		if (doc == NULL || errs.errors > 0 || !ctxt->wellFormed || !ctxt->nsWellFormed ||
			pg_xml_error_occurred(errcxt))
		{
			size_t		l;

			if (errs.errors == 0)
				strlcpy(errs.first, "the document is not well-formed", sizeof(errs.first));
			l = strlen(errs.first);
			while (l > 0 && (errs.first[l - 1] == '\n' || errs.first[l - 1] == ' '))
				errs.first[--l] = '\0';
			soap_fault(call, "ErrorSchemaValidation",
					   "The request is not well-formed XML: %s (line %d).", errs.first, errs.line);
		}
		else if (doc->intSubset != NULL || doc->extSubset != NULL)
			soap_fault(call, "ErrorInvalidRequest",
					   "The request holds a document type declaration (DOCTYPE), which EWS requests never do.");
		else
			ok = read_envelope(call, doc, req);
	}
	PG_CATCH();
	{
		if (doc != NULL)
			xmlFreeDoc(doc);
		if (ctxt != NULL)
			xmlFreeParserCtxt(ctxt);
		pg_xml_done(errcxt, true);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (doc != NULL)
		xmlFreeDoc(doc);
	if (ctxt != NULL)
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
 * The result row (status int4, response text) is built in place: the
 * response buffer starts with room for the row's header, the status and the
 * text's varlena header, so that a response of megabytes (ExportItems'
 * base64) is written once and never copied into a row afterwards.
 * heap_form_tuple would zero and copy it again, a fifth of the time of a
 * large ExportItems.  No null bitmap (neither column is ever NULL); the
 * int4 sits right after the header and the text right after it, both at
 * 4-byte alignment, exactly where heap_fill_tuple would put them.
 */
#define RESULT_HOFF			MAXALIGN(SizeofHeapTupleHeader)
#define RESULT_STATUS_OFF	RESULT_HOFF
#define RESULT_TEXT_OFF		(RESULT_HOFF + sizeof(int32))
#define RESULT_PREFIX		(RESULT_TEXT_OFF + VARHDRSZ)

static Datum
result_in_place(TupleDesc tupdesc, StringInfo out, int32 status)
{
	HeapTupleHeader td = (HeapTupleHeader) out->data;

	/* the layout above holds for (int4, text) only: make sure that is what we return */
	if (tupdesc->natts != 2 ||
		TupleDescAttr(tupdesc, 0)->atttypid != INT4OID ||
		TupleDescAttr(tupdesc, 1)->atttypid != TEXTOID ||
		TupleDescAttr(tupdesc, 0)->attalign != TYPALIGN_INT ||
		TupleDescAttr(tupdesc, 1)->attalign != TYPALIGN_INT)
		elog(ERROR, "ews_soap must return (status int4, response text)");
	memset(td, 0, RESULT_HOFF);
	HeapTupleHeaderSetDatumLength(td, out->len);
	HeapTupleHeaderSetTypeId(td, tupdesc->tdtypeid);
	HeapTupleHeaderSetTypMod(td, tupdesc->tdtypmod);
	ItemPointerSetInvalid(&td->t_ctid);
	HeapTupleHeaderSetNatts(td, 2);
	td->t_hoff = RESULT_HOFF;
	td->t_infomask = HEAP_HASVARWIDTH;
#ifdef HEAP_IS_DATUM
	/*
	 * Since 15.18 a composite datum carries this mark, as heap_form_tuple
	 * sets it; one without it is copied whole by the first
	 * DatumGetHeapTupleHeader (every field access), which for a large
	 * ExportItems response is the very copy building in place avoids.
	 */
	HeapTupleHeaderSetDatum(td);
#endif
	*(int32 *) (out->data + RESULT_STATUS_OFF) = status;
	SET_VARSIZE(out->data + RESULT_TEXT_OFF, out->len - RESULT_TEXT_OFF);
	return HeapTupleHeaderGetDatum(td);
}

PG_FUNCTION_INFO_V1(ews_soap);
Datum
ews_soap(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	SoapCall	call;
	StringInfoData out;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	char	   *response;
	int			status;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("request must not be null")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	initStringInfo(&out);
	appendStringInfoSpaces(&out, RESULT_PREFIX);	/* the result row's header: see result_in_place */
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
		out.len = RESULT_PREFIX;
		sw_fault(&out, call.version, call.fault_code, call.fault_message);
		status = 500;
	}
	else
		status = 200;

	/*
	 * The response is UTF-8.  In a UTF-8 (or SQL_ASCII) database it becomes
	 * the result row in place; elsewhere it is converted, which copies anyway.
	 */
	if (GetDatabaseEncoding() == PG_UTF8 || GetDatabaseEncoding() == PG_SQL_ASCII)
		PG_RETURN_DATUM(result_in_place(tupdesc, &out, status));
	values[0] = Int32GetDatum(status);
	response = pg_any_to_server(out.data + RESULT_PREFIX, out.len - RESULT_PREFIX, PG_UTF8);
	values[1] = PointerGetDatum(cstring_to_text(response));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
