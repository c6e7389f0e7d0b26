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
