/*
 * soap_sync.c
 *	  SyncFolderHierarchy and SyncFolderItems in the SOAP face: the request
 *	  read into C values (a schema break is a fault, before anything is
 *	  read from the store), then the changes src/sync.c finds written as
 *	  t:Create, t:Update, t:Delete and t:ReadFlagChange.
 *
 * What clients need here (../shared/research/clients-items.md):
 *	- m:SyncState and m:IncludesLast...InRange in every response message,
 *	  errors included: exchangelib reads both before it looks at the
 *	  response class, and takes the text of IncludesLast... as a boolean;
 *	- a SyncState that comes back unchanged means "nothing more" to
 *	  exchangelib, which then stops paging: a page that moves on always
 *	  returns a new state;
 *	- folders in the element their class calls for, with the FolderShape's
 *	  properties, as GetFolder writes them.
 */
#include "soap.h"

#include <errno.h>

#include "miscadmin.h"
#include "utils/timestamp.h"

#include "soapwrite.h"
#include "sync.h"

/* the response message frame, with the two elements every message has */
static void
sync_message_begin(SoapCall *call, const char *op, const EwsStatus *st, const char *state,
				   const char *last_element, bool includes_last)
{
	if (st->code == EWS_NoError)
		sw_message_begin(call->out, op, NULL, NULL, NULL);
	else
		sw_message_begin(call->out, op, ews_code_name(st->code), ews_status_text(st),
						 st->mailbox_guid);
	if (state != NULL)
		sw_elem_text(call->out, "m:SyncState", state);
	else
		appendStringInfoString(call->out, "<m:SyncState/>");
	appendStringInfo(call->out, "<m:%s>%s</m:%s>", last_element, includes_last ? "true" : "false",
					 last_element);
}

/* m:SyncState: its text, copied; an empty element is a first sync */
static char *
read_state(xmlNodePtr el)
{
	size_t		len;
	char	   *s;

	if (el == NULL)
		return NULL;
	s = soap_content(el, &len);
	return pnstrdup(s, len);
}

/* ---- SyncFolderHierarchy ---- */

typedef struct SyncHierarchyRequest
{
	void	   *shape;
	bool		root_given;
	EwsFolderRef root;
	char	   *state;
} SyncHierarchyRequest;

bool
soap_read_sync_folder_hierarchy(SoapCall *call, xmlNodePtr op, void **request)
{
	static const SoapChild spec[] = {
		{SOAP_MSG, "FolderShape", true},
		{SOAP_MSG, "SyncFolderId", false},
		{SOAP_MSG, "SyncState", false},
	};
	xmlNodePtr	parts[3];
	SyncHierarchyRequest *r = palloc0(sizeof(SyncHierarchyRequest));

	*request = r;
	if (!soap_children(call, op, spec, lengthof(spec), parts))
		return false;
	r->shape = soap_folder_shape_read(call, parts[0]);
	if (r->shape == NULL)
		return false;
	if (parts[1] != NULL)
	{
		if (!soap_target_ref(call, parts[1], &r->root))
			return false;
		r->root_given = true;
	}
	else
	{
		/* the whole mailbox: the acting mailbox's root */
		r->root.distinguished = "root";
	}
	r->state = read_state(parts[2]);
	return true;
}

void
soap_run_sync_folder_hierarchy(SoapCall *call, void *request)
{
	SyncHierarchyRequest *r = request;
	EwsSyncHierarchyResult res;
	EwsStatus	st;
	bool		ok;

	sw_envelope_begin(call->out, call->version);
	sw_response_begin(call->out, "SyncFolderHierarchy");
	soap_step_begin();
	ok = ews_sync_hierarchy(&call->ctx, &r->root, r->root_given, r->state, &res, &st);
	sync_message_begin(call, "SyncFolderHierarchy", &st, ok ? res.state : NULL,
					   "IncludesLastFolderInRange", ok ? res.includes_last : true);
	if (ok)
	{
		appendStringInfoString(call->out, "<m:Changes>");
		for (int i = 0; i < res.n; i++)
		{
			const EwsSyncFolder *sf = &res.folders[i];
			const char *tag = ews_sync_change_name(sf->change);

			appendStringInfo(call->out, "<t:%s>", tag);
			if (sf->change == EWS_SYNC_DELETE)
			{
				appendStringInfoString(call->out, "<t:FolderId");
				sw_attr(call->out, "Id", ews_id_text(sf->folder.guid, EWS_ID_KIND_FOLDER, sf->folder.folder_id));
				appendStringInfoString(call->out, "/>");
			}
			else
				soap_folder_write(call->out, &sf->folder, r->shape);
			appendStringInfo(call->out, "</t:%s>", tag);
		}
		appendStringInfoString(call->out, "</m:Changes>");
	}
	soap_step_end();
	sw_message_end(call->out, "SyncFolderHierarchy");
	sw_response_end(call->out, "SyncFolderHierarchy");
	sw_envelope_end(call->out);
}

/* ---- SyncFolderItems ---- */

/*
 * The item properties SyncFolderItems writes.  This branch has no item
 * property table yet (GetItem, issue 13, brings one): a Create or Update
 * carries the columns the sync core reads with the change; a FieldURI
 * naming anything else is ignored, as Exchange and gromox answer a property
 * an item does not have (exchangelib asks for every field it knows).
 */
typedef enum ItemProp
{
	IP_PARENT = 1 << 0,
	IP_CLASS = 1 << 1,
	IP_SUBJECT = 1 << 2,
	IP_RECEIVED = 1 << 3,
	IP_SIZE = 1 << 4,
	IP_ASSOCIATED = 1 << 5,
	IP_READ = 1 << 6
} ItemProp;

static const struct
{
	const char *uri;
	int			prop;
}			item_fields[] = {
	{"item:ParentFolderId", IP_PARENT},
	{"item:ItemClass", IP_CLASS},
	{"item:Subject", IP_SUBJECT},
	{"item:DateTimeReceived", IP_RECEIVED},
	{"item:Size", IP_SIZE},
	{"item:IsAssociated", IP_ASSOCIATED},
	{"message:IsRead", IP_READ},
};

/* what each BaseShape writes, as FindItem's shapes in Exchange */
#define ITEM_DEFAULT (IP_SUBJECT | IP_RECEIVED | IP_SIZE | IP_READ)
#define ITEM_ALL (IP_PARENT | IP_CLASS | IP_SUBJECT | IP_RECEIVED | IP_SIZE | IP_ASSOCIATED | IP_READ)

typedef struct SyncItemsRequest
{
	int			shape;			/* ItemProp bits */
	EwsSyncItemsArgs args;
} SyncItemsRequest;

static bool
read_item_shape(SoapCall *call, xmlNodePtr el, int *shape)
{
	xmlNodePtr	parts[SOAP_ISH_N];
	xmlNodePtr	extra;
	const char *s;

	if (!soap_children(call, el, soap_item_shape_children, SOAP_ISH_N, parts))
		return false;
	s = soap_content(parts[SOAP_ISH_BASE_SHAPE], NULL);
	if (strcmp(s, "IdOnly") == 0)
		*shape = 0;
	else if (strcmp(s, "Default") == 0)
		*shape = ITEM_DEFAULT;
	else if (strcmp(s, "AllProperties") == 0)
		*shape = ITEM_ALL;
	else
		return soap_fault(call, "ErrorSchemaValidation",
						  "The value '%s' of t:BaseShape is not one of IdOnly, Default, AllProperties.", s);
	extra = parts[SOAP_ISH_ADDITIONAL_PROPERTIES];
	if (extra == NULL)
		return true;
	for (xmlNodePtr c = soap_first(extra); c != NULL; c = soap_next(c))
	{
		char	   *uri;

		if (!soap_is(c, SOAP_TYPES, "FieldURI"))
			continue;			/* ExtendedFieldURI, IndexedFieldURI: not kept here */
		uri = soap_attr(c, "FieldURI");
		if (uri == NULL)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The element t:FieldURI lacks its required attribute FieldURI.");
		for (int i = 0; i < lengthof(item_fields); i++)
			if (strcmp(uri, item_fields[i].uri) == 0)
				*shape |= item_fields[i].prop;
	}
	return true;
}

/* m:Ignore: t:ItemId elements, their Id attributes kept */
static bool
read_ignore(SoapCall *call, xmlNodePtr el, EwsSyncItemsArgs *args)
{
	int			n = 0,
				cap = 8;
	char	  **ids = palloc(sizeof(char *) * cap);

	for (xmlNodePtr c = soap_first(el); c != NULL; c = soap_next(c))
	{
		char	   *id;

		CHECK_FOR_INTERRUPTS();
		if (!soap_is(c, SOAP_TYPES, "ItemId"))
			return soap_fault(call, "ErrorSchemaValidation",
							  "%s is not allowed in m:Ignore: use t:ItemId.", soap_name(c));
		id = soap_attr(c, "Id");
		if (id == NULL)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The required attribute Id of t:ItemId is missing.");
		if (n == cap)
		{
			cap *= 2;
			ids = repalloc_huge(ids, sizeof(char *) * cap);
		}
		ids[n++] = id;
	}
	if (n == 0)
		return soap_fault(call, "ErrorSchemaValidation", "m:Ignore needs at least one t:ItemId.");
	args->ignore = (const char *const *) ids;
	args->n_ignore = n;
	return true;
}

bool
soap_read_sync_folder_items(SoapCall *call, xmlNodePtr op, void **request)
{
	static const SoapChild spec[] = {
		{SOAP_MSG, "ItemShape", true},
		{SOAP_MSG, "SyncFolderId", true},
		{SOAP_MSG, "SyncState", false},
		{SOAP_MSG, "Ignore", false},
		{SOAP_MSG, "MaxChangesReturned", true},
		{SOAP_MSG, "SyncScope", false},
	};
	xmlNodePtr	parts[lengthof(spec)];
	SyncItemsRequest *r = palloc0(sizeof(SyncItemsRequest));
	const char *s;
	char	   *end;
	long		max;

	*request = r;
	if (!soap_children(call, op, spec, lengthof(spec), parts))
		return false;
	if (!read_item_shape(call, parts[0], &r->shape))
		return false;
	if (!soap_target_ref(call, parts[1], &r->args.folder))
		return false;
	r->args.state = read_state(parts[2]);
	if (parts[3] != NULL && !read_ignore(call, parts[3], &r->args))
		return false;
	/* MaxSyncChangesReturnedType: an int from 1 to 512 */
	s = soap_content(parts[4], NULL);
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	errno = 0;
	max = strtol(s, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	if (end == s || *end != '\0' || errno != 0 || max < 1 || max > EWS_SYNC_MAX_CHANGES)
		return soap_fault(call, "ErrorSchemaValidation",
						  "The value '%s' of m:MaxChangesReturned is not an integer from 1 to %d.",
						  s, EWS_SYNC_MAX_CHANGES);
	r->args.max_changes = (int) max;
	if (parts[5] != NULL)
	{
		s = soap_content(parts[5], NULL);
		if (strcmp(s, "NormalItems") == 0)
			r->args.associated = false;
		else if (strcmp(s, "NormalAndAssociatedItems") == 0)
			r->args.associated = true;
		else
			return soap_fault(call, "ErrorSchemaValidation",
							  "The value '%s' of m:SyncScope is not one of NormalItems, NormalAndAssociatedItems.", s);
	}
	return true;
}

/* xs:dateTime in UTC to the second, as the store answers every time */
static void
write_time(StringInfo buf, const char *element, TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		return;
	appendStringInfo(buf, "<t:%s>%04d-%02d-%02dT%02d:%02d:%02dZ</t:%s>", element,
					 tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, element);
}

static void
write_item_id(StringInfo buf, const char *guid, const EwsSyncItem *it, bool change_key)
{
	appendStringInfoString(buf, "<t:ItemId");
	sw_attr(buf, "Id", ews_id_text(guid, EWS_ID_KIND_ITEM, it->item_id));
	if (change_key)
		sw_attr(buf, "ChangeKey", ews_change_key_text(EWS_CK_KIND_ITEM, it->change_number));
	appendStringInfoString(buf, "/>");
}

/* is the class a message's (IPM.Note and its subclasses)? then t:Message */
static bool
is_message_class(const char *cls)
{
	return cls == NULL || (pg_strncasecmp(cls, "IPM.Note", 8) == 0 && (cls[8] == '\0' || cls[8] == '.'));
}

/* a created or changed item, its elements in ItemType's, then MessageType's, order */
static void
write_item(StringInfo buf, const EwsFolder *f, const EwsSyncItem *it, int shape)
{
	bool		message = is_message_class(it->item_class);
	const char *element = message ? "Message" : "Item";

	appendStringInfo(buf, "<t:%s>", element);
	write_item_id(buf, f->guid, it, true);
	if (shape & IP_PARENT)
	{
		appendStringInfoString(buf, "<t:ParentFolderId");
		sw_attr(buf, "Id", ews_id_text(f->guid, EWS_ID_KIND_FOLDER, f->folder_id));
		sw_attr(buf, "ChangeKey", ews_change_key_text(EWS_CK_KIND_FOLDER, f->change_number));
		appendStringInfoString(buf, "/>");
	}
	if ((shape & IP_CLASS) && it->item_class != NULL)
		sw_elem_text(buf, "t:ItemClass", it->item_class);
	if ((shape & IP_SUBJECT) && it->subject != NULL)
		sw_elem_text(buf, "t:Subject", it->subject);
	if ((shape & IP_RECEIVED) && it->has_received)
		write_time(buf, "DateTimeReceived", it->received_at);
	if (shape & IP_SIZE)
		sw_elem_int(buf, "t:Size", it->size);
	if (shape & IP_ASSOCIATED)
		sw_elem_text(buf, "t:IsAssociated", it->is_associated ? "true" : "false");
	if (message && (shape & IP_READ))
		sw_elem_text(buf, "t:IsRead", it->is_read ? "true" : "false");
	appendStringInfo(buf, "</t:%s>", element);
}

void
soap_run_sync_folder_items(SoapCall *call, void *request)
{
	SyncItemsRequest *r = request;
	EwsSyncItemsResult res;
	EwsStatus	st;
	bool		ok;

	sw_envelope_begin(call->out, call->version);
	sw_response_begin(call->out, "SyncFolderItems");
	soap_step_begin();
	ok = ews_sync_items(&call->ctx, &r->args, &res, &st);
	sync_message_begin(call, "SyncFolderItems", &st, ok ? res.state : NULL,
					   "IncludesLastItemInRange", ok ? res.includes_last : true);
	if (ok)
	{
		appendStringInfoString(call->out, "<m:Changes>");
		for (int i = 0; i < res.n; i++)
		{
			const EwsSyncItem *it = &res.items[i];
			const char *tag = ews_sync_change_name(it->change);

			appendStringInfo(call->out, "<t:%s>", tag);
			switch (it->change)
			{
				case EWS_SYNC_CREATE:
				case EWS_SYNC_UPDATE:
					write_item(call->out, &res.folder, it, r->shape);
					break;
				case EWS_SYNC_DELETE:
					write_item_id(call->out, res.folder.guid, it, false);
					break;
				case EWS_SYNC_READ_FLAG:
					write_item_id(call->out, res.folder.guid, it, true);
					sw_elem_text(call->out, "t:IsRead", it->is_read ? "true" : "false");
					break;
			}
			appendStringInfo(call->out, "</t:%s>", tag);
		}
		appendStringInfoString(call->out, "</m:Changes>");
	}
	soap_step_end();
	sw_message_end(call->out, "SyncFolderItems");
	sw_response_end(call->out, "SyncFolderItems");
	sw_envelope_end(call->out);
}
