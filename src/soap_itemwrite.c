/*
 * soap_itemwrite.c
 *	  The item and folder writes in the SOAP face: CreateItem, UpdateItem,
 *	  DeleteItem, MoveItem, CopyItem, UpdateFolder and EmptyFolder.  Each is
 *	  a read (the request into palloc'd C values; a schema break is a
 *	  fault, before anything changes) and a run (the store core, itemwrite.c
 *	  and folder.c, then the response).  The same readers turn the XML
 *	  fragments of the SQL twins into the same C values.
 *
 * What clients send (../shared/research/clients-items.md):
 *	- DavMail: CreateItem of MimeContent plus ExtendedProperty elements
 *	  (0x0E07 flags, 0x10F3, 0x1090, 0x0E06 with milliseconds) in any order;
 *	  UpdateItem with ExtendedProperty wrapped in t:Item and message:IsRead
 *	  in t:Message, always AlwaysOverwrite with the ChangeKey FindItem gave;
 *	  DeleteItem HardDelete; CopyItem/MoveItem with several ids.
 *	- exchangelib: CreateItem from properties (Subject, Body, recipients,
 *	  IsRead as 0/1, ...), UpdateItem AutoResolve with SetItemField and
 *	  DeleteItemField, DeleteItem in three ways, EmptyFolder.
 *	- Values in: booleans true/false/1/0, dates with fractions and offsets.
 */
#include "soap.h"

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/xml.h"

#include "base64.h"
#include "ews.h"
#include "finditem.h"
#include "folder.h"
#include "itemwrite.h"
#include "props.h"
#include "soapwrite.h"

static void
message_begin(SoapCall *call, const char *op, const EwsStatus *st)
{
	if (st->code == EWS_NoError)
		sw_message_begin(call->out, op, NULL, NULL, NULL);
	else
		sw_message_begin(call->out, op, ews_code_name(st->code), ews_status_text(st),
						 st->mailbox_guid);
}

/* is n an element of the types namespace (any name)? */
static bool
is_types(xmlNodePtr n)
{
	return soap_is(n, SOAP_TYPES, (const char *) n->name);
}

static char *
copy_content(xmlNodePtr n, size_t *len)
{
	size_t		l;
	char	   *s = soap_content(n, &l);

	if (len)
		*len = l;
	return pnstrdup(s, l);
}

/* ---- properties ---- */

static bool
keys_equal(const EwsPropKey *a, const EwsPropKey *b)
{
	if (a->named != b->named || a->type != b->type)
		return false;
	if (!a->named)
		return a->id == b->id;
	if (memcmp(a->guid.b, b->guid.b, sizeof(a->guid.b)) != 0 || a->by_name != b->by_name)
		return false;
	return a->by_name ? strcmp(a->name, b->name) == 0 : a->lid == b->lid;
}

/* the field whose property an extended property is (0x0037001F is item:Subject), or NULL */
static const EwsFieldDef *
field_of_key(const EwsPropKey *k)
{
	for (int i = 0; i < EWS_F_COUNT; i++)
	{
		const EwsFieldDef *f = &ews_fields[i];

		if (f->uri == NULL || (!f->key.named && f->key.id == 0 && f->key.type == 0))
			continue;
		if (keys_equal(&f->key, k))
			return f;
	}
	return NULL;
}

/* the field an element of an item is, for an item written as `element` */
static const EwsFieldDef *
field_of_element(const char *name, const char *element)
{
	for (int i = 0; i < EWS_F_COUNT; i++)
	{
		const EwsFieldDef *f = &ews_fields[i];

		if (f->uri != NULL && strcmp(f->element, name) == 0 && ews_field_applies(f, element))
			return f;
	}
	return NULL;
}

static bool
read_mailbox(SoapCall *call, xmlNodePtr el, EwsMimeAddress *a)
{
	static const SoapChild spec[] = {
		{SOAP_TYPES, "Name", false},
		{SOAP_TYPES, "EmailAddress", false},
		{SOAP_TYPES, "RoutingType", false},
		{SOAP_TYPES, "MailboxType", false},
		{SOAP_TYPES, "ItemId", false},
		{SOAP_TYPES, "OriginalDisplayName", false},
	};
	xmlNodePtr	parts[lengthof(spec)];

	if (!soap_is(el, SOAP_TYPES, "Mailbox"))
		return soap_fault(call, "ErrorSchemaValidation", "%s is not allowed here: use t:Mailbox.", soap_name(el));
	if (!soap_children(call, el, spec, lengthof(spec), parts))
		return false;
	memset(a, 0, sizeof(*a));
	a->name = parts[0] ? copy_content(parts[0], NULL) : NULL;
	a->address = parts[1] ? copy_content(parts[1], NULL) : pstrdup("");
	if (a->name != NULL && a->name[0] == '\0')
		a->name = NULL;
	return true;
}

static bool
read_mailboxes(SoapCall *call, xmlNodePtr el, bool single, EwsEditValue *v)
{
	int			n = 0;

	for (xmlNodePtr c = soap_first(el); c != NULL; c = soap_next(c))
		n++;
	if (single && n != 1)
		return soap_fault(call, "ErrorSchemaValidation", "%s needs exactly one t:Mailbox.", soap_name(el));
	v->form = EWS_EV_MAILBOXES;
	v->addrs = palloc0(sizeof(EwsMimeAddress) * Max(n, 1));
	v->naddrs = 0;
	for (xmlNodePtr c = soap_first(el); c != NULL; c = soap_next(c))
		if (!read_mailbox(call, c, &v->addrs[v->naddrs++]))
			return false;
	return true;
}

/*
 * The value of a field's element.  A value that breaks the schema (an
 * xs:boolean that is not one, an importance that is not Low/Normal/High)
 * is a fault.  Read-only fields get no value: the core refuses them.
 */
static bool
read_field_value(SoapCall *call, const EwsFieldDef *f, xmlNodePtr el, EwsItemEdit *e)
{
	EwsEditValue *v = &e->v;
	const char *s;

	memset(v, 0, sizeof(*v));
	if (f->write == EWS_WRITE_READ_ONLY)
		return true;
	switch (f->field)
	{
		case EWS_F_MIME_CONTENT:
			{
				size_t		l;
				uint8	   *buf;
				long long	n;

				s = soap_content(el, &l);
				buf = palloc(ews_base64_decoded_max(l) + 1);
				n = ews_base64_decode(s, l, buf, true);
				if (n < 0)
					return soap_fault(call, "ErrorSchemaValidation", "t:MimeContent is not base64.");
				v->form = EWS_EV_BYTES;
				v->bytes = buf;
				v->nbytes = (size_t) n;
				return true;
			}
		case EWS_F_BODY:
			{
				char	   *bt = soap_attr(el, "BodyType");

				if (bt == NULL || (strcmp(bt, "HTML") != 0 && strcmp(bt, "Text") != 0))
					return soap_fault(call, "ErrorSchemaValidation",
									  "t:Body needs the attribute BodyType, HTML or Text.");
				v->form = EWS_EV_BODY;
				v->html = strcmp(bt, "HTML") == 0;
				v->text = copy_content(el, &v->len);
				return true;
			}
		case EWS_F_CATEGORIES:
			{
				int			n = 0;

				for (xmlNodePtr c = soap_first(el); c != NULL; c = soap_next(c))
				{
					if (!soap_is(c, SOAP_TYPES, "String"))
						return soap_fault(call, "ErrorSchemaValidation",
										  "%s is not allowed in t:Categories: use t:String.", soap_name(c));
					n++;
				}
				v->form = EWS_EV_STRINGS;
				v->strings = palloc(sizeof(char *) * Max(n, 1));
				for (xmlNodePtr c = soap_first(el); c != NULL; c = soap_next(c))
					v->strings[v->nstrings++] = copy_content(c, NULL);
				return true;
			}
		case EWS_F_FROM:
		case EWS_F_SENDER:
			return read_mailboxes(call, el, true, v);
		case EWS_F_TO_RECIPIENTS:
		case EWS_F_CC_RECIPIENTS:
		case EWS_F_BCC_RECIPIENTS:
		case EWS_F_REPLY_TO:
			return read_mailboxes(call, el, false, v);
		case EWS_F_FLAG:
			{
				xmlNodePtr	st = NULL;

				for (xmlNodePtr c = soap_first(el); c != NULL; c = soap_next(c))
					if (soap_is(c, SOAP_TYPES, "FlagStatus"))
						st = c;
				if (st == NULL)
					return soap_fault(call, "ErrorSchemaValidation", "t:Flag needs t:FlagStatus.");
				s = soap_content(st, NULL);
				v->form = EWS_EV_INT;
				/* PidTagFlagStatus: 0 not flagged, 1 complete, 2 flagged */
				if (strcmp(s, "NotFlagged") == 0)
					v->i = 0;
				else if (strcmp(s, "Complete") == 0)
					v->i = 1;
				else if (strcmp(s, "Flagged") == 0)
					v->i = 2;
				else
					return soap_fault(call, "ErrorSchemaValidation",
									  "The value '%s' of t:FlagStatus is not NotFlagged, Flagged or Complete.", s);
				return true;
			}
		default:
			break;
	}
	s = soap_content(el, NULL);
	switch (f->form)
	{
		case EWS_FORM_IMPORTANCE:
		case EWS_FORM_SENSITIVITY:
			{
				int			x;

				if (!(f->form == EWS_FORM_IMPORTANCE ? ews_importance_value(s, &x) : ews_sensitivity_value(s, &x)))
					return soap_fault(call, "ErrorSchemaValidation", "The value '%s' of %s is not allowed.",
									  s, soap_name(el));
				v->form = EWS_EV_INT;
				v->i = x;
				return true;
			}
		case EWS_FORM_BOOL:
			v->form = EWS_EV_BOOL;
			if (!ews_parse_bool(s, &v->b))
				return soap_fault(call, "ErrorSchemaValidation", "The value '%s' of %s is not an xs:boolean.",
								  s, soap_name(el));
			return true;
		case EWS_FORM_INT:
			v->form = EWS_EV_INT;
			if (!ews_parse_int(s, PG_INT32_MIN, PG_INT32_MAX, &v->i))
				return soap_fault(call, "ErrorSchemaValidation", "The value '%s' of %s is not an xs:int.",
								  s, soap_name(el));
			return true;
		case EWS_FORM_TIME:
			v->form = EWS_EV_TIME;
			if (!ews_parse_time(s, &v->t))
				return soap_fault(call, "ErrorSchemaValidation", "The value '%s' of %s is not an xs:dateTime.",
								  s, soap_name(el));
			return true;
		case EWS_FORM_TEXT:
			v->form = EWS_EV_TEXT;
			v->text = copy_content(el, &v->len);
			return true;
		default:
			return true;		/* no value the store writes (read-only) */
	}
}

/* t:ExtendedProperty: its path and its value(s), as the blob stores them */
static bool
read_ext_property(SoapCall *call, xmlNodePtr el, EwsItemEdit *e)
{
	xmlNodePtr	uri = soap_first(el);
	xmlNodePtr	val;
	EwsPath		p;
	const char **values;
	int			n = 0;
	const char *error;

	if (uri == NULL || !soap_is(uri, SOAP_TYPES, "ExtendedFieldURI"))
		return soap_fault(call, "ErrorSchemaValidation", "t:ExtendedProperty starts with t:ExtendedFieldURI.");
	if (!soap_read_path(call, uri, &p))
		return false;
	val = soap_next(uri);
	if (val == NULL || soap_next(val) != NULL ||
		!(soap_is(val, SOAP_TYPES, "Value") || soap_is(val, SOAP_TYPES, "Values")))
		return soap_fault(call, "ErrorSchemaValidation",
						  "t:ExtendedProperty needs one t:Value or t:Values after its t:ExtendedFieldURI.");
	if (soap_is(val, SOAP_TYPES, "Value"))
	{
		values = palloc(sizeof(char *));
		values[n++] = copy_content(val, NULL);
	}
	else
	{
		int			count = 0;

		for (xmlNodePtr c = soap_first(val); c != NULL; c = soap_next(c))
		{
			if (!soap_is(c, SOAP_TYPES, "Value"))
				return soap_fault(call, "ErrorSchemaValidation", "%s is not allowed in t:Values.", soap_name(c));
			count++;
		}
		values = palloc(sizeof(char *) * Max(count, 1));
		for (xmlNodePtr c = soap_first(val); c != NULL; c = soap_next(c))
			values[n++] = copy_content(c, NULL);
	}
	e->ext = true;
	e->key = p.ext.key;
	if (e->key.named && e->key.by_name)
		e->key.name = pstrdup(e->key.name);
	e->field = field_of_key(&e->key);
	if (!ews_ext_value_encode(e->key.type, values, n, soap_is(val, SOAP_TYPES, "Values"), &e->v, &error))
	{
		e->error = EWS_ErrorInvalidExtendedPropertyValue;
		e->error_text = error;
	}
	return true;
}

/* ---- CreateItem ---- */

typedef struct CreateItemRequest
{
	EwsDisposition disposition;
	bool		has_folder;
	EwsFolderRef folder;
	EwsCreateInput *in;
	int			n;
} CreateItemRequest;

/* the item kinds CreateItem may name that the store does not create (response objects, meetings) */
static bool
creatable(const char *element)
{
	static const char *const kinds[] = {
		"Item", "Message", "PostItem", "CalendarItem", "Contact", "DistributionList", "Task",
	};

	for (int i = 0; i < lengthof(kinds); i++)
		if (strcmp(element, kinds[i]) == 0)
			return true;
	return false;
}

/* one item of m:Items: its MIME, its properties (in request order, any order accepted) */
static bool
read_new_item(SoapCall *call, xmlNodePtr item, EwsCreateInput *in)
{
	int			count = 0;

	memset(in, 0, sizeof(*in));
	if (!is_types(item))
		return soap_fault(call, "ErrorSchemaValidation", "%s is not an item.", soap_name(item));
	in->element = pstrdup((const char *) item->name);
	if (!creatable(in->element))
	{
		in->error = EWS_ErrorInvalidItemForOperationCreateItem;
		in->error_text = psprintf("This store creates items, messages, posts, contacts, tasks and calendar items, not t:%s.",
								  in->element);
		return true;
	}
	for (xmlNodePtr c = soap_first(item); c != NULL; c = soap_next(c))
		count++;
	in->edits = palloc0(sizeof(EwsItemEdit) * Max(count, 1));
	for (xmlNodePtr c = soap_first(item); c != NULL; c = soap_next(c))
	{
		const char *name = (const char *) c->name;
		EwsItemEdit *e = &in->edits[in->nedits];
		const EwsFieldDef *f;

		if (!is_types(c))
			return soap_fault(call, "ErrorSchemaValidation", "%s is not allowed in %s.", soap_name(c), soap_name(item));
		e->op = EWS_EDIT_SET;
		if (strcmp(name, "MimeContent") == 0)
		{
			EwsItemEdit tmp;

			if (!read_field_value(call, &ews_fields[EWS_F_MIME_CONTENT], c, &tmp))
				return false;
			in->mime = tmp.v.bytes;
			in->mime_len = tmp.v.nbytes;
			continue;
		}
		if (strcmp(name, "ExtendedProperty") == 0)
		{
			if (!read_ext_property(call, c, e))
				return false;
			in->nedits++;
			continue;
		}
		f = field_of_element(name, in->element);
		if (f == NULL)
			continue;			/* a field the store does not keep (Culture, Start, GivenName, ...) */
		e->field = f;
		if (!read_field_value(call, f, c, e))
			return false;
		in->nedits++;
	}
	return true;
}

static bool
read_new_items(SoapCall *call, xmlNodePtr list, EwsCreateInput **in, int *n)
{
	int			count = 0;

	for (xmlNodePtr c = soap_first(list); c != NULL; c = soap_next(c))
		count++;
	if (count == 0)
		return soap_fault(call, "ErrorSchemaValidation", "m:Items needs at least one item.");
	*in = palloc0(sizeof(EwsCreateInput) * count);
	*n = 0;
	for (xmlNodePtr c = soap_first(list); c != NULL; c = soap_next(c))
		if (!read_new_item(call, c, &(*in)[(*n)++]))
			return false;
	return true;
}

static bool
read_disposition(SoapCall *call, xmlNodePtr op, EwsDisposition *d)
{
	char	   *md = soap_attr(op, "MessageDisposition");

	*d = EWS_DISPOSITION_SAVE_ONLY;
	if (md != NULL && !ews_disposition_from_name(md, d))
		return soap_fault(call, "ErrorSchemaValidation",
						  "The value '%s' of MessageDisposition is not SaveOnly, SendOnly or SendAndSaveCopy.", md);
	return true;
}

bool
soap_read_create_item(SoapCall *call, xmlNodePtr op, void **request)
{
	static const SoapChild spec[] = {
		{SOAP_MSG, "SavedItemFolderId", false},
		{SOAP_MSG, "Items", true},
	};
	xmlNodePtr	parts[2];
	CreateItemRequest *r = palloc0(sizeof(CreateItemRequest));

	*request = r;
	if (!read_disposition(call, op, &r->disposition) || !soap_children(call, op, spec, 2, parts))
		return false;
	if (parts[0] != NULL)
	{
		if (!soap_target_ref(call, parts[0], &r->folder))
			return false;
		r->has_folder = true;
	}
	return read_new_items(call, parts[1], &r->in, &r->n);
}

/* m:Items with the item's id, as the element its class calls for; empty on failure */
static void
write_items(StringInfo out, const EwsItemWritten *w)
{
	if (w == NULL)
	{
		appendStringInfoString(out, "<m:Items/>");
		return;
	}
	appendStringInfo(out, "<m:Items><t:%s><t:ItemId", w->element);
	sw_attr(out, "Id", w->item_id);
	sw_attr(out, "ChangeKey", w->change_key);
	appendStringInfo(out, "/></t:%s></m:Items>", w->element);
}

typedef struct Emitter
{
	SoapCall   *call;
	const char *op;
	bool		items;			/* the message carries m:Items */
	bool		conflicts;		/* ... and m:ConflictResults */
} Emitter;

static void
emit_message(void *arg, int index, const EwsItemWritten *out, const EwsStatus *st)
{
	Emitter    *e = arg;
	StringInfo	buf = e->call->out;

	message_begin(e->call, e->op, st);
	if (e->items)
		write_items(buf, out);
	if (e->conflicts && out != NULL)
		appendStringInfo(buf, "<m:ConflictResults><t:Count>%d</t:Count></m:ConflictResults>", out->conflicts);
	sw_message_end(buf, e->op);
}

void
soap_run_create_item(SoapCall *call, void *request)
{
	CreateItemRequest *r = request;
	Emitter		e = {call, "CreateItem", true, false};

	sw_envelope_begin(call->out, call->version);
	sw_response_begin(call->out, "CreateItem");
	soap_step_begin();
	ews_item_create_batch(&call->ctx, r->has_folder ? &r->folder : NULL, r->disposition, r->in, r->n,
						  emit_message, &e);
	soap_step_end();
	sw_response_end(call->out, "CreateItem");
	sw_envelope_end(call->out);
}

/* ---- UpdateItem ---- */

/*
 * One t:SetItemField, t:AppendToItemField or t:DeleteItemField.  What the
 * request gets wrong inside a change that the schema allows (no property or
 * two in the item element, a property that is not the one the path names)
 * is that change's error, not a fault: ErrorIncorrectUpdatePropertyCount,
 * ErrorUpdatePropertyMismatch.
 */
static bool
read_item_update(SoapCall *call, xmlNodePtr u, EwsItemEdit *e)
{
	xmlNodePtr	path = soap_first(u);
	xmlNodePtr	item;
	xmlNodePtr	prop;
	EwsPath		p;
	int			nprops = 0;

	memset(e, 0, sizeof(*e));
	if (soap_is(u, SOAP_TYPES, "SetItemField"))
		e->op = EWS_EDIT_SET;
	else if (soap_is(u, SOAP_TYPES, "AppendToItemField"))
		e->op = EWS_EDIT_APPEND;
	else if (soap_is(u, SOAP_TYPES, "DeleteItemField"))
		e->op = EWS_EDIT_DELETE;
	else
		return soap_fault(call, "ErrorSchemaValidation",
						  "%s is not allowed in t:Updates: use t:SetItemField, t:AppendToItemField or t:DeleteItemField.",
						  soap_name(u));
	if (path == NULL)
		return soap_fault(call, "ErrorSchemaValidation", "%s needs a property path.", soap_name(u));
	if (!soap_read_path(call, path, &p))
		return false;
	item = soap_next(path);
	if (e->op == EWS_EDIT_DELETE)
	{
		if (item != NULL)
			return soap_fault(call, "ErrorSchemaValidation", "t:DeleteItemField holds only the property path.");
	}
	else if (item == NULL || soap_next(item) != NULL || !is_types(item))
		return soap_fault(call, "ErrorSchemaValidation", "%s needs the property path and one item.", soap_name(u));

	if (p.kind == EWS_PATH_INDEXED || (p.kind == EWS_PATH_FIELD && p.field == NULL))
	{
		/* contacts' indexed fields, calendar:*, item:Culture, ...: not kept, accepted */
		e->ignored = true;
		return true;
	}
	if (p.kind == EWS_PATH_EXTENDED)
	{
		e->ext = true;
		e->key = p.ext.key;
		if (e->key.named && e->key.by_name)
			e->key.name = pstrdup(e->key.name);
		e->field = field_of_key(&e->key);
	}
	else
		e->field = p.field;
	if (e->op == EWS_EDIT_DELETE)
		return true;

	for (xmlNodePtr c = soap_first(item); c != NULL; c = soap_next(c))
		nprops++;
	if (nprops != 1)
	{
		e->error = EWS_ErrorIncorrectUpdatePropertyCount;
		return true;
	}
	prop = soap_first(item);
	if (p.kind == EWS_PATH_EXTENDED)
	{
		EwsItemEdit v;

		memset(&v, 0, sizeof(v));
		if (!soap_is(prop, SOAP_TYPES, "ExtendedProperty"))
		{
			e->error = EWS_ErrorUpdatePropertyMismatch;
			return true;
		}
		if (!read_ext_property(call, prop, &v))
			return false;
		if (!keys_equal(&v.key, &e->key))
		{
			e->error = EWS_ErrorUpdatePropertyMismatch;
			return true;
		}
		e->v = v.v;
		e->error = v.error;
		e->error_text = v.error_text;
		return true;
	}
	if (!is_types(prop) || strcmp((const char *) prop->name, e->field->element) != 0)
	{
		e->error = EWS_ErrorUpdatePropertyMismatch;
		e->error_text = psprintf("The path names %s, the item holds %s.", e->field->uri, soap_name(prop));
		return true;
	}
	return read_field_value(call, e->field, prop, e);
}

static bool
read_item_updates(SoapCall *call, xmlNodePtr updates, EwsItemEdit **edits, int *n)
{
	int			count = 0;

	for (xmlNodePtr c = soap_first(updates); c != NULL; c = soap_next(c))
		count++;
	*edits = palloc0(sizeof(EwsItemEdit) * Max(count, 1));
	*n = 0;
	for (xmlNodePtr c = soap_first(updates); c != NULL; c = soap_next(c))
		if (!read_item_update(call, c, &(*edits)[(*n)++]))
			return false;
	return true;
}

typedef struct UpdateItemRequest
{
	EwsConflictResolution cr;
	EwsDisposition disposition;
	EwsUpdateInput *in;
	int			n;
} UpdateItemRequest;

bool
soap_read_update_item(SoapCall *call, xmlNodePtr op, void **request)
{
	static const SoapChild spec[] = {
		{SOAP_MSG, "SavedItemFolderId", false},
		{SOAP_MSG, "ItemChanges", true},
	};
	static const SoapChild change_spec[] = {
		{SOAP_TYPES, "ItemId", false},
		{SOAP_TYPES, "OccurrenceItemId", false},
		{SOAP_TYPES, "RecurringMasterItemId", false},
		{SOAP_TYPES, "Updates", true},
		{SOAP_TYPES, "CalendarActivityData", false},
	};
	xmlNodePtr	parts[2];
	UpdateItemRequest *r = palloc0(sizeof(UpdateItemRequest));
	char	   *cr = soap_attr(op, "ConflictResolution");
	int			count = 0;

	*request = r;
	if (cr == NULL)
		return soap_fault(call, "ErrorSchemaValidation",
						  "The required attribute ConflictResolution of m:UpdateItem is missing.");
	if (!ews_conflict_resolution_from_name(cr, &r->cr))
		return soap_fault(call, "ErrorSchemaValidation",
						  "The value '%s' of ConflictResolution is not NeverOverwrite, AutoResolve or AlwaysOverwrite.", cr);
	if (!read_disposition(call, op, &r->disposition) || !soap_children(call, op, spec, 2, parts))
		return false;
	for (xmlNodePtr c = soap_first(parts[1]); c != NULL; c = soap_next(c))
	{
		if (!soap_is(c, SOAP_TYPES, "ItemChange"))
			return soap_fault(call, "ErrorSchemaValidation", "%s is not allowed in m:ItemChanges: use t:ItemChange.",
							  soap_name(c));
		count++;
	}
	if (count == 0)
		return soap_fault(call, "ErrorSchemaValidation", "m:ItemChanges needs at least one t:ItemChange.");
	r->in = palloc0(sizeof(EwsUpdateInput) * count);
	for (xmlNodePtr c = soap_first(parts[1]); c != NULL; c = soap_next(c))
	{
		EwsUpdateInput *in = &r->in[r->n++];
		xmlNodePtr	cp[lengthof(change_spec)];

		if (!soap_children(call, c, change_spec, lengthof(change_spec), cp))
			return false;
		if ((cp[0] != NULL) + (cp[1] != NULL) + (cp[2] != NULL) != 1)
			return soap_fault(call, "ErrorSchemaValidation",
							  "t:ItemChange names its item with one of t:ItemId, t:OccurrenceItemId, t:RecurringMasterItemId.");
		if (cp[0] != NULL)
		{
			in->ref.id = soap_attr(cp[0], "Id");
			in->ref.change_key = soap_attr(cp[0], "ChangeKey");
			if (in->ref.id == NULL)
				return soap_fault(call, "ErrorSchemaValidation", "The required attribute Id of t:ItemId is missing.");
		}
		else
		{
			/* the store keeps no calendar occurrences: nothing such an id can name */
			in->error = EWS_ErrorItemNotFound;
			in->error_text = "This store keeps no calendar occurrences or recurring masters.";
		}
		if (!read_item_updates(call, cp[3], &in->edits, &in->nedits))
			return false;
	}
	return true;
}

void
soap_run_update_item(SoapCall *call, void *request)
{
	UpdateItemRequest *r = request;
	Emitter		e = {call, "UpdateItem", true, true};

	sw_envelope_begin(call->out, call->version);
	sw_response_begin(call->out, "UpdateItem");
	soap_step_begin();
	ews_item_update_batch(&call->ctx, r->cr, r->disposition, r->in, r->n, emit_message, &e);
	soap_step_end();
	sw_response_end(call->out, "UpdateItem");
	sw_envelope_end(call->out);
}

/* ---- DeleteItem ---- */

typedef struct DeleteItemRequest
{
	EwsDeleteType type;
	EwsItemRef *refs;
	int			n;
} DeleteItemRequest;

bool
soap_read_delete_item(SoapCall *call, xmlNodePtr op, void **request)
{
	static const SoapChild spec[] = {{SOAP_MSG, "ItemIds", true}};
	xmlNodePtr	ids;
	DeleteItemRequest *r = palloc0(sizeof(DeleteItemRequest));
	char	   *dt = soap_attr(op, "DeleteType");

	*request = r;
	if (dt == NULL)
		return soap_fault(call, "ErrorSchemaValidation",
						  "The required attribute DeleteType of m:DeleteItem is missing.");
	if (!ews_delete_type_from_name(dt, &r->type))
		return soap_fault(call, "ErrorSchemaValidation",
						  "The value '%s' of DeleteType is not HardDelete, SoftDelete or MoveToDeletedItems.", dt);
	return soap_children(call, op, spec, 1, &ids) && soap_read_item_ids(call, ids, &r->refs, &r->n);
}

void
soap_run_delete_item(SoapCall *call, void *request)
{
	DeleteItemRequest *r = request;
	Emitter		e = {call, "DeleteItem", false, false};

	sw_envelope_begin(call->out, call->version);
	sw_response_begin(call->out, "DeleteItem");
	soap_step_begin();
	ews_item_delete_batch(&call->ctx, r->type, r->refs, r->n, emit_message, &e);
	soap_step_end();
	sw_response_end(call->out, "DeleteItem");
	sw_envelope_end(call->out);
}

/* ---- MoveItem, CopyItem ---- */

typedef struct MoveItemRequest
{
	EwsFolderRef target;
	EwsItemRef *refs;
	int			n;
	bool		return_ids;
} MoveItemRequest;

static bool
read_move_copy_item(SoapCall *call, xmlNodePtr op, void **request)
{
	static const SoapChild spec[] = {
		{SOAP_MSG, "ToFolderId", true},
		{SOAP_MSG, "ItemIds", true},
		{SOAP_MSG, "ReturnNewItemIds", false},
	};
	xmlNodePtr	parts[3];
	MoveItemRequest *r = palloc0(sizeof(MoveItemRequest));

	*request = r;
	r->return_ids = true;		/* Exchange 2010 SP1 on: the new ids come back (exchangelib reads them) */
	if (!soap_children(call, op, spec, 3, parts) || !soap_target_ref(call, parts[0], &r->target) ||
		!soap_read_item_ids(call, parts[1], &r->refs, &r->n))
		return false;
	if (parts[2] != NULL)
	{
		const char *s = soap_content(parts[2], NULL);

		if (!ews_parse_bool(s, &r->return_ids))
			return soap_fault(call, "ErrorSchemaValidation", "The value '%s' of m:ReturnNewItemIds is not an xs:boolean.", s);
	}
	return true;
}

bool
soap_read_move_item(SoapCall *call, xmlNodePtr op, void **request)
{
	return read_move_copy_item(call, op, request);
}

bool
soap_read_copy_item(SoapCall *call, xmlNodePtr op, void **request)
{
	return read_move_copy_item(call, op, request);
}

static void
run_move_copy_item(SoapCall *call, MoveItemRequest *r, bool copy)
{
	const char *op = copy ? "CopyItem" : "MoveItem";
	Emitter		e = {call, op, true, false};

	sw_envelope_begin(call->out, call->version);
	sw_response_begin(call->out, op);
	soap_step_begin();
	ews_item_move_batch(&call->ctx, copy, &r->target, r->refs, r->n, r->return_ids, emit_message, &e);
	soap_step_end();
	sw_response_end(call->out, op);
	sw_envelope_end(call->out);
}

void
soap_run_move_item(SoapCall *call, void *request)
{
	run_move_copy_item(call, request, false);
}

void
soap_run_copy_item(SoapCall *call, void *request)
{
	run_move_copy_item(call, request, true);
}

/* ---- UpdateFolder ---- */

/* the folder fields clients read that no client can set */
static bool
folder_field_read_only(const char *uri)
{
	static const char *const ro[] = {
		"folder:FolderId", "folder:ParentFolderId", "folder:TotalCount", "folder:ChildFolderCount",
		"folder:UnreadCount", "folder:EffectiveRights", "folder:DistinguishedFolderId",
	};

	for (int i = 0; i < lengthof(ro); i++)
		if (strcmp(uri, ro[i]) == 0)
			return true;
	return false;
}

static void
folder_refuse(EwsFolderUpdate *u, EwsCode code, const char *text)
{
	if (u->error == EWS_NoError)
	{
		u->error = code;
		u->error_text = text;
	}
}

/*
 * One t:SetFolderField, t:AppendToFolderField or t:DeleteFolderField into
 * *u.  The store keeps a folder's display name and class (also named by
 * their tags, 0x3001 or 0x10F3 and 0x3613); the counts and ids are
 * read-only; permissions are not kept (delegates are per mailbox:
 * ews_add_delegate), so setting them is refused and deleting them is no
 * change; other fields of the schema are accepted and not kept.
 */
static bool
read_folder_update(SoapCall *call, xmlNodePtr c, EwsFolderUpdate *u)
{
	xmlNodePtr	path = soap_first(c);
	xmlNodePtr	folder;
	EwsPath		p;
	enum
	{
		F_NONE, F_NAME, F_CLASS
	}			which = F_NONE;
	const char *what;
	bool		set = soap_is(c, SOAP_TYPES, "SetFolderField");
	bool		del = soap_is(c, SOAP_TYPES, "DeleteFolderField");

	if (!set && !del && !soap_is(c, SOAP_TYPES, "AppendToFolderField"))
		return soap_fault(call, "ErrorSchemaValidation",
						  "%s is not allowed in t:Updates: use t:SetFolderField, t:AppendToFolderField or t:DeleteFolderField.",
						  soap_name(c));
	if (path == NULL || !soap_read_path(call, path, &p))
		return path == NULL ? soap_fault(call, "ErrorSchemaValidation", "%s needs a property path.", soap_name(c))
			: false;
	folder = soap_next(path);
	if (del ? folder != NULL : (folder == NULL || soap_next(folder) != NULL || !is_types(folder)))
		return soap_fault(call, "ErrorSchemaValidation", "%s needs the property path%s.", soap_name(c),
						  del ? " alone" : " and one folder");
	if (p.kind == EWS_PATH_FIELD)
	{
		what = p.uri;
		if (strcmp(p.uri, "folder:DisplayName") == 0)
			which = F_NAME;
		else if (strcmp(p.uri, "folder:FolderClass") == 0)
			which = F_CLASS;
		else if (folder_field_read_only(p.uri))
		{
			folder_refuse(u, del ? EWS_ErrorInvalidPropertyDelete : EWS_ErrorInvalidPropertySet,
						  psprintf("%s is read-only.", p.uri));
			return true;
		}
		else if (strcmp(p.uri, "folder:PermissionSet") == 0)
		{
			if (!del)
				folder_refuse(u, EWS_ErrorInvalidPropertySet,
							  "This store keeps no folder permissions: mailbox delegates are granted per mailbox.");
			return true;
		}
		else
			return true;		/* a folder field the store does not keep */
	}
	else if (p.kind == EWS_PATH_EXTENDED && !p.ext.key.named && p.ext.key.type == EWS_PT_UNICODE &&
			 (p.ext.key.id == 0x3001 || p.ext.key.id == 0x10F3 || p.ext.key.id == 0x3613))
	{
		what = p.ext.key.id == 0x3613 ? "PidTagContainerClass" : "PidTagDisplayName";
		which = p.ext.key.id == 0x3613 ? F_CLASS : F_NAME;
	}
	else
	{
		folder_refuse(u, del ? EWS_ErrorInvalidPropertyDelete : EWS_ErrorInvalidPropertySet,
					  "This store keeps a folder's display name and class, and no other property.");
		return true;
	}
	if (!set && !del)
	{
		folder_refuse(u, EWS_ErrorInvalidPropertyAppend, psprintf("%s cannot be appended to.", what));
		return true;
	}
	if (del)
	{
		if (which == F_NAME)
			folder_refuse(u, EWS_ErrorInvalidPropertyDelete, "A folder needs its display name.");
		else
		{
			u->set_class = true;
			u->folder_class = NULL;
		}
		return true;
	}
	{
		xmlNodePtr	prop = soap_first(folder);
		const char *want = p.kind == EWS_PATH_EXTENDED ? "ExtendedProperty" :
			which == F_NAME ? "DisplayName" : "FolderClass";
		char	   *value;

		if (prop == NULL || soap_next(prop) != NULL)
		{
			folder_refuse(u, EWS_ErrorIncorrectUpdatePropertyCount, NULL);
			return true;
		}
		if (!soap_is(prop, SOAP_TYPES, want))
		{
			folder_refuse(u, EWS_ErrorUpdatePropertyMismatch, NULL);
			return true;
		}
		if (p.kind == EWS_PATH_EXTENDED)
		{
			xmlNodePtr	v = soap_next(soap_first(prop));

			if (v == NULL || !soap_is(v, SOAP_TYPES, "Value"))
				return soap_fault(call, "ErrorSchemaValidation", "t:ExtendedProperty needs a t:Value.");
			value = copy_content(v, NULL);
		}
		else
			value = copy_content(prop, NULL);
		if (which == F_NAME)
		{
			u->set_name = true;
			u->name = value;
		}
		else
		{
			u->set_class = true;
			u->folder_class = value;
		}
	}
	return true;
}

static bool
read_folder_updates(SoapCall *call, xmlNodePtr updates, EwsFolderUpdate *u)
{
	memset(u, 0, sizeof(*u));
	for (xmlNodePtr c = soap_first(updates); c != NULL; c = soap_next(c))
		if (!read_folder_update(call, c, u))
			return false;
	return true;
}

typedef struct UpdateFolderRequest
{
	EwsFolderRef *refs;
	EwsFolderUpdate *updates;
	int			n;
} UpdateFolderRequest;

bool
soap_read_update_folder(SoapCall *call, xmlNodePtr op, void **request)
{
	static const SoapChild spec[] = {{SOAP_MSG, "FolderChanges", true}};
	xmlNodePtr	list;
	UpdateFolderRequest *r = palloc0(sizeof(UpdateFolderRequest));
	int			count = 0;

	*request = r;
	if (!soap_children(call, op, spec, 1, &list))
		return false;
	for (xmlNodePtr c = soap_first(list); c != NULL; c = soap_next(c))
	{
		if (!soap_is(c, SOAP_TYPES, "FolderChange"))
			return soap_fault(call, "ErrorSchemaValidation",
							  "%s is not allowed in m:FolderChanges: use t:FolderChange.", soap_name(c));
		count++;
	}
	if (count == 0)
		return soap_fault(call, "ErrorSchemaValidation", "m:FolderChanges needs at least one t:FolderChange.");
	r->refs = palloc0(sizeof(EwsFolderRef) * count);
	r->updates = palloc0(sizeof(EwsFolderUpdate) * count);
	for (xmlNodePtr c = soap_first(list); c != NULL; c = soap_next(c))
	{
		xmlNodePtr	id = soap_first(c);
		xmlNodePtr	updates = id ? soap_next(id) : NULL;

		if (id == NULL || updates == NULL || soap_next(updates) != NULL || !soap_is(updates, SOAP_TYPES, "Updates"))
			return soap_fault(call, "ErrorSchemaValidation",
							  "t:FolderChange holds a t:FolderId or t:DistinguishedFolderId, then t:Updates.");
		if (!soap_folder_ref(call, id, &r->refs[r->n]) ||
			!read_folder_updates(call, updates, &r->updates[r->n]))
			return false;
		r->n++;
	}
	return true;
}

void
soap_run_update_folder(SoapCall *call, void *request)
{
	UpdateFolderRequest *r = request;

	sw_envelope_begin(call->out, call->version);
	sw_response_begin(call->out, "UpdateFolder");
	for (int i = 0; i < r->n; i++)
	{
		EwsFolder	f;
		EwsStatus	st;

		CHECK_FOR_INTERRUPTS();
		soap_step_begin();
		ews_folder_update(&call->ctx, &r->refs[i], &r->updates[i], &f, &st);
		soap_step_end();
		message_begin(call, "UpdateFolder", &st);
		if (st.code == EWS_NoError)
		{
			const char *element = soap_folder_element(f.folder_class);

			appendStringInfo(call->out, "<m:Folders><t:%s><t:FolderId", element);
			sw_attr(call->out, "Id", ews_id_text(f.guid, EWS_ID_KIND_FOLDER, f.folder_id));
			sw_attr(call->out, "ChangeKey", ews_change_key_text(EWS_CK_KIND_FOLDER, f.change_number));
			appendStringInfo(call->out, "/></t:%s></m:Folders>", element);
		}
		sw_message_end(call->out, "UpdateFolder");
	}
	sw_response_end(call->out, "UpdateFolder");
	sw_envelope_end(call->out);
}

/* ---- EmptyFolder ---- */

typedef struct EmptyFolderRequest
{
	EwsDeleteType type;
	bool		delete_subfolders;
	EwsFolderRef *refs;
	int			n;
} EmptyFolderRequest;

bool
soap_read_empty_folder(SoapCall *call, xmlNodePtr op, void **request)
{
	static const SoapChild spec[] = {{SOAP_MSG, "FolderIds", true}};
	xmlNodePtr	ids;
	EmptyFolderRequest *r = palloc0(sizeof(EmptyFolderRequest));
	char	   *dt = soap_attr(op, "DeleteType");
	char	   *ds = soap_attr(op, "DeleteSubFolders");

	*request = r;
	if (dt == NULL || ds == NULL)
		return soap_fault(call, "ErrorSchemaValidation",
						  "m:EmptyFolder needs its attributes DeleteType and DeleteSubFolders.");
	if (!ews_delete_type_from_name(dt, &r->type))
		return soap_fault(call, "ErrorSchemaValidation",
						  "The value '%s' of DeleteType is not HardDelete, SoftDelete or MoveToDeletedItems.", dt);
	if (!ews_parse_bool(ds, &r->delete_subfolders))
		return soap_fault(call, "ErrorSchemaValidation", "The value '%s' of DeleteSubFolders is not an xs:boolean.", ds);
	return soap_children(call, op, spec, 1, &ids) && soap_folder_refs(call, ids, &r->refs, &r->n);
}

void
soap_run_empty_folder(SoapCall *call, void *request)
{
	EmptyFolderRequest *r = request;

	sw_envelope_begin(call->out, call->version);
	sw_response_begin(call->out, "EmptyFolder");
	for (int i = 0; i < r->n; i++)
	{
		EwsStatus	st;

		CHECK_FOR_INTERRUPTS();
		soap_step_begin();
		ews_folder_empty(&call->ctx, &r->refs[i], r->type, r->delete_subfolders, &st);
		soap_step_end();
		message_begin(call, "EmptyFolder", &st);
		sw_message_end(call->out, "EmptyFolder");
	}
	sw_response_end(call->out, "EmptyFolder");
	sw_envelope_end(call->out);
}

/* ---- XML fragments of the SQL twins ---- */

typedef struct FragmentErrors
{
	int			errors;
	char		first[256];
} FragmentErrors;

/* libxml2's structured error handler: copies into a fixed buffer, never raises */
static void
fragment_error(void *data, xmlErrorPtr err)
{
	xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr) data;
	FragmentErrors *e = ctxt ? (FragmentErrors *) ctxt->_private : NULL;

	if (e == NULL || err == NULL || err->level < XML_ERR_ERROR)
		return;
	if (e->errors++ == 0)
		strlcpy(e->first, err->message ? err->message : "unknown error", sizeof(e->first));
}

typedef bool (*FragmentReader) (SoapCall *call, xmlNodePtr root, void *arg);

/*
 * Read an XML fragment of the SQL face (an item, or the changes of
 * t:Updates), the prefix t: bound to the types namespace, with the same
 * readers as the SOAP face.  libxml2 as in soap.c: pg_xml_init, PG_TRY,
 * everything freed on both paths, no network, no DTD; what the reader
 * keeps is palloc'd.  A fragment that is not well-formed or breaks the
 * schema raises an error naming why (`what` names the argument).
 */
static void
read_fragment(const char *text, const char *what, FragmentReader reader, void *arg)
{
	static const char head[] =
		"<Fragment xmlns=\"http://schemas.microsoft.com/exchange/services/2006/messages\""
		" xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\">";
	static const char tail[] = "</Fragment>";
	StringInfoData doc_text;
	SoapCall	call;
	PgXmlErrorContext *errcxt;
	volatile xmlParserCtxtPtr ctxt = NULL;
	volatile xmlDocPtr doc = NULL;
	volatile bool done = false;
	FragmentErrors errs;

	/* an item or a change holds no markup declarations: refuse them before parsing */
	if (strstr(text, "<!") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_XML_CONTENT),
				 errmsg("%s cannot hold a markup declaration, a comment or CDATA", what)));
	if (strlen(text) > (size_t) ews_max_request_size)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s is larger than ews.max_request_size (%d bytes)", what, ews_max_request_size)));
	initStringInfo(&doc_text);
	appendStringInfoString(&doc_text, head);
	appendStringInfoString(&doc_text, text);
	appendStringInfoString(&doc_text, tail);
	if (GetDatabaseEncoding() != PG_UTF8 && GetDatabaseEncoding() != PG_SQL_ASCII)
	{
		char	   *u = pg_server_to_any(doc_text.data, doc_text.len, PG_UTF8);

		resetStringInfo(&doc_text);
		appendStringInfoString(&doc_text, u);
	}

	memset(&call, 0, sizeof(call));
	call.outer = CurrentMemoryContext;
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
		ctxt->sax->serror = fragment_error;
		doc = xmlCtxtReadMemory(ctxt, doc_text.data, doc_text.len, NULL, "UTF-8",
								XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOWARNING);
		if (doc == NULL || errs.errors > 0 || !ctxt->wellFormed || !ctxt->nsWellFormed ||
			pg_xml_error_occurred(errcxt))
		{
			size_t		l;

			if (errs.errors == 0)
				strlcpy(errs.first, "the text is not well-formed", sizeof(errs.first));
			l = strlen(errs.first);
			while (l > 0 && (errs.first[l - 1] == '\n' || errs.first[l - 1] == ' '))
				errs.first[--l] = '\0';
			soap_fault(&call, "ErrorSchemaValidation", "not well-formed XML: %s", errs.first);
		}
		else
			done = reader(&call, xmlDocGetRootElement(doc), arg);
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
	if (!done)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s", what),
				 errdetail("%s", call.fault_message ? call.fault_message : "It could not be read.")));
}

static bool
item_fragment(SoapCall *call, xmlNodePtr root, void *arg)
{
	xmlNodePtr	item = soap_first(root);

	if (item == NULL || soap_next(item) != NULL)
		return soap_fault(call, "ErrorSchemaValidation", "the text must be one item element, e.g. <t:Message>...</t:Message>");
	return read_new_item(call, item, arg);
}

void
soap_create_input_from_text(const char *text, EwsCreateInput *in)
{
	read_fragment(text, "item", item_fragment, in);
}

typedef struct EditList
{
	EwsItemEdit *edits;
	int			n;
} EditList;

static bool
updates_fragment(SoapCall *call, xmlNodePtr root, void *arg)
{
	EditList   *l = arg;

	if (soap_first(root) == NULL)
		return soap_fault(call, "ErrorSchemaValidation",
						  "the text must hold at least one t:SetItemField, t:AppendToItemField or t:DeleteItemField");
	return read_item_updates(call, root, &l->edits, &l->n);
}

void
soap_item_updates_from_text(const char *text, EwsItemEdit **edits, int *n)
{
	EditList	l = {NULL, 0};

	read_fragment(text, "item update", updates_fragment, &l);
	*edits = l.edits;
	*n = l.n;
}

static bool
folder_updates_fragment(SoapCall *call, xmlNodePtr root, void *arg)
{
	if (soap_first(root) == NULL)
		return soap_fault(call, "ErrorSchemaValidation",
						  "the text must hold at least one t:SetFolderField, t:AppendToFolderField or t:DeleteFolderField");
	return read_folder_updates(call, root, arg);
}

void
soap_folder_updates_from_text(const char *text, EwsFolderUpdate *u)
{
	read_fragment(text, "folder update", folder_updates_fragment, u);
}
