/*
 * soap_ops.c
 *	  The folder operations of the SOAP face (GetFolder, FindFolder,
 *	  CreateFolder, DeleteFolder, MoveFolder, CopyFolder), ExportItems,
 *	  UploadItems and ConvertId.  Each is a read and a run (soap.h,
 *	  SoapOperation): read turns its request elements into C values (a schema
 *	  break is a fault, before anything changes); run calls the store core
 *	  once per input and writes one response message per input, in order.
 *	  No rule lives here: the core decides, this file translates.
 */
#include "soap.h"

#include <limits.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "base64.h"
#include "ews.h"
#include "folder.h"
#include "ids.h"
#include "item.h"
#include "finditem.h"
#include "props.h"
#include "soapwrite.h"

/*
 * FolderShape: the set of properties a response carries for each folder.
 * BaseShape gives a starting set; AdditionalProperties (t:FieldURI
 * FieldURI="folder:...") adds to it.  Clients rely on this: exchangelib asks
 * for IdOnly plus the properties it wants (DisplayName, ParentFolderId, ...)
 * and builds its folder tree from exactly those.
 */
typedef uint32 FolderShape;

#define FP_PARENT			0x0001
#define FP_CLASS			0x0002
#define FP_NAME				0x0004
#define FP_TOTAL			0x0008
#define FP_CHILDREN			0x0010
#define FP_EFFECTIVE_RIGHTS	0x0020
#define FP_DISTINGUISHED	0x0040
#define FP_UNREAD			0x0080

#define SHAPE_ID_ONLY		0
#define SHAPE_DEFAULT		(FP_PARENT | FP_CLASS | FP_NAME | FP_TOTAL | FP_CHILDREN | FP_UNREAD)
#define SHAPE_ALL			(SHAPE_DEFAULT | FP_EFFECTIVE_RIGHTS | FP_DISTINGUISHED)

/* the folder FieldURIs we keep; any other (PermissionSet, PolicyTag, ...) is answered without it */
static const struct
{
	const char *uri;
	FolderShape prop;
}			folder_fields[] = {
	{"folder:FolderId", 0},
	{"folder:ParentFolderId", FP_PARENT},
	{"folder:FolderClass", FP_CLASS},
	{"folder:DisplayName", FP_NAME},
	{"folder:TotalCount", FP_TOTAL},
	{"folder:ChildFolderCount", FP_CHILDREN},
	{"folder:EffectiveRights", FP_EFFECTIVE_RIGHTS},
	{"folder:DistinguishedFolderId", FP_DISTINGUISHED},
	{"folder:UnreadCount", FP_UNREAD},
};

/*
 * The most a response message of the folder operations takes: ids,
 * ChangeKeys, a display name of up to 1 kB escaped, class, counts (soap.h,
 * SoapBatch).
 */
#define FOLDER_MESSAGE_MAX	(16 * 1024)
/* an error message: its MessageText is short, or names an id */
#define ERROR_MESSAGE_MAX	2048

static void
message_begin(SoapCall *call, const char *op, const EwsStatus *st)
{
	if (st->code == EWS_NoError)
		sw_message_begin(call->out, op, NULL, NULL, NULL);
	else
		sw_message_begin(call->out, op, ews_code_name(st->code), ews_status_text(st),
						 st->mailbox_guid);
}

/* the ExtendedFieldURIs of a folder shape, in request order */
typedef struct FolderExt
{
	EwsExtPath *paths;
	int			n;
} FolderExt;

static bool
read_shape(SoapCall *call, xmlNodePtr shape_el, FolderShape *shape, FolderExt *ext)
{
	static const SoapChild spec[] = {
		{SOAP_TYPES, "BaseShape", true},
		{SOAP_TYPES, "AdditionalProperties", false},
	};
	xmlNodePtr	parts[2];
	const char *s;
	int			n = 0;

	memset(ext, 0, sizeof(*ext));
	if (!soap_children(call, shape_el, spec, 2, parts))
		return false;
	s = soap_content(parts[0], NULL);
	if (strcmp(s, "IdOnly") == 0)
		*shape = SHAPE_ID_ONLY;
	else if (strcmp(s, "Default") == 0)
		*shape = SHAPE_DEFAULT;
	else if (strcmp(s, "AllProperties") == 0)
		*shape = SHAPE_ALL;
	else
		return soap_fault(call, "ErrorSchemaValidation",
						  "The value '%s' of t:BaseShape is not one of IdOnly, Default, AllProperties.", s);
	if (parts[1] == NULL)
		return true;
	for (xmlNodePtr c = soap_first(parts[1]); c != NULL; c = soap_next(c))
		n++;
	if (n > 1024)
		return soap_fault(call, "ErrorSchemaValidation",
						  "t:AdditionalProperties names more than 1024 properties.");
	ext->paths = palloc(sizeof(EwsExtPath) * Max(n, 1));
	/*
	 * t:FieldURI adds a property we keep (others, such as folder:PermissionSet,
	 * name properties we do not store: the folder is answered without them,
	 * as Exchange answers a folder that lacks a property); t:ExtendedFieldURI
	 * adds the folder properties of props.c (DavMail's count, unread count,
	 * ctag, UIDNEXT...), echoed as written.
	 */
	for (xmlNodePtr c = soap_first(parts[1]); c != NULL; c = soap_next(c))
	{
		EwsPath		p;

		if (!soap_read_path(call, c, &p))
			return false;
		if (p.kind == EWS_PATH_FIELD)
		{
			for (int i = 0; i < lengthof(folder_fields); i++)
				if (strcmp(p.uri, folder_fields[i].uri) == 0)
					*shape |= folder_fields[i].prop;
		}
		else if (p.kind == EWS_PATH_EXTENDED)
			ext->paths[ext->n++] = p.ext;
	}
	return true;
}

/*
 * The element a folder is written as follows its class, as Exchange does:
 * clients pick the folder's kind from the element name.
 */
const char *
soap_folder_element(const char *cls)
{
	static const struct
	{
		const char *prefix;
		const char *element;
	}			kinds[] = {
		{"IPF.Appointment", "CalendarFolder"},
		{"IPF.Contact", "ContactsFolder"},
		{"IPF.Task", "TasksFolder"},
	};

	if (cls == NULL)
		return "Folder";
	for (int i = 0; i < lengthof(kinds); i++)
	{
		size_t		l = strlen(kinds[i].prefix);

		if (strncmp(cls, kinds[i].prefix, l) == 0 && (cls[l] == '\0' || cls[l] == '.'))
			return kinds[i].element;
	}
	return "Folder";
}

static void
write_folder_id(StringInfo buf, const char *element, const char *guid, int64 folder_id,
				int64 change_number)
{
	appendStringInfo(buf, "<t:%s", element);
	sw_attr(buf, "Id", ews_id_text(guid, EWS_ID_KIND_FOLDER, folder_id));
	sw_attr(buf, "ChangeKey", ews_change_key_text(EWS_CK_KIND_FOLDER, change_number));
	appendStringInfoString(buf, "/>");
}

/* a folder in the order BaseFolderType, then FolderType, give its elements */
/* one t:ExtendedProperty of a folder, left out when the folder has no such property */
static void
write_folder_extended(StringInfo buf, const EwsFolder *f, const EwsExtPath *p)
{
	const EwsFolderPropDef *d = ews_folder_prop_by_key(&p->key);
	int			start = buf->len;

	if (d == NULL)
		return;
	appendStringInfoString(buf, "<t:ExtendedProperty>");
	ews_ext_path_write(buf, p);
	appendStringInfoString(buf, "<t:Value>");
	switch (d->prop)
	{
		case EWS_FP_DISPLAY_NAME:
			sw_text(buf, f->display_name);
			break;
		case EWS_FP_CLASS:
			if (f->folder_class == NULL)
				goto none;
			sw_text(buf, f->folder_class);
			break;
		case EWS_FP_DISTINGUISHED:
			if (f->distinguished == NULL)
				goto none;
			sw_text(buf, f->distinguished);
			break;
		case EWS_FP_TOTAL_COUNT:
			appendStringInfo(buf, "%d", f->total_count);
			break;
		case EWS_FP_UNREAD_COUNT:
			appendStringInfo(buf, "%d", f->unread_count);
			break;
		case EWS_FP_CHILD_COUNT:
			appendStringInfo(buf, "%d", f->child_count);
			break;
		case EWS_FP_HAS_SUBFOLDERS:
			appendStringInfoString(buf, f->child_count > 0 ? "true" : "false");
			break;
		case EWS_FP_CONTENT_CHANGED:
			if (!ews_format_time(buf, f->content_changed_at))
				goto none;
			break;
		case EWS_FP_NEXT_ARTICLE:
			appendStringInfo(buf, INT64_FORMAT, f->next_article);
			break;
		case EWS_FP_LAST_ARTICLE:
			appendStringInfo(buf, INT64_FORMAT, f->next_article - 1);
			break;
	}
	appendStringInfoString(buf, "</t:Value></t:ExtendedProperty>");
	return;
none:
	buf->len = start;
	buf->data[start] = '\0';
}

static void
write_folder(StringInfo buf, const EwsFolder *f, FolderShape shape, const char *element,
			 const FolderExt *ext)
{
	if (element == NULL)
		element = soap_folder_element(f->folder_class);
	appendStringInfo(buf, "<t:%s>", element);
	write_folder_id(buf, "FolderId", f->guid, f->folder_id, f->change_number);
	if ((shape & FP_PARENT) && f->parent_id != 0)
		write_folder_id(buf, "ParentFolderId", f->guid, f->parent_id, f->parent_change);
	if ((shape & FP_CLASS) && f->folder_class != NULL)
		sw_elem_text(buf, "t:FolderClass", f->folder_class);
	if ((shape & FP_NAME) && f->display_name != NULL)
		sw_elem_text(buf, "t:DisplayName", f->display_name);
	if (shape & FP_TOTAL)
		sw_elem_int(buf, "t:TotalCount", f->total_count);
	if (shape & FP_CHILDREN)
		sw_elem_int(buf, "t:ChildFolderCount", f->child_count);
	for (int i = 0; ext != NULL && i < ext->n; i++)
		write_folder_extended(buf, f, &ext->paths[i]);
	if (shape & FP_EFFECTIVE_RIGHTS)
		sw_effective_rights(buf, f->access == EWS_ACCESS_WRITE, f->delegated);
	if ((shape & FP_DISTINGUISHED) && f->distinguished != NULL)
		sw_elem_text(buf, "t:DistinguishedFolderId", f->distinguished);
	/* CalendarFolderType and ContactsFolderType have no UnreadCount */
	if ((shape & FP_UNREAD) &&
		strcmp(element, "CalendarFolder") != 0 && strcmp(element, "ContactsFolder") != 0)
		sw_elem_int(buf, "t:UnreadCount", f->unread_count);
	appendStringInfo(buf, "</t:%s>", element);
}

/* ---- GetFolder ---- */

typedef struct GetFolderRequest
{
	FolderShape shape;
	FolderExt	ext;
	EwsFolderRef *refs;
	int			n;
} GetFolderRequest;

bool
soap_read_get_folder(SoapCall *call, xmlNodePtr op, void **request)
{
	static const SoapChild spec[] = {
		{SOAP_MSG, "FolderShape", true},
		{SOAP_MSG, "FolderIds", true},
	};
	xmlNodePtr	parts[2];
	GetFolderRequest *r = palloc0(sizeof(GetFolderRequest));

	*request = r;
	return soap_children(call, op, spec, 2, parts) &&
		read_shape(call, parts[0], &r->shape, &r->ext) &&
		soap_folder_refs(call, parts[1], &r->refs, &r->n);
}

void
soap_run_get_folder(SoapCall *call, void *request)
{
	GetFolderRequest *r = request;

	SoapBatch	b;

	sw_envelope_begin(call->out, call->version);
	sw_response_begin(call->out, "GetFolder");
	soap_batch_begin(&b, call, "GetFolder", "<m:Folders/>", r->n);
	for (int i = 0; i < r->n; i++)
	{
		EwsFolder	f;
		EwsStatus	st;

		if (!soap_batch_next(&b, i, FOLDER_MESSAGE_MAX))
			continue;
		soap_step_begin();
		ews_folder_get(&call->ctx, &r->refs[i], &f, &st);
		soap_step_end();
		message_begin(call, "GetFolder", &st);
		if (st.code == EWS_NoError)
		{
			appendStringInfoString(call->out, "<m:Folders>");
			write_folder(call->out, &f, r->shape, NULL, &r->ext);
			appendStringInfoString(call->out, "</m:Folders>");
		}
		else
			appendStringInfoString(call->out, "<m:Folders/>");
		sw_message_end(call->out, "GetFolder");
		soap_batch_done(&b, i, true);
	}
	soap_batch_end(&b);
	sw_response_end(call->out, "GetFolder");
	sw_envelope_end(call->out);
}

/* ---- FindFolder ---- */

/* an xs:int attribute; a value that is not one is a schema fault */
static bool
int_attr(SoapCall *call, xmlNodePtr el, const char *name, bool required, int *out, bool *present)
{
	char	   *s = soap_attr(el, name);
	char	   *end;
	long		v;

	*present = s != NULL;
	if (s == NULL)
	{
		if (required)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The required attribute %s of %s is missing.", name, soap_name(el));
		return true;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < INT_MIN || v > INT_MAX)
		return soap_fault(call, "ErrorSchemaValidation",
						  "The value '%s' of %s/@%s is not an xs:int.", s, soap_name(el), name);
	*out = (int) v;
	return true;
}

typedef struct FolderView
{
	enum
	{
		VIEW_NONE, VIEW_INDEXED, VIEW_FRACTIONAL
	}			kind;
	bool		has_max;
	int			max;
	int			offset;			/* Indexed: Offset; Fractional: Numerator */
	int			denominator;
	bool		from_end;		/* BasePoint="End" */
} FolderView;

static bool
read_view(SoapCall *call, xmlNodePtr indexed, xmlNodePtr fractional, FolderView *v)
{
	bool		present;

	memset(v, 0, sizeof(*v));
	if (indexed && fractional)
		return soap_fault(call, "ErrorSchemaValidation",
						  "m:FindFolder takes one of m:IndexedPageFolderView and m:FractionalPageFolderView.");
	if (indexed)
	{
		char	   *bp = soap_attr(indexed, "BasePoint");

		v->kind = VIEW_INDEXED;
		if (!int_attr(call, indexed, "MaxEntriesReturned", false, &v->max, &v->has_max) ||
			!int_attr(call, indexed, "Offset", true, &v->offset, &present))
			return false;
		if (bp == NULL)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The required attribute BasePoint of m:IndexedPageFolderView is missing.");
		if (strcmp(bp, "End") == 0)
			v->from_end = true;
		else if (strcmp(bp, "Beginning") != 0)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The value '%s' of BasePoint is not Beginning or End.", bp);
	}
	else if (fractional)
	{
		v->kind = VIEW_FRACTIONAL;
		if (!int_attr(call, fractional, "MaxEntriesReturned", false, &v->max, &v->has_max) ||
			!int_attr(call, fractional, "Numerator", true, &v->offset, &present) ||
			!int_attr(call, fractional, "Denominator", true, &v->denominator, &present))
			return false;
	}
	return true;
}

typedef struct FindFolderRequest
{
	bool		deep;
	FolderShape shape;
	FolderExt	ext;
	FolderView	view;
	struct EwsRestriction *restriction;	/* NULL: every folder */
	EwsFolderRef *refs;
	int			n;
} FindFolderRequest;

bool
soap_read_find_folder(SoapCall *call, xmlNodePtr op, void **request)
{
	static const SoapChild spec[] = {
		{SOAP_MSG, "FolderShape", true},
		{SOAP_MSG, "IndexedPageFolderView", false},
		{SOAP_MSG, "FractionalPageFolderView", false},
		{SOAP_MSG, "Restriction", false},
		{SOAP_MSG, "ParentFolderIds", true},
	};
	xmlNodePtr	parts[5];
	FindFolderRequest *r = palloc0(sizeof(FindFolderRequest));
	char	   *traversal = soap_attr(op, "Traversal");

	*request = r;
	if (traversal == NULL)
		return soap_fault(call, "ErrorSchemaValidation",
						  "The required attribute Traversal of m:FindFolder is missing.");
	if (strcmp(traversal, "Shallow") == 0)
		r->deep = false;
	else if (strcmp(traversal, "Deep") == 0)
		r->deep = true;
	else if (strcmp(traversal, "SoftDeleted") == 0)
		return soap_fault(call, "ErrorInvalidRequest",
						  "FindFolder with Traversal SoftDeleted is not supported.");
	else
		return soap_fault(call, "ErrorSchemaValidation",
						  "The value '%s' of Traversal is not Shallow, Deep or SoftDeleted.", traversal);
	if (!soap_children(call, op, spec, 5, parts) ||
		!read_shape(call, parts[0], &r->shape, &r->ext) ||
		!read_view(call, parts[1], parts[2], &r->view) ||
		!soap_folder_refs(call, parts[4], &r->refs, &r->n))
		return false;
	/* the search expressions of FindItem, over the folders' properties (soap_items.c) */
	if (parts[3] != NULL && !soap_read_restriction(call, parts[3], &r->restriction))
		return false;
	return true;
}

/*
 * FindFolder.  Each parent's folders come as a light list of ids
 * (ews_folder_find_list); the page the view asks for is cut from it and
 * only that page is fetched, counts included, so a page at offset 10 000
 * costs what the first page costs.  Exchange's EWSFindCountLimit is
 * ews.max_find_count: without a view, more folders than it is
 * ErrorExceededFindCountLimit (the client should page); with one, the page
 * is cut to it, and IncludesLastItemInRange and the next offset say so.
 */
void
soap_run_find_folder(SoapCall *call, void *request)
{
	FindFolderRequest *r = request;
	const FolderView view = r->view;
	SoapBatch	b;
	bool		with_counts = (r->shape & (FP_TOTAL | FP_CHILDREN | FP_UNREAD)) != 0 || r->ext.n > 0;

	sw_envelope_begin(call->out, call->version);
	sw_response_begin(call->out, "FindFolder");
	soap_batch_begin(&b, call, "FindFolder", "", r->n);
	for (int i = 0; i < r->n; i++)
	{
		EwsStatus	st;
		EwsFolderList *list;
		int64		total;
		int64		start = 0,
					stop;
		int64		limit = ews_max_find_count;

		/* paging errors have codes EwsCode lacks: they are written by name */
		const char *paging_code = NULL;
		const char *paging_text = NULL;

		if (!soap_batch_next(&b, i, FOLDER_MESSAGE_MAX))
			continue;
		soap_step_begin();
		list = ews_folder_find_list(&call->ctx, &r->refs[i], r->deep, r->restriction, &st);
		stop = total = list ? list->n : 0;

		if (st.code == EWS_NoError && view.kind != VIEW_NONE)
		{
			if (view.has_max && view.max <= 0)
			{
				paging_code = "ErrorInvalidPagingMaxRows";
				paging_text = "MaxEntriesReturned must be greater than zero.";
			}
			else if (view.offset < 0 || (view.kind == VIEW_FRACTIONAL &&
										 (view.denominator <= 0 || view.offset > view.denominator)))
			{
				paging_code = "ErrorInvalidIndexedPagingParameters";
				paging_text = "The paging offset is out of range.";
			}
		}
		if (st.code == EWS_NoError && paging_code == NULL && view.kind == VIEW_NONE && total > limit)
		{
			ews_status_set(&st, EWS_ErrorExceededFindCountLimit,
						   psprintf("FindFolder would return " INT64_FORMAT " folders, more than ews.max_find_count (%d): page with m:IndexedPageFolderView.",
									total, ews_max_find_count));
		}
		if (st.code != EWS_NoError || paging_code != NULL)
		{
			soap_step_end();
			if (paging_code != NULL)
				sw_message_begin(call->out, "FindFolder", paging_code, paging_text, NULL);
			else
				message_begin(call, "FindFolder", &st);
			sw_message_end(call->out, "FindFolder");
			soap_batch_done(&b, i, true);
			continue;
		}
		/* a page holds at most ews.max_find_count folders, as Exchange cuts one */
		if (view.kind == VIEW_INDEXED)
		{
			int64		max = view.has_max ? Min((int64) view.max, limit) : limit;

			if (view.from_end)
			{
				stop = Max(total - view.offset, 0);
				start = Max(stop - max, 0);
			}
			else
			{
				start = Min((int64) view.offset, total);
				stop = Min(start + max, total);
			}
		}
		else if (view.kind == VIEW_FRACTIONAL)
		{
			int64		max = view.has_max ? Min((int64) view.max, limit) : limit;

			start = total * view.offset / view.denominator;
			stop = Min(start + max, total);
		}

		message_begin(call, "FindFolder", &st);
		appendStringInfoString(call->out, "<m:RootFolder");
		if (view.kind == VIEW_FRACTIONAL)
			appendStringInfo(call->out, " NumeratorOffset=\"" INT64_FORMAT "\" AbsoluteDenominator=\"" INT64_FORMAT "\"",
							 stop, total);
		else
			appendStringInfo(call->out, " IndexedPagingOffset=\"" INT64_FORMAT "\"",
							 view.kind == VIEW_INDEXED && view.from_end ? total - start : stop);
		appendStringInfo(call->out, " TotalItemsInView=\"" INT64_FORMAT "\" IncludesLastItemInRange=\"%s\">",
						 total, (view.kind == VIEW_INDEXED && view.from_end ? start == 0 : stop >= total) ? "true" : "false");
		appendStringInfoString(call->out, "<t:Folders>");
		/* the page, fetched in pieces so that one piece's folders are in memory at a time */
		for (int64 j = start; j < stop; j += 100)
		{
			int			count = (int) Min((int64) 100, stop - j);
			EwsFolder  *page = palloc(sizeof(EwsFolder) * count);

			CHECK_FOR_INTERRUPTS();
			ews_folder_find_fetch(list, j, count, with_counts, page);
			for (int k = 0; k < count; k++)
				write_folder(call->out, &page[k], r->shape, NULL, &r->ext);
			pfree(page);
		}
		soap_step_end();
		appendStringInfoString(call->out, "</t:Folders></m:RootFolder>");
		sw_message_end(call->out, "FindFolder");
		soap_batch_done(&b, i, true);
	}
	soap_batch_end(&b);
	sw_response_end(call->out, "FindFolder");
	sw_envelope_end(call->out);
}

/* ---- CreateFolder ---- */

typedef struct NewFolder
{
	const char *element;		/* Folder, CalendarFolder, ... as requested */
	char	   *display_name;
	char	   *folder_class;
} NewFolder;

typedef struct CreateFolderRequest
{
	EwsFolderRef parent;
	NewFolder  *folders;
	int			n;
} CreateFolderRequest;

bool
soap_read_create_folder(SoapCall *call, xmlNodePtr op, void **request)
{
	static const SoapChild spec[] = {
		{SOAP_MSG, "ParentFolderId", true},
		{SOAP_MSG, "Folders", true},
	};
	/* the folder elements and the class each implies when FolderClass is absent */
	static const struct
	{
		const char *element;
		const char *implied_class;
	}			kinds[] = {
		{"Folder", NULL},		/* stays NULL: never invent a class */
		{"CalendarFolder", "IPF.Appointment"},
		{"ContactsFolder", "IPF.Contact"},
		{"TasksFolder", "IPF.Task"},
		{"SearchFolder", NULL},
	};
	xmlNodePtr	parts[2];
	CreateFolderRequest *r = palloc0(sizeof(CreateFolderRequest));
	NewFolder  *folders;
	int			n = 0;

	*request = r;
	if (!soap_children(call, op, spec, 2, parts) ||
		!soap_target_ref(call, parts[0], &r->parent))
		return false;
	for (xmlNodePtr c = soap_first(parts[1]); c != NULL; c = soap_next(c))
		n++;
	if (n == 0)
		return soap_fault(call, "ErrorSchemaValidation", "m:Folders needs at least one folder.");
	if (!soap_batch_size_ok(call, n, "folders"))
		return false;
	folders = palloc0(sizeof(NewFolder) * n);
	n = 0;
	for (xmlNodePtr c = soap_first(parts[1]); c != NULL; c = soap_next(c))
	{
		NewFolder  *nf = &folders[n++];
		int			k;

		for (k = 0; k < lengthof(kinds); k++)
			if (soap_is(c, SOAP_TYPES, kinds[k].element))
				break;
		if (k == lengthof(kinds))
			return soap_fault(call, "ErrorSchemaValidation",
							  "%s is not a folder element: use t:Folder, t:CalendarFolder, t:ContactsFolder, t:TasksFolder or t:SearchFolder.",
							  soap_name(c));
		nf->element = kinds[k].element;
		/* other BaseFolderType properties (permissions, search parameters) are not stored */
		for (xmlNodePtr p = soap_first(c); p != NULL; p = soap_next(p))
		{
			if (soap_is(p, SOAP_TYPES, "DisplayName"))
				nf->display_name = pstrdup(soap_content(p, NULL));
			else if (soap_is(p, SOAP_TYPES, "FolderClass"))
				nf->folder_class = pstrdup(soap_content(p, NULL));
		}
		if (nf->folder_class == NULL && kinds[k].implied_class != NULL)
			nf->folder_class = pstrdup(kinds[k].implied_class);
	}
	r->folders = folders;
	r->n = n;
	return true;
}

void
soap_run_create_folder(SoapCall *call, void *request)
{
	CreateFolderRequest *r = request;
	NewFolder  *folders = r->folders;

	SoapBatch	b;

	sw_envelope_begin(call->out, call->version);
	sw_response_begin(call->out, "CreateFolder");
	soap_batch_begin(&b, call, "CreateFolder", "<m:Folders/>", r->n);
	for (int i = 0; i < r->n; i++)
	{
		EwsFolder	f;
		EwsStatus	st;

		if (!soap_batch_next(&b, i, ERROR_MESSAGE_MAX))
			continue;
		soap_step_begin();
		ews_folder_create(&call->ctx, &r->parent, folders[i].display_name, folders[i].folder_class,
						  &f, &st);
		soap_step_end();
		message_begin(call, "CreateFolder", &st);
		if (st.code == EWS_NoError)
		{
			appendStringInfo(call->out, "<m:Folders><t:%s>", folders[i].element);
			write_folder_id(call->out, "FolderId", f.guid, f.folder_id, f.change_number);
			appendStringInfo(call->out, "</t:%s></m:Folders>", folders[i].element);
		}
		else
			appendStringInfoString(call->out, "<m:Folders/>");
		sw_message_end(call->out, "CreateFolder");
		soap_batch_done(&b, i, false);
	}
	soap_batch_end(&b);
	sw_response_end(call->out, "CreateFolder");
	sw_envelope_end(call->out);
}

/* ---- DeleteFolder ---- */

typedef struct DeleteFolderRequest
{
	EwsDeleteType type;
	EwsFolderRef *refs;
	int			n;
} DeleteFolderRequest;

bool
soap_read_delete_folder(SoapCall *call, xmlNodePtr op, void **request)
{
	static const SoapChild spec[] = {{SOAP_MSG, "FolderIds", true}};
	xmlNodePtr	ids;
	DeleteFolderRequest *r = palloc0(sizeof(DeleteFolderRequest));
	char	   *dt = soap_attr(op, "DeleteType");

	*request = r;
	if (dt == NULL)
		return soap_fault(call, "ErrorSchemaValidation",
						  "The required attribute DeleteType of m:DeleteFolder is missing.");
	if (!ews_delete_type_from_name(dt, &r->type))
		return soap_fault(call, "ErrorSchemaValidation",
						  "The value '%s' of DeleteType is not HardDelete, SoftDelete or MoveToDeletedItems.", dt);
	return soap_children(call, op, spec, 1, &ids) &&
		soap_folder_refs(call, ids, &r->refs, &r->n);
}

void
soap_run_delete_folder(SoapCall *call, void *request)
{
	DeleteFolderRequest *r = request;

	SoapBatch	b;

	sw_envelope_begin(call->out, call->version);
	sw_response_begin(call->out, "DeleteFolder");
	/* the mailboxes' hierarchy locks in a fixed order, before the first delete */
	soap_step_begin();
	ews_folder_lock_hierarchies(&call->ctx, r->refs, r->n, EWS_NEED_WRITE);
	soap_step_end();
	soap_batch_begin(&b, call, "DeleteFolder", "", r->n);
	for (int i = 0; i < r->n; i++)
	{
		EwsStatus	st;

		if (!soap_batch_next(&b, i, ERROR_MESSAGE_MAX))
			continue;
		soap_step_begin();
		ews_folder_delete(&call->ctx, &r->refs[i], r->type, &st);
		soap_step_end();
		message_begin(call, "DeleteFolder", &st);
		sw_message_end(call->out, "DeleteFolder");
		soap_batch_done(&b, i, false);
	}
	soap_batch_end(&b);
	sw_response_end(call->out, "DeleteFolder");
	sw_envelope_end(call->out);
}

/* ---- ConvertId ---- */

/*
 * Our ids have one format, EwsId, so the only conversion is EwsId to EwsId
 * of an id that decodes and names a mailbox the request may read (any other
 * answers exactly as a missing mailbox); everything else is an error message
 * per id (not a fault: clients such as exchangelib send ConvertId to learn
 * the server's version and only read the header).
 */
typedef struct ConvertIdSource
{
	bool		convertible;	/* a t:AlternateId from EwsId, with Id and Mailbox */
	char	   *id;
	char	   *mailbox;
} ConvertIdSource;

typedef struct ConvertIdRequest
{
	ConvertIdSource *sources;
	int			n;
} ConvertIdRequest;

bool
soap_read_convert_id(SoapCall *call, xmlNodePtr op, void **request)
{
	static const SoapChild spec[] = {{SOAP_MSG, "SourceIds", true}};
	xmlNodePtr	src;
	ConvertIdRequest *r = palloc0(sizeof(ConvertIdRequest));
	char	   *dest = soap_attr(op, "DestinationFormat");
	int			n = 0;

	*request = r;
	if (dest == NULL)
		return soap_fault(call, "ErrorSchemaValidation",
						  "The required attribute DestinationFormat of m:ConvertId is missing.");
	if (!soap_children(call, op, spec, 1, &src))
		return false;
	for (xmlNodePtr c = soap_first(src); c != NULL; c = soap_next(c))
	{
		if (!soap_is(c, SOAP_TYPES, "AlternateId") && !soap_is(c, SOAP_TYPES, "AlternatePublicFolderId") &&
			!soap_is(c, SOAP_TYPES, "AlternatePublicFolderItemId"))
			return soap_fault(call, "ErrorSchemaValidation",
							  "%s is not allowed in m:SourceIds.", soap_name(c));
		n++;
	}
	if (n == 0)
		return soap_fault(call, "ErrorSchemaValidation", "m:SourceIds needs at least one id.");
	if (!soap_batch_size_ok(call, n, "ids"))
		return false;
	r->sources = palloc0(sizeof(ConvertIdSource) * n);
	for (xmlNodePtr c = soap_first(src); c != NULL; c = soap_next(c))
	{
		ConvertIdSource *cs = &r->sources[r->n++];
		char	   *format = soap_attr(c, "Format");

		cs->id = soap_attr(c, "Id");
		cs->mailbox = soap_attr(c, "Mailbox");
		cs->convertible = soap_is(c, SOAP_TYPES, "AlternateId") && format != NULL &&
			cs->id != NULL && cs->mailbox != NULL && strcmp(format, "EwsId") == 0 &&
			strcmp(dest, "EwsId") == 0;
	}
	return true;
}

/*
 * Our ids have one format, EwsId, so the only conversion is EwsId to EwsId
 * of an id that decodes and names a mailbox the request may read (any other
 * answers exactly as a missing mailbox); everything else is an error message
 * per id (not a fault: clients such as exchangelib send ConvertId to learn
 * the server's version and only read the header).
 */
void
soap_run_convert_id(SoapCall *call, void *request)
{
	ConvertIdRequest *r = request;

	SoapBatch	b;

	sw_envelope_begin(call->out, call->version);
	sw_response_begin(call->out, "ConvertId");
	soap_batch_begin(&b, call, "ConvertId", "", r->n);
	for (int i = 0; i < r->n; i++)
	{
		ConvertIdSource *cs = &r->sources[i];
		EwsObjectId oid;
		EwsMailbox	mb;
		EwsStatus	st;

		/* an answer echoes the id and the mailbox, whatever their length */
		if (!soap_batch_next(&b, i, ERROR_MESSAGE_MAX + 6 * (strlen(cs->id ? cs->id : "") +
															  strlen(cs->mailbox ? cs->mailbox : ""))))
			continue;
		if (!cs->convertible)
			sw_message_begin(call->out, "ConvertId", "ErrorInvalidIdMalformed",
							 "This server converts ids from EwsId to EwsId only.", NULL);
		else if (ews_id_decode(cs->id, strlen(cs->id), &oid) != EWS_ID_OK)
			sw_message_begin(call->out, "ConvertId", "ErrorInvalidIdMalformed",
							 ews_code_text(EWS_ErrorInvalidIdMalformed), NULL);
		else if (!ews_mailbox_by_guid(&call->ctx, oid.mailbox, EWS_NEED_READ, &mb, &st))
			message_begin(call, "ConvertId", &st);	/* as for a missing mailbox */
		else
		{
			/*
			 * @Mailbox answers the mailbox the id belongs to, by its primary
			 * SMTP address, whatever the client sent: DavMail learns the
			 * user's address from it at login.
			 */
			sw_message_begin(call->out, "ConvertId", NULL, NULL, NULL);
			appendStringInfoString(call->out, "<m:AlternateId xsi:type=\"t:AlternateIdType\" Format=\"EwsId\"");
			sw_attr(call->out, "Id", cs->id);
			sw_attr(call->out, "Mailbox", mb.smtp_address);
			appendStringInfoString(call->out, "/>");
		}
		sw_message_end(call->out, "ConvertId");
		soap_batch_done(&b, i, false);
	}
	soap_batch_end(&b);
	sw_response_end(call->out, "ConvertId");
	sw_envelope_end(call->out);
}

/* ---- MoveFolder, CopyFolder ---- */

typedef struct MoveCopyRequest
{
	EwsFolderRef target;
	EwsFolderRef *refs;
	int			n;
} MoveCopyRequest;

static bool
read_move_or_copy(SoapCall *call, xmlNodePtr op, void **request)
{
	static const SoapChild spec[] = {
		{SOAP_MSG, "ToFolderId", true},
		{SOAP_MSG, "FolderIds", true},
	};
	xmlNodePtr	parts[2];
	MoveCopyRequest *r = palloc0(sizeof(MoveCopyRequest));

	*request = r;
	return soap_children(call, op, spec, 2, parts) &&
		soap_target_ref(call, parts[0], &r->target) &&
		soap_folder_refs(call, parts[1], &r->refs, &r->n);
}

typedef void (*MoveCopyFn) (EwsCtx *ctx, const EwsFolderRef *target, const EwsFolderRef *sources, int n,
							EwsFolder *out, EwsStatus *st);

static void
run_move_or_copy(SoapCall *call, MoveCopyRequest *r, const char *name, MoveCopyFn fn)
{
	SoapBatch	b;

	sw_envelope_begin(call->out, call->version);
	sw_response_begin(call->out, name);
	soap_batch_begin(&b, call, name, "<m:Folders/>", r->n);
	for (int i = 0; i < r->n; i++)
	{
		EwsFolder	f;
		EwsStatus	st;

		if (!soap_batch_next(&b, i, ERROR_MESSAGE_MAX))
			continue;

		/*
		 * One source per core call, each seeing what the ones before it did:
		 * moving A under B and then B under A in one request must find the
		 * cycle.
		 */
		soap_step_begin();
		fn(&call->ctx, &r->target, &r->refs[i], 1, &f, &st);
		soap_step_end();
		message_begin(call, name, &st);
		if (st.code == EWS_NoError)
		{
			const char *element = soap_folder_element(f.folder_class);

			appendStringInfo(call->out, "<m:Folders><t:%s>", element);
			write_folder_id(call->out, "FolderId", f.guid, f.folder_id, f.change_number);
			appendStringInfo(call->out, "</t:%s></m:Folders>", element);
		}
		else
			appendStringInfoString(call->out, "<m:Folders/>");
		sw_message_end(call->out, name);
		soap_batch_done(&b, i, false);
	}
	soap_batch_end(&b);
	sw_response_end(call->out, name);
	sw_envelope_end(call->out);
}

bool
soap_read_move_folder(SoapCall *call, xmlNodePtr op, void **request)
{
	return read_move_or_copy(call, op, request);
}

void
soap_run_move_folder(SoapCall *call, void *request)
{
	run_move_or_copy(call, request, "MoveFolder", ews_folder_move);
}

bool
soap_read_copy_folder(SoapCall *call, xmlNodePtr op, void **request)
{
	return read_move_or_copy(call, op, request);
}

void
soap_run_copy_folder(SoapCall *call, void *request)
{
	run_move_or_copy(call, request, "CopyFolder", ews_folder_copy);
}

/* ---- ExportItems ---- */

/*
 * ExportItems.  The response is sized from the stored sizes of the items
 * (the plan, before any blob is read): the buffer is grown once to what the
 * batch needs, and when that is more than ews.max_response_size, the first
 * input that does not fit and every one after it get
 * ErrorBatchProcessingStopped (their blobs are never read).  An item whose
 * answer alone could never fit gets ErrorMessageSizeExceeded, and the batch
 * goes on.
 */
typedef struct ExportState
{
	SoapCall   *call;
	const EwsItemRef *refs;
	int			n;
	bool	   *too_large;		/* inputs that can never fit */
	int			stop;			/* the inputs from here on are not exported */
} ExportState;

/* the bytes of a success message for an item of size bytes */
static size_t
export_message_size(const EwsItemRef *ref, int64 size)
{
	return ews_base64_encoded_len((size_t) size) + 512 + strlen(ref->id) + EWS_CK_CHARS;
}

static int
export_plan(void *arg, const int64 *sizes, int n)
{
	ExportState *es = (ExportState *) arg;
	SoapCall   *call = es->call;
	size_t		base = (size_t) call->out->len;
	size_t		want = 0;
	int			stop = n;

	es->too_large = palloc0(sizeof(bool) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		size_t		msg = sizes[i] < 0 ? ERROR_MESSAGE_MAX : export_message_size(&es->refs[i], sizes[i]);

		/* alone in a response, with nothing else answered: never fits */
		if (sizes[i] >= 0 && (int64) msg + 4096 > ews_max_response_size)
		{
			es->too_large[i] = true;
			msg = ERROR_MESSAGE_MAX;
		}
		if ((int64) (base + want + msg) + 256 + (int64) (n - i - 1) * SOAP_STOPPED_MESSAGE >
			ews_max_response_size)
		{
			stop = i;
			break;
		}
		want += msg;
	}
	/* one enlargement for the whole batch: a doubling buffer would copy the megabytes again and again */
	want += (size_t) (n - stop) * SOAP_STOPPED_MESSAGE + 256;
	if (want < (size_t) (MaxAllocSize - call->out->len - 1))
		enlargeStringInfo(call->out, (int) want);
	es->stop = stop;
	return stop;
}

static void
export_emit(void *arg, int index, const EwsExportedItem *item, const EwsStatus *st)
{
	ExportState *es = (ExportState *) arg;
	SoapCall   *call = es->call;

	CHECK_FOR_INTERRUPTS();
	if (es->too_large[index])
	{
		EwsStatus	big;

		ews_status_set(&big, EWS_ErrorMessageSizeExceeded,
					   psprintf("The item's data, in base64, is larger than ews.max_response_size (%d bytes) allows in a response.",
								ews_max_response_size));
		message_begin(call, "ExportItems", &big);
		sw_message_end(call->out, "ExportItems");
		return;
	}
	message_begin(call, "ExportItems", st);
	if (st->code == EWS_NoError && item != NULL)
	{
		appendStringInfoString(call->out, "<m:ItemId");
		sw_attr(call->out, "Id", item->item_id);
		sw_attr(call->out, "ChangeKey", item->change_key);
		appendStringInfoString(call->out, "/><m:Data>");
		/* the stored bytes, base64-encoded straight into the response */
		sw_base64(call->out, (const unsigned char *) VARDATA_ANY(item->blob),
				  VARSIZE_ANY_EXHDR(item->blob));
		appendStringInfoString(call->out, "</m:Data>");
	}
	sw_message_end(call->out, "ExportItems");
}

typedef struct ExportItemsRequest
{
	EwsItemRef *refs;
	int			n;
} ExportItemsRequest;

bool
soap_read_export_items(SoapCall *call, xmlNodePtr op, void **request)
{
	static const SoapChild spec[] = {{SOAP_MSG, "ItemIds", true}};
	xmlNodePtr	list;
	ExportItemsRequest *r = palloc0(sizeof(ExportItemsRequest));
	EwsItemRef *refs;
	int			n = 0;

	*request = r;
	if (!soap_children(call, op, spec, 1, &list))
		return false;
	for (xmlNodePtr c = soap_first(list); c != NULL; c = soap_next(c))
	{
		if (!soap_is(c, SOAP_TYPES, "ItemId"))
			return soap_fault(call, "ErrorSchemaValidation",
							  "%s is not allowed in m:ItemIds: use t:ItemId.", soap_name(c));
		n++;
	}
	if (n == 0)
		return soap_fault(call, "ErrorSchemaValidation", "m:ItemIds needs at least one t:ItemId.");
	if (!soap_batch_size_ok(call, n, "item ids"))
		return false;
	refs = palloc(sizeof(EwsItemRef) * n);
	n = 0;
	for (xmlNodePtr c = soap_first(list); c != NULL; c = soap_next(c))
	{
		refs[n].id = soap_attr(c, "Id");
		refs[n].change_key = soap_attr(c, "ChangeKey");
		if (refs[n].id == NULL)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The required attribute Id of t:ItemId is missing.");
		n++;
	}
	r->refs = refs;
	r->n = n;
	return true;
}

void
soap_run_export_items(SoapCall *call, void *request)
{
	ExportItemsRequest *r = request;
	ExportState es;
	SoapBatch	b;

	sw_envelope_begin(call->out, call->version);
	sw_response_begin(call->out, "ExportItems");
	/* detoasted one at a time: the base64 goes into the response, the bytes are freed */
	memset(&es, 0, sizeof(es));
	es.call = call;
	es.refs = r->refs;
	es.n = r->n;
	es.stop = r->n;
	ews_item_export_batch(&call->ctx, r->refs, r->n, true, export_plan, export_emit, &es);
	/* the inputs the plan stopped before: answered, never read */
	soap_batch_begin(&b, call, "ExportItems", "", r->n);
	for (int i = es.stop; i < r->n; i++)
		soap_batch_stop(&b, i);
	soap_batch_end(&b);
	sw_response_end(call->out, "ExportItems");
	sw_envelope_end(call->out);
}

/* ---- UploadItems ---- */

typedef struct UploadItemsRequest
{
	EwsUploadInput *in;
	int			n;
} UploadItemsRequest;

bool
soap_read_upload_items(SoapCall *call, xmlNodePtr op, void **request)
{
	static const SoapChild spec[] = {{SOAP_MSG, "Items", true}};
	static const SoapChild item_spec[] = {
		{SOAP_TYPES, "ParentFolderId", true},
		{SOAP_TYPES, "ItemId", false},
		{SOAP_TYPES, "Data", true},
	};
	xmlNodePtr	list;
	UploadItemsRequest *r = palloc0(sizeof(UploadItemsRequest));
	EwsUploadInput *in;
	int			n = 0;

	*request = r;
	if (!soap_children(call, op, spec, 1, &list))
		return false;
	for (xmlNodePtr c = soap_first(list); c != NULL; c = soap_next(c))
	{
		if (!soap_is(c, SOAP_TYPES, "Item"))
			return soap_fault(call, "ErrorSchemaValidation",
							  "%s is not allowed in m:Items: use t:Item.", soap_name(c));
		n++;
	}
	if (n == 0)
		return soap_fault(call, "ErrorSchemaValidation", "m:Items needs at least one t:Item.");
	if (!soap_batch_size_ok(call, n, "items"))
		return false;
	in = palloc0(sizeof(EwsUploadInput) * n);
	n = 0;
	for (xmlNodePtr c = soap_first(list); c != NULL; c = soap_next(c))
	{
		EwsUploadInput *u = &in[n++];
		xmlNodePtr	parts[3];
		char	   *action = soap_attr(c, "CreateAction");
		char	   *assoc = soap_attr(c, "IsAssociated");
		const char *data;
		size_t		len;
		long long	decoded;
		uint8	   *buf;

		if (action == NULL)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The required attribute CreateAction of t:Item is missing.");
		if (!ews_upload_action_from_name(action, &u->action))
			return soap_fault(call, "ErrorSchemaValidation",
							  "The value '%s' of CreateAction is not CreateNew, Update or UpdateOrCreate.", action);
		if (assoc == NULL || strcmp(assoc, "false") == 0 || strcmp(assoc, "0") == 0)
			u->is_associated = false;
		else if (strcmp(assoc, "true") == 0 || strcmp(assoc, "1") == 0)
			u->is_associated = true;
		else
			return soap_fault(call, "ErrorSchemaValidation",
							  "The value '%s' of IsAssociated is not an xs:boolean.", assoc);
		if (!soap_children(call, c, item_spec, 3, parts))
			return false;
		/* UploadItemType's ParentFolderId is itself a FolderIdType */
		u->parent.id = soap_attr(parts[0], "Id");
		u->parent.change_key = soap_attr(parts[0], "ChangeKey");
		if (u->parent.id == NULL)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The required attribute Id of t:ParentFolderId is missing.");
		if (parts[1] != NULL)
		{
			u->item_id = soap_attr(parts[1], "Id");
			u->change_key = soap_attr(parts[1], "ChangeKey");
			if (u->item_id == NULL)
				return soap_fault(call, "ErrorSchemaValidation",
								  "The required attribute Id of t:ItemId is missing.");
		}
		/* Update names the item it replaces: without one the request is incomplete */
		if (u->action == EWS_UPLOAD_UPDATE && u->item_id == NULL)
			return soap_fault(call, "ErrorSchemaValidation",
							  "t:Item with CreateAction Update needs a t:ItemId.");
		data = soap_content(parts[2], &len);
		buf = palloc(ews_base64_decoded_max(len) + 1);
		decoded = ews_base64_decode(data, len, buf, true);
		if (decoded < 0)
			return soap_fault(call, "ErrorSchemaValidation", "t:Data of t:Item %d is not base64.", n);
		u->data = buf;
		u->len = (size_t) decoded;
	}
	r->in = in;
	r->n = n;
	return true;
}

void
soap_run_upload_items(SoapCall *call, void *request)
{
	UploadItemsRequest *r = request;
	SoapBatch	b;

	sw_envelope_begin(call->out, call->version);
	sw_response_begin(call->out, "UploadItems");
	soap_batch_begin(&b, call, "UploadItems", "", r->n);
	for (int i = 0; i < r->n; i++)
	{
		EwsStatus	st;
		char	   *item_id = NULL;
		char	   *change_key = NULL;

		if (!soap_batch_next(&b, i, ERROR_MESSAGE_MAX))
			continue;

		soap_step_begin();
		ews_item_upload(&call->ctx, &r->in[i], &item_id, &change_key, &st);
		soap_step_end();
		message_begin(call, "UploadItems", &st);
		if (st.code == EWS_NoError)
		{
			appendStringInfoString(call->out, "<m:ItemId");
			sw_attr(call->out, "Id", item_id);
			sw_attr(call->out, "ChangeKey", change_key);
			appendStringInfoString(call->out, "/>");
		}
		sw_message_end(call->out, "UploadItems");
		soap_batch_done(&b, i, false);
		/* the decoded item is not needed any more */
		if (r->in[i].data != NULL)
			pfree((void *) r->in[i].data);
		r->in[i].data = NULL;
	}
	soap_batch_end(&b);
	sw_response_end(call->out, "UploadItems");
	sw_envelope_end(call->out);
}

/* ---- folder shapes for other files (SyncFolderHierarchy) ---- */

typedef struct SoapFolderShape
{
	FolderShape shape;
	FolderExt	ext;			/* the ExtendedFieldURIs asked for */
} SoapFolderShape;

void *
soap_folder_shape_read(SoapCall *call, xmlNodePtr el)
{
	SoapFolderShape *s = palloc0(sizeof(SoapFolderShape));

	return read_shape(call, el, &s->shape, &s->ext) ? s : NULL;
}

void
soap_folder_write(StringInfo buf, const EwsFolder *f, const void *shape)
{
	const SoapFolderShape *s = shape;

	write_folder(buf, f, s->shape, NULL, &s->ext);
}
