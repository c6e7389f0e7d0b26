/*
 * soap_items.c
 *	  FindItem and GetItem in the SOAP face: reading m:ItemShape,
 *	  m:Restriction, m:SortOrder and the paging views into C values (a
 *	  schema break is a fault, before anything is read from the store), and
 *	  writing items as the element their class calls for, with their fields
 *	  in types.xsd order.  The rules live in the store core (finditem.c,
 *	  props.c); this file translates.
 *
 * What clients need here (../shared/research/clients-items.md):
 *	- ItemId in every shape; a FieldURI the store does not keep is left out
 *	  of the answer, never refused (exchangelib asks for ~100);
 *	- t:ExtendedFieldURI echoed with exactly the attributes the client wrote
 *	  (DavMail keys values by the attribute text: 0xe23 stays 0xe23);
 *	- m:RootFolder with TotalItemsInView, IncludesLastItemInRange and
 *	  IndexedPagingOffset (DavMail loops until IncludesLastItemInRange);
 *	- dates as YYYY-MM-DDTHH:MM:SSZ, booleans as true/false.
 */
#include "soap.h"

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/xml.h"

#include "ews.h"
#include "finditem.h"
#include "getitem.h"
#include "item.h"
#include "props.h"
#include "soapwrite.h"

/* the most paths an AdditionalProperties may name */
#define MAX_SHAPE_PATHS 1024

/* ---- shapes ---- */

typedef enum BaseShape
{
	SHAPE_ID_ONLY,
	SHAPE_DEFAULT,
	SHAPE_ALL
} BaseShape;

typedef enum BodyKind
{
	BODY_BEST,
	BODY_HTML,
	BODY_TEXT
} BodyKind;

typedef struct ItemShape
{
	BaseShape	base;
	int			include_mime;	/* -1 not given, 0 false, 1 true */
	BodyKind	body_type;
	bool		extra[EWS_F_COUNT]; /* FieldURIs of AdditionalProperties */
	EwsExtPath *ext;			/* ExtendedFieldURIs, in request order */
	int			next;
} ItemShape;

static void
message_begin(SoapCall *call, const char *op, const EwsStatus *st)
{
	if (st->code == EWS_NoError)
		sw_message_begin(call->out, op, NULL, NULL, NULL);
	else
		sw_message_begin(call->out, op, ews_code_name(st->code), ews_status_text(st),
						 st->mailbox_guid);
}

/* an xs:boolean element's value */
static bool
read_bool_element(SoapCall *call, xmlNodePtr el, bool *out)
{
	const char *s = soap_content(el, NULL);

	if (!ews_parse_bool(s, out))
		return soap_fault(call, "ErrorSchemaValidation",
						  "The value '%s' of %s is not an xs:boolean.", s, soap_name(el));
	return true;
}

/*
 * A path: t:FieldURI, t:IndexedFieldURI or t:ExtendedFieldURI.  A FieldURI
 * outside the schema's list is a fault; one in it that the store does not
 * keep reads as a path with no definition (left out, or missing).
 */
bool
soap_read_path(SoapCall *call, xmlNodePtr el, EwsPath *p)
{
	memset(p, 0, sizeof(*p));
	if (soap_is(el, SOAP_TYPES, "FieldURI"))
	{
		char	   *uri = soap_attr(el, "FieldURI");
		bool		in_schema;

		if (uri == NULL)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The element t:FieldURI lacks its required attribute FieldURI.");
		p->kind = EWS_PATH_FIELD;
		p->uri = uri;
		p->field = ews_field_by_uri(uri, &in_schema);
		if (!in_schema)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The value '%s' of FieldURI is not a property path of the schema.", uri);
		return true;
	}
	if (soap_is(el, SOAP_TYPES, "IndexedFieldURI"))
	{
		char	   *uri = soap_attr(el, "FieldURI");

		if (uri == NULL || soap_attr(el, "FieldIndex") == NULL)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The element t:IndexedFieldURI needs its attributes FieldURI and FieldIndex.");
		p->kind = EWS_PATH_INDEXED;
		p->uri = uri;
		return true;
	}
	if (soap_is(el, SOAP_TYPES, "ExtendedFieldURI"))
	{
		const char *names[EWS_EXT_MAX_ATTRS + 1];
		const char *values[EWS_EXT_MAX_ATTRS + 1];
		int			n = 0;
		const char *error;

		for (xmlAttrPtr a = el->properties; a != NULL; a = a->next)
		{
			if (a->ns != NULL)
				continue;		/* xsi:type and the like */
			if (n > EWS_EXT_MAX_ATTRS)
				return soap_fault(call, "ErrorSchemaValidation",
								  "t:ExtendedFieldURI has too many attributes.");
			names[n] = pstrdup((const char *) a->name);
			values[n] = soap_attr(el, (const char *) a->name);
			n++;
		}
		p->kind = EWS_PATH_EXTENDED;
		if (!ews_ext_path_read(names, values, n, &p->ext, &error))
			return soap_fault(call, "ErrorSchemaValidation", "%s", error);
		return true;
	}
	return soap_fault(call, "ErrorSchemaValidation",
					  "%s is not a property path: use t:FieldURI, t:IndexedFieldURI or t:ExtendedFieldURI.",
					  soap_name(el));
}

/* the one path child of el (Exists, FieldOrder) */
static bool
read_only_path(SoapCall *call, xmlNodePtr el, EwsPath *p)
{
	xmlNodePtr	c = soap_first(el);

	if (c == NULL || soap_next(c) != NULL)
		return soap_fault(call, "ErrorSchemaValidation",
						  "The element %s needs exactly one property path.", soap_name(el));
	return soap_read_path(call, c, p);
}

static bool
read_item_shape(SoapCall *call, xmlNodePtr el, ItemShape *shape)
{
	xmlNodePtr	parts[SOAP_ISH_N];
	const char *s;
	int			npaths = 0;

	memset(shape, 0, sizeof(*shape));
	shape->include_mime = -1;
	if (!soap_children(call, el, soap_item_shape_children, SOAP_ISH_N, parts))
		return false;
	s = soap_content(parts[SOAP_ISH_BASE_SHAPE], NULL);
	if (strcmp(s, "IdOnly") == 0)
		shape->base = SHAPE_ID_ONLY;
	else if (strcmp(s, "Default") == 0)
		shape->base = SHAPE_DEFAULT;
	else if (strcmp(s, "AllProperties") == 0)
		shape->base = SHAPE_ALL;
	else if (strcmp(s, "PcxPeopleSearch") == 0)
		shape->base = SHAPE_DEFAULT;	/* a people-search shape: items answer their summary */
	else
		return soap_fault(call, "ErrorSchemaValidation",
						  "The value '%s' of t:BaseShape is not one of IdOnly, Default, AllProperties, PcxPeopleSearch.", s);
	if (parts[SOAP_ISH_INCLUDE_MIME_CONTENT] != NULL)
	{
		bool		b;

		if (!read_bool_element(call, parts[SOAP_ISH_INCLUDE_MIME_CONTENT], &b))
			return false;
		shape->include_mime = b ? 1 : 0;
	}
	if (parts[SOAP_ISH_BODY_TYPE] != NULL)
	{
		s = soap_content(parts[SOAP_ISH_BODY_TYPE], NULL);
		if (strcmp(s, "Best") == 0)
			shape->body_type = BODY_BEST;
		else if (strcmp(s, "HTML") == 0)
			shape->body_type = BODY_HTML;
		else if (strcmp(s, "Text") == 0)
			shape->body_type = BODY_TEXT;
		else
			return soap_fault(call, "ErrorSchemaValidation",
							  "The value '%s' of t:BodyType is not one of Best, HTML, Text.", s);
	}
	/* the other options shape bodies we do not filter or rewrite: read, then ignored */
	if (parts[SOAP_ISH_ADDITIONAL_PROPERTIES] == NULL)
		return true;
	for (xmlNodePtr c = soap_first(parts[SOAP_ISH_ADDITIONAL_PROPERTIES]); c != NULL; c = soap_next(c))
		npaths++;
	if (npaths == 0)
		return soap_fault(call, "ErrorSchemaValidation",
						  "t:AdditionalProperties needs at least one property path.");
	if (npaths > MAX_SHAPE_PATHS)
		return soap_fault(call, "ErrorSchemaValidation",
						  "t:AdditionalProperties names more than %d properties.", MAX_SHAPE_PATHS);
	shape->ext = palloc(sizeof(EwsExtPath) * npaths);
	for (xmlNodePtr c = soap_first(parts[SOAP_ISH_ADDITIONAL_PROPERTIES]); c != NULL; c = soap_next(c))
	{
		EwsPath		p;

		if (!soap_read_path(call, c, &p))
			return false;
		if (p.kind == EWS_PATH_FIELD && p.field != NULL)
			shape->extra[p.field->field] = true;
		else if (p.kind == EWS_PATH_EXTENDED)
			shape->ext[shape->next++] = p.ext;
		/* IndexedFieldURIs (contact dictionaries) name nothing an item here has */
	}
	return true;
}

/* does the shape ask for this field?  FindItem answers no MIME-based field */
static bool
shape_wants(const ItemShape *shape, const EwsFieldDef *f, bool find)
{
	if (f->field == EWS_F_ITEM_ID)
		return true;
	if (find && (f->flags & EWS_FF_NO_FIND))
		return false;
	if (f->field == EWS_F_MIME_CONTENT && shape->include_mime >= 0)
		return shape->include_mime == 1;
	if (shape->extra[f->field])
		return true;
	switch (shape->base)
	{
		case SHAPE_ID_ONLY:
			return false;
		case SHAPE_DEFAULT:
			return (f->flags & (find ? EWS_FF_FIND : EWS_FF_GET_DEFAULT)) != 0;
		case SHAPE_ALL:
			return (f->flags & (find ? EWS_FF_FIND : EWS_FF_GET_ALL)) != 0;
	}
	return false;
}

static void
shape_needs(const ItemShape *shape, bool find, EwsItemNeeds *needs)
{
	memset(needs, 0, sizeof(*needs));
	for (int i = 0; i < EWS_F_COUNT; i++)
	{
		EwsPath		p;

		if (ews_fields[i].uri == NULL || !shape_wants(shape, &ews_fields[i], find))
			continue;
		memset(&p, 0, sizeof(p));
		p.kind = EWS_PATH_FIELD;
		p.uri = ews_fields[i].uri;
		p.field = &ews_fields[i];
		ews_needs_add_path(needs, &p);
	}
	for (int i = 0; i < shape->next; i++)
	{
		EwsPath		p;

		memset(&p, 0, sizeof(p));
		p.kind = EWS_PATH_EXTENDED;
		p.ext = shape->ext[i];
		ews_needs_add_path(needs, &p);
	}
}

/* ---- writing items ---- */

/*
 * <t:element> and </t:element>, written without a format string: an item of
 * GetItem's Default shape has some forty elements, and printf-style
 * formatting was a tenth of its time.
 */
static inline void
open_el(StringInfo buf, const char *element)
{
	appendBinaryStringInfo(buf, "<t:", 3);
	appendStringInfoString(buf, element);
	appendStringInfoChar(buf, '>');
}

static inline void
close_el(StringInfo buf, const char *element)
{
	appendBinaryStringInfo(buf, "</t:", 4);
	appendStringInfoString(buf, element);
	appendStringInfoChar(buf, '>');
}

/* <t:element>s</t:element> for a string that needs no escaping */
static inline void
plain_el(StringInfo buf, const char *element, const char *s)
{
	open_el(buf, element);
	appendStringInfoString(buf, s);
	close_el(buf, element);
}

static void
int_el(StringInfo buf, const char *element, int64 v)
{
	char		digits[MAXINT8LEN + 1];

	pg_lltoa(v, digits);
	plain_el(buf, element, digits);
}

static void
write_time_elem(StringInfo buf, const char *element, TimestampTz ts)
{
	int			start = buf->len;

	open_el(buf, element);
	if (!ews_format_time(buf, ts))
	{
		/* not writable in the 20-character form: left out */
		buf->len = start;
		buf->data[start] = '\0';
		return;
	}
	close_el(buf, element);
}

static void
write_bool_elem(StringInfo buf, const char *element, bool b)
{
	plain_el(buf, element, b ? "true" : "false");
}

static void
write_mailbox(StringInfo buf, const char *name, const char *address)
{
	appendStringInfoString(buf, "<t:Mailbox>");
	if (name != NULL)
		sw_elem_text(buf, "t:Name", name);
	/* EmailAddress is a NonEmptyStringType */
	if (address != NULL && address[0] != '\0')
	{
		sw_elem_text(buf, "t:EmailAddress", address);
		appendStringInfoString(buf, "<t:RoutingType>SMTP</t:RoutingType>");
	}
	appendStringInfoString(buf, "<t:MailboxType>OneOff</t:MailboxType></t:Mailbox>");
}

static void
write_effective_rights(StringInfo buf, const EwsItemRow *row)
{
	bool		write = row->access == EWS_ACCESS_WRITE;

	/*
	 * Rights are per mailbox (sw_effective_rights): who may write may change
	 * and delete the item, a reviewer only reads it.  An item has no
	 * contents nor subfolders: the Create* rights are false, as Exchange
	 * answers for a message.
	 */
	appendStringInfoString(buf,
						   "<t:EffectiveRights><t:CreateAssociated>false</t:CreateAssociated>"
						   "<t:CreateContents>false</t:CreateContents>"
						   "<t:CreateHierarchy>false</t:CreateHierarchy>");
	appendStringInfoString(buf, write ? "<t:Delete>true</t:Delete><t:Modify>true</t:Modify>"
						   : "<t:Delete>false</t:Delete><t:Modify>false</t:Modify>");
	appendStringInfoString(buf, "<t:Read>true</t:Read>");
	appendStringInfoString(buf, row->delegated ? "<t:ViewPrivateItems>false</t:ViewPrivateItems>"
						   : "<t:ViewPrivateItems>true</t:ViewPrivateItems>");
	appendStringInfoString(buf, "</t:EffectiveRights>");
}

/* a column's value in the form of a field (simple forms) */
static void
write_column_field(StringInfo buf, const EwsFieldDef *f, const EwsItemRow *row)
{
	Datum		d = row->vals[f->col];

	if (row->isnull[f->col])
		return;
	switch (f->form)
	{
		case EWS_FORM_TEXT:
			{
				char	   *s = ews_row_text(row, f->col);

				open_el(buf, f->element);
				sw_text(buf, s);
				close_el(buf, f->element);
				break;
			}
		case EWS_FORM_INT:
			int_el(buf, f->element, ews_row_int(row, f->col));
			break;
		case EWS_FORM_BOOL:
			write_bool_elem(buf, f->element, DatumGetBool(d));
			break;
		case EWS_FORM_TIME:
			write_time_elem(buf, f->element, DatumGetTimestampTz(d));
			break;
		case EWS_FORM_IMPORTANCE:
			{
				const char *n = ews_importance_name((int) ews_row_int(row, f->col));

				if (n != NULL)
					plain_el(buf, f->element, n);
				break;
			}
		case EWS_FORM_SENSITIVITY:
			{
				const char *n = ews_sensitivity_name((int) ews_row_int(row, f->col));

				if (n != NULL)
					plain_el(buf, f->element, n);
				break;
			}
		case EWS_FORM_FLAG:
			{
				const char *n = ews_flag_status_name((int) ews_row_int(row, f->col));

				if (n != NULL)
					appendStringInfo(buf, "<t:Flag><t:FlagStatus>%s</t:FlagStatus></t:Flag>", n);
				break;
			}
		case EWS_FORM_STRINGS:
			{
				ArrayType  *a = DatumGetArrayTypeP(d);
				Datum	   *elems;
				bool	   *nulls;
				int			n;

				deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
				if (n == 0)
					break;		/* ArrayOfStringsType may be empty, but none is no value */
				open_el(buf, f->element);
				for (int i = 0; i < n; i++)
				{
					char	   *s;

					if (nulls[i])
						continue;
					s = TextDatumGetCString(elems[i]);
					if (GetDatabaseEncoding() != PG_UTF8 && GetDatabaseEncoding() != PG_SQL_ASCII)
						s = pg_server_to_any(s, strlen(s), PG_UTF8);
					sw_elem_text(buf, "t:String", s);
				}
				close_el(buf, f->element);
				break;
			}
		default:
			break;
	}
}

/* a blob property in the form of a field */
static void
write_blob_field(StringInfo buf, const EwsFieldDef *f, const EwsItemRow *row)
{
	EwsBlobProp p;

	if (row->blob == NULL || !ews_prop_find(row->blob, row->blob_len, &f->key, &p))
		return;
	switch (f->form)
	{
		case EWS_FORM_TEXT:
			{
				char	   *s = pnstrdup((const char *) p.value, p.len);

				open_el(buf, f->element);
				sw_text(buf, s);
				close_el(buf, f->element);
				break;
			}
		case EWS_FORM_BOOL:
			write_bool_elem(buf, f->element, p.value[0] != 0);
			break;
		case EWS_FORM_INT:
			int_el(buf, f->element, (int32) ews_le32(p.value));
			break;
		case EWS_FORM_TIME:
			{
				TimestampTz ts;

				if (ews_filetime_to_timestamp((int64) ews_le64(p.value), &ts))
					write_time_elem(buf, f->element, ts);
				break;
			}
		case EWS_FORM_BASE64:
			open_el(buf, f->element);
			sw_base64(buf, p.value, p.len);
			close_el(buf, f->element);
			break;
		default:
			break;
	}
}

/*
 * The value of an extended property that has a column, in the form its
 * MAPI type writes: <t:Value> (or <t:Values> for Keywords).
 */
static bool
write_column_value(StringInfo buf, const EwsItemRow *row, EwsColumn col, uint16 type)
{
	Datum		d = row->vals[col];

	if (row->isnull[col])
		return false;
	switch (ews_item_cols[col].type)
	{
		case TEXTOID:
			{
				char	   *s = ews_row_text(row, col);

				appendStringInfoString(buf, "<t:Value>");
				sw_text(buf, s);
				appendStringInfoString(buf, "</t:Value>");
				return true;
			}
		case INT2OID:
		case INT4OID:
		case INT8OID:
			appendStringInfo(buf, "<t:Value>" INT64_FORMAT "</t:Value>", ews_row_int(row, col));
			return true;
		case BOOLOID:
			appendStringInfo(buf, "<t:Value>%s</t:Value>", DatumGetBool(d) ? "true" : "false");
			return true;
		case TIMESTAMPTZOID:
			{
				int			start = buf->len;

				appendStringInfoString(buf, "<t:Value>");
				if (!ews_format_time(buf, DatumGetTimestampTz(d)))
				{
					buf->len = start;
					buf->data[start] = '\0';
					return false;
				}
				appendStringInfoString(buf, "</t:Value>");
				return true;
			}
		case TEXTARRAYOID:
			{
				Datum	   *elems;
				bool	   *nulls;
				int			n;
				int			written = 0;

				deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
				for (int i = 0; i < n; i++)
				{
					char	   *s;

					if (nulls[i])
						continue;
					if (written++ == 0)
						appendStringInfoString(buf, "<t:Values>");
					s = TextDatumGetCString(elems[i]);
					if (GetDatabaseEncoding() != PG_UTF8 && GetDatabaseEncoding() != PG_SQL_ASCII)
						s = pg_server_to_any(s, strlen(s), PG_UTF8);
					appendStringInfoString(buf, "<t:Value>");
					sw_text(buf, s);
					appendStringInfoString(buf, "</t:Value>");
				}
				if (written > 0)
					appendStringInfoString(buf, "</t:Values>");
				return written > 0;
			}
	}
	return false;
}

/* one t:ExtendedProperty, left out when the item has no value for it */
static void
write_extended(StringInfo buf, const EwsExtPath *ext, const EwsItemRow *row)
{
	int			start = buf->len;
	EwsColumn	col = ews_ext_path_column(ext);
	EwsBlobProp p;
	bool		written = false;

	appendStringInfoString(buf, "<t:ExtendedProperty>");
	ews_ext_path_write(buf, ext);
	if (col != EWS_C_NONE)
		written = write_column_value(buf, row, col, ext->key.type);
	else if (row->blob != NULL && ews_prop_find(row->blob, row->blob_len, &ext->key, &p))
		written = ews_prop_write_value(buf, &p);
	else if (ext->key.named && ext->key.by_name && ext->key.type == EWS_PT_UNICODE &&
			 memcmp(ext->key.guid.b, ews_ps_internet_headers.b, 16) == 0 &&
			 !row->isnull[EWS_C_HEADERS])
	{
		/*
		 * PS_INTERNET_HEADERS holds the message's header fields by name
		 * (DavMail's content-class, from, to): the header block has them.
		 */
		char	   *v = ews_header_block_value(ews_row_text(row, EWS_C_HEADERS), ext->key.name);

		if (v != NULL)
		{
			appendStringInfoString(buf, "<t:Value>");
			sw_text(buf, v);
			appendStringInfoString(buf, "</t:Value>");
			written = true;
		}
	}
	if (!written)
	{
		buf->len = start;
		buf->data[start] = '\0';
		return;
	}
	appendStringInfoString(buf, "</t:ExtendedProperty>");
}

static void
write_headers(StringInfo buf, const EwsItemRow *row)
{
	EwsHeaderField *fields;
	int			n;

	if (row->isnull[EWS_C_HEADERS])
		return;
	n = ews_header_block_split(ews_row_text(row, EWS_C_HEADERS), &fields);
	if (n == 0)
		return;					/* NonEmptyArrayOfInternetHeadersType */
	appendStringInfoString(buf, "<t:InternetMessageHeaders>");
	for (int i = 0; i < n; i++)
	{
		appendStringInfoString(buf, "<t:InternetMessageHeader");
		sw_attr(buf, "HeaderName", fields[i].name);
		appendStringInfoChar(buf, '>');
		sw_text(buf, fields[i].value);
		appendStringInfoString(buf, "</t:InternetMessageHeader>");
	}
	appendStringInfoString(buf, "</t:InternetMessageHeaders>");
}

static void
write_address(StringInfo buf, const EwsMimeAddress *a)
{
	write_mailbox(buf, a->name, a->address);
}

/* ArrayOfRecipientsType: left out when the list is empty */
static void
write_recipients(StringInfo buf, const char *element, const EwsMimeAddressList *l)
{
	if (l->n == 0)
		return;
	open_el(buf, element);
	for (size_t i = 0; i < l->n; i++)
		write_address(buf, &l->v[i]);
	close_el(buf, element);
}

static void
write_body(StringInfo buf, const char *element, EwsItemView *view, EwsBodyWant want)
{
	bool		is_html;
	size_t		len;
	char	   *body = ews_item_body(view, want, &is_html, &len);

	appendBinaryStringInfo(buf, "<t:", 3);
	appendStringInfoString(buf, element);
	appendStringInfoString(buf, is_html ? " BodyType=\"HTML\">" : " BodyType=\"Text\">");
	sw_text(buf, body);
	close_el(buf, element);
}

static void
write_attachments(StringInfo buf, const EwsItemRow *row, const EwsMimeMessage *m)
{
	if (m == NULL || m->nattachments == 0)
		return;
	appendStringInfoString(buf, "<t:Attachments>");
	for (size_t i = 0; i < m->nattachments; i++)
	{
		const EwsMimeAttachment *a = &m->attachments[i];
		const char *element = a->is_message ? "ItemAttachment" : "FileAttachment";

		appendStringInfo(buf, "<t:%s><t:AttachmentId", element);
		sw_attr(buf, "Id", ews_attachment_id(row, (int) i));
		sw_attr(buf, "RootItemId", ews_id_text(row->guid, EWS_ID_KIND_ITEM, row->item_id));
		sw_attr(buf, "RootItemChangeKey", ews_change_key_text(EWS_CK_KIND_ITEM, row->change_number));
		appendStringInfoString(buf, "/>");
		if (a->filename != NULL)
			sw_elem_text(buf, "t:Name", a->filename);
		sw_elem_text(buf, "t:ContentType", a->content_type);
		if (a->content_id != NULL)
			sw_elem_text(buf, "t:ContentId", a->content_id);
		if (a->content_location != NULL)
			sw_elem_text(buf, "t:ContentLocation", a->content_location);
		int_el(buf, "Size", (int64) Min(a->size, (size_t) PG_INT32_MAX));
		write_bool_elem(buf, "IsInline", a->is_inline);
		appendStringInfo(buf, "</t:%s>", element);
	}
	appendStringInfoString(buf, "</t:Attachments>");
}

/* the fields read from the item's message: body, recipients, attachments */
static void
write_mime_field(StringInfo buf, const EwsFieldDef *f, EwsItemView *view, const ItemShape *shape)
{
	const EwsMimeMessage *m;
	static const EwsBodyWant wants[] = {[BODY_BEST] = EWS_BODY_BEST, [BODY_HTML] = EWS_BODY_HTML,
	[BODY_TEXT] = EWS_BODY_TEXT};

	switch (f->field)
	{
		case EWS_F_BODY:
			write_body(buf, "Body", view, wants[shape->body_type]);
			return;
		case EWS_F_TEXT_BODY:
			write_body(buf, "TextBody", view, EWS_BODY_TEXT);
			return;
		default:
			break;
	}
	m = ews_item_message(view);
	if (m == NULL)
		return;
	switch (f->field)
	{
		case EWS_F_ATTACHMENTS:
			write_attachments(buf, view->row, m);
			break;
		case EWS_F_SENDER:
			{
				/* the Sender field, else the first author (RFC 5322 3.6.2) */
				const EwsMimeAddressList *l = m->fields.sender.n > 0 ? &m->fields.sender : &m->fields.from;

				if (l->n > 0)
				{
					appendStringInfoString(buf, "<t:Sender>");
					write_address(buf, &l->v[0]);
					appendStringInfoString(buf, "</t:Sender>");
				}
				break;
			}
		case EWS_F_TO_RECIPIENTS:
			write_recipients(buf, "ToRecipients", &m->fields.to);
			break;
		case EWS_F_CC_RECIPIENTS:
			write_recipients(buf, "CcRecipients", &m->fields.cc);
			break;
		case EWS_F_BCC_RECIPIENTS:
			write_recipients(buf, "BccRecipients", &m->fields.bcc);
			break;
		case EWS_F_REPLY_TO:
			write_recipients(buf, "ReplyTo", &m->fields.reply_to);
			break;
		default:
			break;
	}
}

static void
write_field(StringInfo buf, const EwsFieldDef *f, EwsItemView *view, const ItemShape *shape)
{
	const EwsItemRow *row = view->row;

	switch (f->field)
	{
		case EWS_F_ITEM_ID:
			appendStringInfoString(buf, "<t:ItemId");
			sw_attr(buf, "Id", ews_id_text(row->guid, EWS_ID_KIND_ITEM, row->item_id));
			sw_attr(buf, "ChangeKey", ews_change_key_text(EWS_CK_KIND_ITEM, row->change_number));
			appendStringInfoString(buf, "/>");
			return;
		case EWS_F_PARENT_FOLDER_ID:
			appendStringInfoString(buf, "<t:ParentFolderId");
			sw_attr(buf, "Id", ews_id_text(row->guid, EWS_ID_KIND_FOLDER, row->folder_id));
			sw_attr(buf, "ChangeKey", ews_change_key_text(EWS_CK_KIND_FOLDER, row->folder_change));
			appendStringInfoString(buf, "/>");
			return;
		case EWS_F_MIME_CONTENT:
			{
				const uint8 *mime;
				size_t		len;

				if (!ews_item_mime(view, &mime, &len))
					return;
				appendStringInfoString(buf, "<t:MimeContent CharacterSet=\"UTF-8\">");
				sw_base64(buf, mime, len);
				appendStringInfoString(buf, "</t:MimeContent>");
				return;
			}
		case EWS_F_EFFECTIVE_RIGHTS:
			write_effective_rights(buf, row);
			return;
		case EWS_F_INTERNET_MESSAGE_HEADERS:
			write_headers(buf, row);
			return;
		case EWS_F_FROM:
			{
				char	   *text = ews_row_text(row, EWS_C_FROM_TEXT);
				char	   *name,
						   *address;

				if (text == NULL || text[0] == '\0')
					return;
				ews_mailbox_text_split(text, &name, &address);
				appendStringInfoString(buf, "<t:From>");
				write_mailbox(buf, name, address);
				appendStringInfoString(buf, "</t:From>");
				return;
			}
		case EWS_F_PREVIEW:
			{
				char	   *text = ews_row_text(row, EWS_C_BODY_TEXT);

				if (text != NULL)
					sw_elem_text(buf, "t:Preview", ews_body_preview(text));
				return;
			}
		default:
			break;
	}
	switch (f->source)
	{
		case EWS_SRC_COLUMN:
			write_column_field(buf, f, row);
			return;
		case EWS_SRC_FLAG_BIT:
			/* no PidTagMessageFlags is no flag set */
			write_bool_elem(buf, f->element, !row->isnull[EWS_C_MESSAGE_FLAGS] &&
							(DatumGetInt32(row->vals[EWS_C_MESSAGE_FLAGS]) & f->flag_bit) != 0);
			return;
		case EWS_SRC_BLOB:
			if ((f->field == EWS_F_IN_REPLY_TO || f->field == EWS_F_REFERENCES) &&
				(row->blob == NULL || !ews_prop_find(row->blob, row->blob_len, &f->key, &(EwsBlobProp) {0})))
			{
				/* not among the properties: the message's own field */
				const EwsMimeMessage *m = ews_item_message(view);
				const char *v = m == NULL ? NULL :
					f->field == EWS_F_IN_REPLY_TO ? m->fields.in_reply_to : m->fields.references;

				if (v != NULL)
					sw_elem_text(buf, f->field == EWS_F_IN_REPLY_TO ? "t:InReplyTo" : "t:References", v);
				return;
			}
			write_blob_field(buf, f, row);
			return;
		case EWS_SRC_MIME:
			write_mime_field(buf, f, view, shape);
			return;
		default:
			return;
	}
}

/* an item as the element its class calls for, its fields in types.xsd order */
static void
write_item(StringInfo buf, const EwsItemRow *row, const ItemShape *shape, bool find)
{
	char	   *cls = ews_row_text(row, EWS_C_ITEM_CLASS);
	const char *element = ews_item_element(cls);
	EwsItemView view;

	ews_item_view_init(&view, row);
	open_el(buf, element);
	for (int i = 0; i < EWS_F_COUNT; i++)
	{
		const EwsFieldDef *f = &ews_fields[i];

		if (f->field == EWS_F_EXTENDED_PROPERTIES)
		{
			for (int e = 0; e < shape->next; e++)
				write_extended(buf, &shape->ext[e], row);
			continue;
		}
		if (!shape_wants(shape, f, find) || !ews_field_applies(f, element))
			continue;
		write_field(buf, f, &view, shape);
	}
	close_el(buf, element);
}

/* ---- restrictions, sort orders, views ---- */

static const struct
{
	const char *name;
	EwsRestrictOp op;
}			search_expressions[] = {
	{"And", EWS_R_AND},
	{"Or", EWS_R_OR},
	{"Not", EWS_R_NOT},
	{"Exists", EWS_R_EXISTS},
	{"Excludes", EWS_R_EXCLUDES},
	{"IsEqualTo", EWS_R_EQ},
	{"IsNotEqualTo", EWS_R_NE},
	{"IsGreaterThan", EWS_R_GT},
	{"IsGreaterThanOrEqualTo", EWS_R_GE},
	{"IsLessThan", EWS_R_LT},
	{"IsLessThanOrEqualTo", EWS_R_LE},
	{"Contains", EWS_R_CONTAINS},
};

static bool
read_constant(SoapCall *call, xmlNodePtr el, char **value)
{
	*value = soap_attr(el, "Value");
	if (*value == NULL)
		return soap_fault(call, "ErrorSchemaValidation",
						  "The element %s lacks its required attribute Value.", soap_name(el));
	return true;
}

/* one SearchExpression and everything below it */
static EwsRestriction *
read_search_expression(SoapCall *call, xmlNodePtr el, int *nodes)
{
	EwsRestriction *r = palloc0(sizeof(EwsRestriction));
	int			k;
	xmlNodePtr	c;

	CHECK_FOR_INTERRUPTS();
	if (++*nodes > EWS_MAX_RESTRICTION_NODES)
	{
		soap_fault(call, "ErrorInvalidRestriction",
				   "The restriction has more than %d expressions.", EWS_MAX_RESTRICTION_NODES);
		return NULL;
	}
	for (k = 0; k < lengthof(search_expressions); k++)
		if (soap_is(el, SOAP_TYPES, search_expressions[k].name))
			break;
	if (k == lengthof(search_expressions))
	{
		soap_fault(call, "ErrorSchemaValidation",
				   "%s is not a search expression: use And, Or, Not, Exists, Excludes, IsEqualTo, IsNotEqualTo, IsGreaterThan, IsGreaterThanOrEqualTo, IsLessThan, IsLessThanOrEqualTo or Contains.",
				   soap_name(el));
		return NULL;
	}
	r->op = search_expressions[k].op;
	switch (r->op)
	{
		case EWS_R_AND:
		case EWS_R_OR:
		case EWS_R_NOT:
			for (c = soap_first(el); c != NULL; c = soap_next(c))
				r->nchildren++;
			if (r->nchildren == 0 || (r->op == EWS_R_NOT && r->nchildren != 1))
			{
				soap_fault(call, "ErrorSchemaValidation", "The element %s needs %s search expression%s.",
						   soap_name(el), r->op == EWS_R_NOT ? "exactly one" : "at least one",
						   r->op == EWS_R_NOT ? "" : "s");
				return NULL;
			}
			r->children = palloc(sizeof(EwsRestriction *) * r->nchildren);
			k = 0;
			for (c = soap_first(el); c != NULL; c = soap_next(c))
				if ((r->children[k++] = read_search_expression(call, c, nodes)) == NULL)
					return NULL;
			return r;
		case EWS_R_EXISTS:
			return read_only_path(call, el, &r->path) ? r : NULL;
		default:
			break;
	}
	/* a path, then Bitmask (Excludes), FieldURIOrConstant (comparisons) or Constant (Contains) */
	c = soap_first(el);
	if (c == NULL || soap_next(c) == NULL || soap_next(soap_next(c)) != NULL)
	{
		soap_fault(call, "ErrorSchemaValidation", "The element %s needs a property path and a value.",
				   soap_name(el));
		return NULL;
	}
	if (!soap_read_path(call, c, &r->path))
		return NULL;
	c = soap_next(c);
	if (r->op == EWS_R_EXCLUDES)
	{
		if (!soap_is(c, SOAP_TYPES, "Bitmask"))
		{
			soap_fault(call, "ErrorSchemaValidation", "t:Excludes needs a t:Bitmask after its path.");
			return NULL;
		}
		return read_constant(call, c, &r->constant) ? r : NULL;
	}
	if (r->op == EWS_R_CONTAINS)
	{
		char	   *mode = soap_attr(el, "ContainmentMode");
		char	   *cmp = soap_attr(el, "ContainmentComparison");

		if (!soap_is(c, SOAP_TYPES, "Constant"))
		{
			soap_fault(call, "ErrorSchemaValidation", "t:Contains needs a t:Constant after its path.");
			return NULL;
		}
		if (!read_constant(call, c, &r->constant))
			return NULL;
		/* without attributes: the whole string, exactly (MAPI's FL_FULLSTRING) */
		if (mode == NULL || strcmp(mode, "FullString") == 0)
			r->mode = EWS_CONTAIN_FULLSTRING;
		else if (strcmp(mode, "Substring") == 0 || strcmp(mode, "ExactPhrase") == 0)
			r->mode = EWS_CONTAIN_SUBSTRING;
		else if (strcmp(mode, "Prefixed") == 0)
			r->mode = EWS_CONTAIN_PREFIXED;
		else if (strcmp(mode, "PrefixOnWords") == 0)
			r->mode = EWS_CONTAIN_PREFIX_ON_WORDS;
		else
		{
			soap_fault(call, "ErrorSchemaValidation",
					   "The value '%s' of ContainmentMode is not one of FullString, Prefixed, Substring, PrefixOnWords, ExactPhrase.", mode);
			return NULL;
		}
		/*
		 * Case: IgnoreCase and the Loose forms ignore it; Exact and
		 * IgnoreNonSpacingCharacters compare it (diacritics are not folded).
		 */
		if (cmp == NULL || strcmp(cmp, "Exact") == 0 || strcmp(cmp, "IgnoreNonSpacingCharacters") == 0)
			r->ignore_case = false;
		else if (strcmp(cmp, "IgnoreCase") == 0 || strcmp(cmp, "Loose") == 0 ||
				 strcmp(cmp, "IgnoreCaseAndNonSpacingCharacters") == 0 ||
				 strcmp(cmp, "LooseAndIgnoreCase") == 0 || strcmp(cmp, "LooseAndIgnoreNonSpace") == 0 ||
				 strcmp(cmp, "LooseAndIgnoreCaseAndIgnoreNonSpace") == 0)
			r->ignore_case = true;
		else
		{
			soap_fault(call, "ErrorSchemaValidation",
					   "The value '%s' of ContainmentComparison is not a containment comparison of the schema.", cmp);
			return NULL;
		}
		return r;
	}
	/* comparisons: FieldURIOrConstant holds a path or a Constant */
	if (!soap_is(c, SOAP_TYPES, "FieldURIOrConstant"))
	{
		soap_fault(call, "ErrorSchemaValidation", "The element %s needs a t:FieldURIOrConstant after its path.",
				   soap_name(el));
		return NULL;
	}
	{
		xmlNodePtr	v = soap_first(c);

		if (v == NULL || soap_next(v) != NULL)
		{
			soap_fault(call, "ErrorSchemaValidation",
					   "t:FieldURIOrConstant needs exactly one property path or t:Constant.");
			return NULL;
		}
		if (soap_is(v, SOAP_TYPES, "Constant"))
			return read_constant(call, v, &r->constant) ? r : NULL;
		r->rhs_is_path = true;
		return soap_read_path(call, v, &r->rhs) ? r : NULL;
	}
}

bool
soap_read_restriction(SoapCall *call, xmlNodePtr el, EwsRestriction **out)
{
	xmlNodePtr	c = soap_first(el);
	int			nodes = 0;

	if (c == NULL || soap_next(c) != NULL)
		return soap_fault(call, "ErrorSchemaValidation",
						  "m:Restriction needs exactly one search expression.");
	*out = read_search_expression(call, c, &nodes);
	return *out != NULL;
}

static bool
read_sort_order(SoapCall *call, xmlNodePtr el, EwsSortKey **keys, int *n)
{
	int			count = 0;

	for (xmlNodePtr c = soap_first(el); c != NULL; c = soap_next(c))
		count++;
	if (count == 0)
		return soap_fault(call, "ErrorSchemaValidation", "m:SortOrder needs at least one t:FieldOrder.");
	if (count > EWS_MAX_SORT_KEYS)
		return soap_fault(call, "ErrorSchemaValidation",
						  "m:SortOrder has more than %d t:FieldOrder elements.", EWS_MAX_SORT_KEYS);
	*keys = palloc0(sizeof(EwsSortKey) * count);
	*n = 0;
	for (xmlNodePtr c = soap_first(el); c != NULL; c = soap_next(c))
	{
		EwsSortKey *k = &(*keys)[(*n)++];
		char	   *order;

		if (!soap_is(c, SOAP_TYPES, "FieldOrder"))
			return soap_fault(call, "ErrorSchemaValidation", "%s is not allowed in m:SortOrder.", soap_name(c));
		order = soap_attr(c, "Order");
		if (order == NULL)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The required attribute Order of t:FieldOrder is missing.");
		if (strcmp(order, "Ascending") == 0)
			k->descending = false;
		else if (strcmp(order, "Descending") == 0)
			k->descending = true;
		else
			return soap_fault(call, "ErrorSchemaValidation",
							  "The value '%s' of Order is not Ascending or Descending.", order);
		if (!read_only_path(call, c, &k->path))
			return false;
	}
	return true;
}

/* an xs:int attribute; a value that is not one is a schema fault */
static bool
int_attr(SoapCall *call, xmlNodePtr el, const char *name, bool required, int *out, bool *present)
{
	char	   *s = soap_attr(el, name);
	int64		v;

	*present = s != NULL;
	if (s == NULL)
	{
		if (required)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The required attribute %s of %s is missing.", name, soap_name(el));
		return true;
	}
	if (!ews_parse_int(s, PG_INT32_MIN, PG_INT32_MAX, &v))
		return soap_fault(call, "ErrorSchemaValidation",
						  "The value '%s' of %s/@%s is not an xs:int.", s, soap_name(el), name);
	*out = (int) v;
	return true;
}

static bool
read_view(SoapCall *call, xmlNodePtr indexed, xmlNodePtr fractional, EwsPageView *v)
{
	bool		present;

	memset(v, 0, sizeof(*v));
	if (indexed)
	{
		char	   *bp = soap_attr(indexed, "BasePoint");

		v->kind = EWS_VIEW_INDEXED;
		if (!int_attr(call, indexed, "MaxEntriesReturned", false, &v->max, &v->has_max) ||
			!int_attr(call, indexed, "Offset", true, &v->offset, &present))
			return false;
		if (bp == NULL)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The required attribute BasePoint of m:IndexedPageItemView is missing.");
		if (strcmp(bp, "End") == 0)
			v->from_end = true;
		else if (strcmp(bp, "Beginning") != 0)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The value '%s' of BasePoint is not Beginning or End.", bp);
	}
	else if (fractional)
	{
		v->kind = EWS_VIEW_FRACTIONAL;
		if (!int_attr(call, fractional, "MaxEntriesReturned", false, &v->max, &v->has_max) ||
			!int_attr(call, fractional, "Numerator", true, &v->offset, &present) ||
			!int_attr(call, fractional, "Denominator", true, &v->denominator, &present))
			return false;
	}
	return true;
}

/* ---- FindItem ---- */

typedef struct FindItemRequest
{
	ItemShape	shape;
	EwsItemQuery query;
	EwsFolderRef *parents;
	int			nparents;
} FindItemRequest;

bool
soap_read_find_item(SoapCall *call, xmlNodePtr op, void **request)
{
	static const SoapChild spec[] = {
		{SOAP_MSG, "ItemShape", true},
		{SOAP_MSG, "IndexedPageItemView", false},
		{SOAP_MSG, "FractionalPageItemView", false},
		{SOAP_MSG, "SeekToConditionPageItemView", false},
		{SOAP_MSG, "CalendarView", false},
		{SOAP_MSG, "ContactsView", false},
		{SOAP_MSG, "GroupBy", false},
		{SOAP_MSG, "DistinguishedGroupBy", false},
		{SOAP_MSG, "Restriction", false},
		{SOAP_MSG, "SortOrder", false},
		{SOAP_MSG, "ParentFolderIds", true},
		{SOAP_MSG, "QueryString", false},
	};
	xmlNodePtr	parts[lengthof(spec)];
	FindItemRequest *req = palloc0(sizeof(FindItemRequest));
	char	   *traversal = soap_attr(op, "Traversal");
	int			views = 0;

	if (traversal == NULL)
		return soap_fault(call, "ErrorSchemaValidation",
						  "The required attribute Traversal of m:FindItem is missing.");
	if (strcmp(traversal, "Shallow") == 0)
		req->query.associated = false;
	else if (strcmp(traversal, "Associated") == 0)
		req->query.associated = true;
	else if (strcmp(traversal, "SoftDeleted") == 0)
		return soap_fault(call, "ErrorInvalidOperation",
						  "FindItem with Traversal SoftDeleted is not supported: soft-deleted items are in recoverableitemsdeletions.");
	else
		return soap_fault(call, "ErrorSchemaValidation",
						  "The value '%s' of Traversal is not Shallow, SoftDeleted or Associated.", traversal);
	if (!soap_children(call, op, spec, lengthof(spec), parts))
		return false;
	for (int i = 1; i <= 5; i++)
		views += parts[i] != NULL;
	if (views > 1)
		return soap_fault(call, "ErrorSchemaValidation", "m:FindItem takes at most one paging view.");
	if (parts[6] && parts[7])
		return soap_fault(call, "ErrorSchemaValidation",
						  "m:FindItem takes at most one of m:GroupBy and m:DistinguishedGroupBy.");
	/* what we cannot do must not silently widen or reshape the answer */
	for (int i = 3; i <= 7; i++)
		if (parts[i] != NULL)
			return soap_fault(call, "ErrorInvalidOperation",
							  "FindItem with %s is not supported.", soap_name(parts[i]));
	if (parts[11] != NULL)
		return soap_fault(call, "ErrorInvalidOperation",
						  "FindItem with m:QueryString (a search of the content index) is not supported: use m:Restriction.");
	if (!read_item_shape(call, parts[0], &req->shape) ||
		!read_view(call, parts[1], parts[2], &req->query.view) ||
		(parts[8] && !soap_read_restriction(call, parts[8], &req->query.restriction)) ||
		(parts[9] && !read_sort_order(call, parts[9], &req->query.sort, &req->query.nsort)) ||
		!soap_folder_refs(call, parts[10], &req->parents, &req->nparents))
		return false;
	shape_needs(&req->shape, true, &req->query.needs);
	*request = req;
	return true;
}

typedef struct FindItemWriter
{
	SoapCall   *call;
	const FindItemRequest *req;
	bool		started;
} FindItemWriter;

static void
find_page(void *arg, const EwsFolder *folder, const EwsPage *page)
{
	FindItemWriter *w = arg;
	StringInfo	out = w->call->out;

	sw_message_begin(out, "FindItem", NULL, NULL, NULL);
	appendStringInfoString(out, "<m:RootFolder");
	if (w->req->query.view.kind == EWS_VIEW_FRACTIONAL)
		appendStringInfo(out, " NumeratorOffset=\"%d\" AbsoluteDenominator=\"%d\"",
						 page->numerator_offset, page->total);
	else
		appendStringInfo(out, " IndexedPagingOffset=\"%d\"", page->next_offset);
	appendStringInfo(out, " TotalItemsInView=\"%d\" IncludesLastItemInRange=\"%s\"><t:Items>",
					 page->total, page->includes_last ? "true" : "false");
	w->started = true;
}

static void
find_row(void *arg, int index, const EwsItemRow *row, const EwsStatus *st)
{
	FindItemWriter *w = arg;

	write_item(w->call->out, row, &w->req->shape, true);
}

void
soap_run_find_item(SoapCall *call, void *request)
{
	FindItemRequest *req = request;

	sw_envelope_begin(call->out, call->version);
	sw_response_begin(call->out, "FindItem");
	for (int i = 0; i < req->nparents; i++)
	{
		FindItemWriter w = {call, req, false};
		EwsStatus	st;

		soap_step_begin();
		if (ews_item_find(&call->ctx, &req->parents[i], &req->query, find_page, find_row, &w, &st))
			appendStringInfoString(call->out, "</t:Items></m:RootFolder>");
		else
			message_begin(call, "FindItem", &st);
		soap_step_end();
		sw_message_end(call->out, "FindItem");
	}
	sw_response_end(call->out, "FindItem");
	sw_envelope_end(call->out);
}

/* ---- GetItem ---- */

typedef struct GetItemRequest
{
	ItemShape	shape;
	EwsItemNeeds needs;
	EwsItemRef *refs;
	int			n;
} GetItemRequest;

/* NonEmptyArrayOfBaseItemIdsType: t:ItemId (occurrence and recurring-master ids name calendar items we do not keep) */
bool
soap_read_item_ids(SoapCall *call, xmlNodePtr list, EwsItemRef **refs, int *n)
{
	int			count = 0;

	for (xmlNodePtr c = soap_first(list); c != NULL; c = soap_next(c))
	{
		if (!soap_is(c, SOAP_TYPES, "ItemId"))
			return soap_fault(call, "ErrorSchemaValidation",
							  "%s is not allowed in %s: use t:ItemId.", soap_name(c), soap_name(list));
		count++;
	}
	if (count == 0)
		return soap_fault(call, "ErrorSchemaValidation", "%s needs at least one t:ItemId.", soap_name(list));
	*refs = palloc(sizeof(EwsItemRef) * count);
	*n = 0;
	for (xmlNodePtr c = soap_first(list); c != NULL; c = soap_next(c))
	{
		EwsItemRef *r = &(*refs)[(*n)++];

		r->id = soap_attr(c, "Id");
		r->change_key = soap_attr(c, "ChangeKey");
		if (r->id == NULL)
			return soap_fault(call, "ErrorSchemaValidation",
							  "The required attribute Id of t:ItemId is missing.");
	}
	return true;
}

bool
soap_read_get_item(SoapCall *call, xmlNodePtr op, void **request)
{
	static const SoapChild spec[] = {
		{SOAP_MSG, "ItemShape", true},
		{SOAP_MSG, "ItemIds", true},
	};
	xmlNodePtr	parts[2];
	GetItemRequest *req = palloc0(sizeof(GetItemRequest));

	if (!soap_children(call, op, spec, 2, parts) ||
		!read_item_shape(call, parts[0], &req->shape) ||
		!soap_read_item_ids(call, parts[1], &req->refs, &req->n))
		return false;
	shape_needs(&req->shape, false, &req->needs);
	*request = req;
	return true;
}

typedef struct GetItemWriter
{
	SoapCall   *call;
	const GetItemRequest *req;
} GetItemWriter;

static void
get_row(void *arg, int index, const EwsItemRow *row, const EwsStatus *st)
{
	GetItemWriter *w = arg;
	StringInfo	out = w->call->out;

	message_begin(w->call, "GetItem", st);
	if (row != NULL)
	{
		appendStringInfoString(out, "<m:Items>");
		write_item(out, row, &w->req->shape, false);
		appendStringInfoString(out, "</m:Items>");
	}
	else
		appendStringInfoString(out, "<m:Items/>");
	sw_message_end(out, "GetItem");
}

void
soap_run_get_item(SoapCall *call, void *request)
{
	GetItemRequest *req = request;
	GetItemWriter w = {call, req};

	sw_envelope_begin(call->out, call->version);
	sw_response_begin(call->out, "GetItem");
	soap_step_begin();
	ews_item_get_batch(&call->ctx, req->refs, req->n, &req->needs, get_row, &w);
	soap_step_end();
	sw_response_end(call->out, "GetItem");
	sw_envelope_end(call->out);
}

/* ---- a restriction given as text (the SQL face's ews_find_items) ---- */

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

/*
 * One search expression in EWS XML, the prefix t: bound to the types
 * namespace, read exactly as m:Restriction is read in FindItem.  libxml2
 * is used as in soap.c (pg_xml_init, PG_TRY, everything freed on both
 * paths, no network, no DTD); the tree read is palloc'd and nothing of the
 * document survives.  A restriction that is not well-formed or breaks the
 * schema raises an error naming why.
 */
EwsRestriction *
soap_restriction_from_text(const char *text)
{
	static const char head[] =
		"<Restriction xmlns=\"http://schemas.microsoft.com/exchange/services/2006/messages\""
		" xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\">";
	static const char tail[] = "</Restriction>";
	StringInfoData doc_text;
	SoapCall	call;
	PgXmlErrorContext *errcxt;
	volatile xmlParserCtxtPtr ctxt = NULL;
	volatile xmlDocPtr doc = NULL;
	EwsRestriction *volatile result = NULL;
	FragmentErrors errs;

	/* a restriction holds no markup declarations: refuse them before parsing */
	if (strstr(text, "<!") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_XML_CONTENT),
				 errmsg("a restriction cannot hold a markup declaration, a comment or CDATA")));
	if (strlen(text) > (size_t) ews_max_request_size)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the restriction is larger than ews.max_request_size (%d bytes)", ews_max_request_size)));
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
			soap_fault(&call, "ErrorSchemaValidation", "the restriction is not well-formed XML: %s",
					   errs.first);
		}
		else
		{
			EwsRestriction *r;

			if (soap_read_restriction(&call, xmlDocGetRootElement(doc), &r))
				result = r;
		}
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
	if (result == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid restriction"),
				 errdetail("%s", call.fault_message ? call.fault_message : "The restriction could not be read.")));
	return result;
}

/*
 * A key of the SQL face's sort_order: a FieldURI or a property tag, then
 * optionally ASC or DESC ('item:DateTimeReceived DESC', '0x0E230003').
 * Raises when it is neither.
 */
void
soap_sort_key_from_text(const char *text, EwsSortKey *key)
{
	char	   *s = pstrdup(text);
	char	   *sp = strpbrk(s, " \t");
	bool		in_schema;

	memset(key, 0, sizeof(*key));
	if (sp != NULL)
	{
		char	   *dir = sp;

		*dir++ = '\0';
		while (*dir == ' ' || *dir == '\t')
			dir++;
		if (pg_strcasecmp(dir, "DESC") == 0 || pg_strcasecmp(dir, "Descending") == 0)
			key->descending = true;
		else if (pg_strcasecmp(dir, "ASC") == 0 || pg_strcasecmp(dir, "Ascending") == 0 || *dir == '\0')
			key->descending = false;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid sort order \"%s\"", text),
					 errhint("Write a FieldURI followed by ASC or DESC, e.g. 'item:DateTimeReceived DESC'.")));
	}
	/* a MAPI property tag, 0x and 8 hex digits (id and type): 0x0E230003 is the article number */
	if (strlen(s) == 10 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
		strspn(s + 2, "0123456789abcdefABCDEF") == 8)
	{
		uint32		tag = (uint32) strtoul(s + 2, NULL, 16);

		if ((tag >> 16) >= EWS_NAMED_ID_MIN)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("property tag %s is in the range of named properties", s)));
		key->path.kind = EWS_PATH_EXTENDED;
		key->path.ext.key = ews_prop_tagged(tag);
		return;
	}
	key->path.kind = EWS_PATH_FIELD;
	key->path.uri = s;
	key->path.field = ews_field_by_uri(s, &in_schema);
	if (!in_schema)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" is not a FieldURI of the EWS schema", s),
				 errhint("Write a FieldURI such as item:DateTimeReceived, or a property tag such as 0x0E230003.")));
}
