/*
 * itemedit.c
 *	  The edit engine of CreateItem and UpdateItem: a list of property
 *	  changes (SetItemField, AppendToItemField, DeleteItemField, and the
 *	  properties of a new item) applied to an item's blob and message.
 *
 * The rules (README, "Items and their message"):
 *
 *	- Properties live in the blob.  A change of a property with no place in
 *	  the message (flags, PidTagFlagStatus, PidLidImapDeleted, categories,
 *	  reminders, any extended property) changes the blob only: the message's
 *	  bytes stay exactly as they were.  IMAP messages do not change when
 *	  their flags do: DavMail's FETCH after a STORE returns what APPEND
 *	  stored.  item:Categories and the PublicStrings "Keywords" property are
 *	  one property (the message's own Keywords field, if it has one, is
 *	  what it was sent with).
 *	- message:IsRead is the read bit of PidTagMessageFlags (0x0E07): setting
 *	  either changes the one bit.  After creation only the read bit of
 *	  0x0E07 can change (MS-OXCMSG: the other flags are set at creation).
 *	- Fields the message carries (Subject, From, Sender, To, Cc, Bcc,
 *	  ReplyTo, DateTimeSent, InternetMessageId, InReplyTo, References,
 *	  Importance, Sensitivity, the body): an item with a message gets its
 *	  message changed (mimeedit.h: the header field rewritten in place, or,
 *	  for the body, the message made anew), unless the message already says
 *	  the same; the blob's copies of those fields are dropped, so the
 *	  message is their one place.  An item without a message (uploaded from
 *	  properties) gets its blob properties changed (PidTagSubject, PidTagBody
 *	  or PidTagHtml, ...), except for recipients and Reply-To, which only a
 *	  message can hold: the item is then given a message made from its
 *	  properties.  A new item made from properties always gets its message
 *	  (the generator), stored as 0x7E01.
 *	- MimeContent replaces the message; the blob's copies of message fields
 *	  go, so everything is read from the new message.
 *	- Read-only properties are refused: ErrorInvalidPropertySet,
 *	  ErrorInvalidPropertyDelete, ErrorInvalidPropertyAppend.  A FieldURI
 *	  of the schema the store does not keep is accepted and changes nothing.
 */
#include "itemwrite.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "base64.h"
#include "blob.h"
#include "extract.h"
#include "mimeedit.h"

/* PidTagMessageFlags bits */
#define MSGFLAG_READ 0x0001

/* tags the engine writes besides those blob.h names */
#define TAG_IMPORTANCE		0x00170003u
#define TAG_SENSITIVITY		0x00360003u
#define TAG_SUBMIT_TIME		0x00390040u
#define TAG_REP_NAME		0x0042001Fu
#define TAG_REP_ADDR		0x0065001Fu
#define TAG_SENDER_NAME		0x0C1A001Fu
#define TAG_SENDER_ADDR		0x0C1F001Fu
#define TAG_DISPLAY_BCC		0x0E02001Fu
#define TAG_DISPLAY_CC		0x0E03001Fu
#define TAG_DISPLAY_TO		0x0E04001Fu
#define TAG_HEADERS			0x007D001Fu
#define TAG_HTML			0x10130102u
#define TAG_IN_REPLY_TO		0x1042001Fu
#define TAG_REFERENCES		0x1039001Fu

static void *
palloc_fn(void *ctx, size_t size)
{
	return palloc(size);
}

/* ---- extended property values ---- */

static bool
encode_one(uint16 base, const char *s, EwsBlobProp *p, const char **error)
{
	int64		v;
	uint8	   *b;

	switch (base)
	{
		case EWS_PT_SHORT:
			if (!ews_parse_int(s, PG_INT16_MIN, PG_UINT16_MAX, &v))
				goto bad;
			b = palloc(2);
			ews_put_le16(b, (uint16) v);
			p->len = 2;
			break;
		case EWS_PT_LONG:
		case EWS_PT_ERROR:
			/* signed or unsigned 32-bit: MAPI's flags are written either way */
			if (!ews_parse_int(s, PG_INT32_MIN, PG_UINT32_MAX, &v))
				goto bad;
			b = palloc(4);
			ews_put_le32(b, (uint32) v);
			p->len = 4;
			break;
		case EWS_PT_I8:
		case EWS_PT_CURRENCY:
			if (!ews_parse_int(s, PG_INT64_MIN, PG_INT64_MAX, &v))
				goto bad;
			b = palloc(8);
			ews_put_le64(b, (uint64) v);
			p->len = 8;
			break;
		case EWS_PT_FLOAT:
		case EWS_PT_DOUBLE:
		case EWS_PT_APPTIME:
			{
				double		d;

				if (!ews_parse_float(s, &d))
					goto bad;
				if (base == EWS_PT_FLOAT)
				{
					float		f = (float) d;

					b = palloc(4);
					memcpy(b, &f, 4);
					p->len = 4;
				}
				else
				{
					b = palloc(8);
					memcpy(b, &d, 8);
					p->len = 8;
				}
				break;
			}
		case EWS_PT_BOOLEAN:
			{
				bool		x;

				if (!ews_parse_bool(s, &x))
					goto bad;
				b = palloc(1);
				b[0] = x ? 1 : 0;
				p->len = 1;
				break;
			}
		case EWS_PT_SYSTIME:
			{
				TimestampTz ts;

				if (!ews_parse_time(s, &ts))
					goto bad;
				b = palloc(8);
				ews_put_le64(b, (uint64) ews_filetime_from_timestamp(ts));
				p->len = 8;
				break;
			}
		case EWS_PT_UNICODE:
			if (!ews_utf8_valid((const uint8 *) s, strlen(s)))
				goto bad;
			b = (uint8 *) pstrdup(s);
			p->len = (uint32) strlen(s);
			break;
		case EWS_PT_BINARY:
		case EWS_PT_CLSID:
			{
				size_t		l = strlen(s);
				long long	n;

				if (base == EWS_PT_CLSID && l == 36)
				{
					b = palloc(EWS_GUID_SIZE);
					if (!ews_guid_parse(s, l, b))
						goto bad;
					p->len = EWS_GUID_SIZE;
					break;
				}
				b = palloc(ews_base64_decoded_max(l) + 1);
				n = ews_base64_decode(s, l, b, true);
				if (n < 0 || (base == EWS_PT_CLSID && n != EWS_GUID_SIZE) || (uint64) n > PG_UINT32_MAX)
					goto bad;
				p->len = (uint32) n;
				break;
			}
		default:
			*error = "The store cannot keep a property of this type.";
			return false;
	}
	p->value = b;
	return true;
bad:
	*error = psprintf("The value '%s' is not valid for its property type.", s);
	return false;
}

bool
ews_ext_value_encode(uint16 type, const char *const *values, int n, bool as_array, EwsEditValue *out,
					 const char **error)
{
	memset(out, 0, sizeof(*out));
	out->form = EWS_EV_BYTES;
	if (!(type & EWS_PT_MV))
	{
		EwsBlobProp p;

		if (n != 1 || as_array)
		{
			*error = "A single-valued extended property has one t:Value, not t:Values.";
			return false;
		}
		if (!encode_one(type, values[0], &p, error))
			return false;
		out->bytes = p.value;
		out->nbytes = p.len;
		return true;
	}
	else
	{
		uint16		base = type & ~EWS_PT_MV;
		EwsBlobProp *vals = palloc(sizeof(EwsBlobProp) * Max(n, 1));
		size_t		size;
		uint8	   *buf;

		for (int i = 0; i < n; i++)
			if (!encode_one(base, values[i], &vals[i], error))
				return false;
		size = ews_blob_mv_size(type, vals, n);
		if (size == 0)
		{
			*error = "The values do not fit the property type.";
			return false;
		}
		buf = palloc(size);
		if (ews_blob_mv_encode(type, vals, n, buf, size) != size)
		{
			*error = "The values do not fit the property type.";
			return false;
		}
		out->bytes = buf;
		out->nbytes = size;
		return true;
	}
}

/* ---- the state of one item being edited ---- */

typedef struct EditState
{
	const EwsEditTarget *t;
	EwsStatus  *st;
	/* blob edits, applied in order by ews_blob_edit at the end */
	EwsBlobEdit *edits;
	int			nedits;
	int			cap;
	/* the message: the stored one, or one that replaced it */
	const uint8 *msg;
	size_t		msglen;
	bool		msg_replaced;
	EwsMimeMessage *parsed;		/* of msg */
	/* the message fields as the edits leave them */
	bool		nf_ready;
	EwsMimeFields nf;
	unsigned	which;			/* EWS_ME_BIT of each field changed */
	/* PidTagMessageFlags */
	bool		flags_known;
	uint32		flags;
	bool		flags_dirty;
	/* categories (PublicStrings Keywords) */
	bool		cats_known;
	List	   *cats;			/* char *, in order */
	bool		cats_dirty;
	bool		content_change; /* something more than the read flag changed */
} EditState;

static void
push_edit(EditState *s, EwsBlobEditOp op, uint32 tag, const uint8 *value, uint32 len, const EwsBlobName *name)
{
	EwsBlobEdit *e;

	if (s->nedits == s->cap)
	{
		s->cap = s->cap ? s->cap * 2 : 16;
		s->edits = s->edits ? repalloc(s->edits, sizeof(EwsBlobEdit) * s->cap)
			: palloc(sizeof(EwsBlobEdit) * s->cap);
	}
	e = &s->edits[s->nedits++];
	e->op = op;
	e->name = name;
	e->prop.tag = tag;
	e->prop.value = value;
	e->prop.len = len;
}

/*
 * A tagged property: one id has one type (MAPI), so setting or deleting it
 * also drops the same id stored with any other type.
 */
static void
push_tagged(EditState *s, EwsBlobEditOp op, uint32 tag, const uint8 *value, uint32 len)
{
	EwsBlobIter it;
	EwsBlobProp p;

	ews_blob_iter_init(&it, s->t->blob, s->t->len);
	while (ews_blob_iter_next(&it, &p))
		if (EWS_PROP_ID(p.tag) == EWS_PROP_ID(tag) && p.tag != tag)
			push_edit(s, EWS_BLOB_DELETE, p.tag, NULL, 0, NULL);
	push_edit(s, op, tag, value, len, NULL);
}

static EwsBlobName *
blob_name(const EwsPropKey *k)
{
	EwsBlobName *n = palloc0(sizeof(EwsBlobName));

	n->guid = k->guid.b;
	if (k->by_name)
	{
		n->kind = EWS_NAME_KIND_STRING;
		n->name = (const uint8 *) k->name;
		n->name_len = (uint32) strlen(k->name);
	}
	else
	{
		n->kind = EWS_NAME_KIND_ID;
		n->lid = k->lid;
	}
	return n;
}

/* set or delete the property a key names (tagged or named) */
static void
push_key(EditState *s, EwsBlobEditOp op, const EwsPropKey *k, const uint8 *value, uint32 len)
{
	if (k->named)
		push_edit(s, op, EWS_PROP_TAG(EWS_PROP_ID_NAMED_MIN, k->type), value, len, blob_name(k));
	else
		push_tagged(s, op, EWS_PROP_TAG(k->id, k->type), value, len);
}

static void
push_text(EditState *s, uint32 tag, const char *text)
{
	if (text == NULL || text[0] == '\0')
		push_tagged(s, EWS_BLOB_DELETE, tag, NULL, 0);
	else
		push_tagged(s, EWS_BLOB_SET, tag, (const uint8 *) text, (uint32) strlen(text));
}

static void
push_int(EditState *s, uint32 tag, int32 v)
{
	uint8	   *b = palloc(4);

	ews_put_le32(b, (uint32) v);
	push_tagged(s, EWS_BLOB_SET, tag, b, 4);
}

static bool
refuse(EditState *s, EwsCode code, const char *fmt, const char *what)
{
	ews_status_set(s->st, code, psprintf(fmt, what));
	return false;
}

/* the name of what an edit names, for messages */
static const char *
edit_name(const EwsItemEdit *e)
{
	if (e->field && e->field->uri)
		return e->field->uri;
	if (e->key.named)
		return e->key.by_name ? psprintf("the named property %s", e->key.name)
			: psprintf("the named property 0x%04X", e->key.lid);
	return psprintf("the property 0x%04X", e->key.id);
}

/* ---- flags ---- */

static void
load_flags(EditState *s)
{
	EwsBlobProp p;

	if (s->flags_known)
		return;
	s->flags_known = true;
	s->flags = ews_blob_find(s->t->blob, s->t->len, EWS_TAG_MESSAGE_FLAGS, &p) ? ews_le32(p.value) : 0;
}

static void
set_read(EditState *s, bool read)
{
	load_flags(s);
	s->flags = read ? (s->flags | MSGFLAG_READ) : (s->flags & ~MSGFLAG_READ);
	s->flags_dirty = true;
}

/* ---- categories ---- */

static List *
strings_of_mv(const uint8 *value, size_t len)
{
	EwsBlobProp mv = {EWS_PT_MV_UNICODE, (uint32) len, value};
	EwsBlobMvIter it;
	EwsBlobProp v;
	List	   *out = NIL;

	ews_blob_mv_init(&it, &mv);
	while (ews_blob_mv_next(&it, &v))
		out = lappend(out, pnstrdup((const char *) v.value, v.len));
	return out;
}

static const EwsPropKey keywords_key = {
	.named = true, .type = EWS_PT_MV_UNICODE, .by_name = true, .name = "Keywords",
};

static void
load_cats(EditState *s)
{
	EwsBlobProp p;
	EwsPropKey	k = keywords_key;

	if (s->cats_known)
		return;
	s->cats_known = true;
	k.guid = ews_ps_public_strings;
	s->cats = ews_prop_find(s->t->blob, s->t->len, &k, &p) ? strings_of_mv(p.value, p.len) : NIL;
}

static void
add_cats(EditState *s, char **strings, int n, bool append)
{
	load_cats(s);
	if (!append)
		s->cats = NIL;
	for (int i = 0; i < n; i++)
	{
		ListCell   *lc;
		bool		dup = false;

		foreach(lc, s->cats)
			dup = dup || strcmp((char *) lfirst(lc), strings[i]) == 0;
		if (!dup && strings[i][0] != '\0')
			s->cats = lappend(s->cats, strings[i]);
	}
	s->cats_dirty = true;
}

/* ---- the message fields ---- */

static void *
palloc_ctx(void *ctx, size_t size)
{
	return palloc(size);
}

/* a blob property as a NUL-terminated string, or NULL */
static char *
blob_text(const EditState *s, uint32 tag)
{
	EwsBlobProp p;

	if (!ews_blob_find(s->t->blob, s->t->len, tag, &p))
		return NULL;
	return pnstrdup((const char *) p.value, p.len);
}

static void
one_address(EwsMimeAddressList *l, char *name, char *address)
{
	if (name == NULL && address == NULL)
		return;
	l->v = palloc0(sizeof(EwsMimeAddress));
	l->v[0].name = name;
	l->v[0].address = address ? address : "";
	l->n = 1;
}

/* the message as it is: parsed once */
static const EwsMimeMessage *
parsed_message(EditState *s)
{
	if (s->parsed == NULL && s->msg != NULL)
	{
		EwsMimeMessage *m = palloc0(sizeof(EwsMimeMessage));

		if (ews_mime_parse_message(s->msg, s->msglen, m, palloc_ctx, NULL) == EWS_MIME_OK)
			s->parsed = m;
	}
	return s->parsed;
}

/*
 * The message fields before the edits: the message's, or, for an item
 * without one, its blob properties (as GetItem makes its MIME).
 */
static void
load_fields(EditState *s)
{
	const EwsMimeMessage *m;
	EwsBlobProp p;

	if (s->nf_ready)
		return;
	s->nf_ready = true;
	ews_mime_fields_init(&s->nf);
	if ((m = parsed_message(s)) != NULL)
	{
		s->nf = m->fields;
		return;
	}
	if (s->msg != NULL)
		return;					/* a message that does not parse: every field starts empty */
	s->nf.subject = blob_text(s, EWS_TAG_SUBJECT);
	if (ews_blob_find(s->t->blob, s->t->len, TAG_IMPORTANCE, &p))
		s->nf.importance = (EwsMimeImportance) Min(Max((int32) ews_le32(p.value), 0), 2);
	if (ews_blob_find(s->t->blob, s->t->len, TAG_SENSITIVITY, &p))
		s->nf.sensitivity = (EwsMimeSensitivity) Min(Max((int32) ews_le32(p.value), 0), 3);
	if (ews_blob_find(s->t->blob, s->t->len, TAG_SUBMIT_TIME, &p))
	{
		s->nf.has_date = true;
		s->nf.date = (int64) ews_le64(p.value);
	}
	s->nf.message_id = blob_text(s, EWS_TAG_INTERNET_MESSAGE_ID);
	s->nf.in_reply_to = blob_text(s, TAG_IN_REPLY_TO);
	s->nf.references = blob_text(s, TAG_REFERENCES);
	one_address(&s->nf.from, blob_text(s, TAG_REP_NAME), blob_text(s, TAG_REP_ADDR));
	one_address(&s->nf.sender, blob_text(s, TAG_SENDER_NAME), blob_text(s, TAG_SENDER_ADDR));
	if (ews_blob_find(s->t->blob, s->t->len, EWS_TAG_BODY, &p))
	{
		s->nf.text_body = pnstrdup((const char *) p.value, p.len);
		s->nf.text_body_len = p.len;
	}
	if (ews_blob_find(s->t->blob, s->t->len, TAG_HTML, &p) && ews_utf8_valid(p.value, p.len))
	{
		s->nf.html_body = pnstrdup((const char *) p.value, p.len);
		s->nf.html_body_len = p.len;
	}
}

static EwsMimeAddressList *
list_of(EwsMimeFields *f, EwsField field)
{
	switch (field)
	{
		case EWS_F_FROM:
			return &f->from;
		case EWS_F_SENDER:
			return &f->sender;
		case EWS_F_TO_RECIPIENTS:
			return &f->to;
		case EWS_F_CC_RECIPIENTS:
			return &f->cc;
		case EWS_F_BCC_RECIPIENTS:
			return &f->bcc;
		case EWS_F_REPLY_TO:
			return &f->reply_to;
		default:
			return NULL;
	}
}

static EwsMimeEditField
mime_field_of(EwsField field)
{
	switch (field)
	{
		case EWS_F_DATE_TIME_SENT:
			return EWS_ME_DATE;
		case EWS_F_FROM:
			return EWS_ME_FROM;
		case EWS_F_SENDER:
			return EWS_ME_SENDER;
		case EWS_F_REPLY_TO:
			return EWS_ME_REPLY_TO;
		case EWS_F_TO_RECIPIENTS:
			return EWS_ME_TO;
		case EWS_F_CC_RECIPIENTS:
			return EWS_ME_CC;
		case EWS_F_BCC_RECIPIENTS:
			return EWS_ME_BCC;
		case EWS_F_SUBJECT:
			return EWS_ME_SUBJECT;
		case EWS_F_INTERNET_MESSAGE_ID:
			return EWS_ME_MESSAGE_ID;
		case EWS_F_IN_REPLY_TO:
			return EWS_ME_IN_REPLY_TO;
		case EWS_F_REFERENCES:
			return EWS_ME_REFERENCES;
		case EWS_F_IMPORTANCE:
			return EWS_ME_IMPORTANCE;
		case EWS_F_SENSITIVITY:
			return EWS_ME_SENSITIVITY;
		case EWS_F_BODY:
			return EWS_ME_BODY;
		default:
			return EWS_ME_COUNT;
	}
}

/* an extended property's stored value as the value of the field whose property it is */
static void
ext_as_field(const EwsItemEdit *e, EwsEditValue *v)
{
	const uint8 *b = e->v.bytes;
	size_t		n = e->v.nbytes;

	*v = e->v;
	if (e->op == EWS_EDIT_DELETE)
		return;
	switch (EWS_PROP_TYPE(e->key.type))
	{
		case EWS_PT_UNICODE:
			v->form = e->field->field == EWS_F_BODY ? EWS_EV_BODY : EWS_EV_TEXT;
			v->text = pnstrdup((const char *) b, n);
			v->len = n;
			v->html = false;
			break;
		case EWS_PT_LONG:
		case EWS_PT_SHORT:
			v->form = EWS_EV_INT;
			v->i = n == 2 ? (int16) ews_le16(b) : (int32) ews_le32(b);
			break;
		case EWS_PT_BOOLEAN:
			v->form = EWS_EV_BOOL;
			v->b = b[0] != 0;
			break;
		case EWS_PT_SYSTIME:
			v->form = EWS_EV_TIME;
			if (!ews_filetime_to_timestamp((int64) ews_le64(b), &v->t))
				v->t = 0;
			break;
		case EWS_PT_MV_UNICODE:
			{
				List	   *l = strings_of_mv(b, n);
				ListCell   *lc;
				int			i = 0;

				v->form = EWS_EV_STRINGS;
				v->strings = palloc(sizeof(char *) * Max(list_length(l), 1));
				foreach(lc, l)
					v->strings[i++] = lfirst(lc);
				v->nstrings = i;
				break;
			}
		default:
			break;				/* bytes as they are (MimeContent) */
	}
}

/* the message field changes of an edit, into nf */
static bool
edit_message_field(EditState *s, const EwsItemEdit *e, const EwsEditValue *v)
{
	EwsField	f = e->field->field;
	EwsMimeEditField me = mime_field_of(f);
	EwsMimeAddressList *l;
	bool		del = e->op == EWS_EDIT_DELETE;

	if (e->op == EWS_EDIT_APPEND && f != EWS_F_BODY && f != EWS_F_TO_RECIPIENTS &&
		f != EWS_F_CC_RECIPIENTS && f != EWS_F_BCC_RECIPIENTS && f != EWS_F_REPLY_TO)
		return refuse(s, EWS_ErrorInvalidPropertyAppend, "%s cannot be appended to.", edit_name(e));
	load_fields(s);
	switch (f)
	{
		case EWS_F_SUBJECT:
			s->nf.subject = del ? NULL : (char *) v->text;
			break;
		case EWS_F_INTERNET_MESSAGE_ID:
			s->nf.message_id = del ? NULL : (char *) v->text;
			break;
		case EWS_F_IN_REPLY_TO:
			s->nf.in_reply_to = del ? NULL : (char *) v->text;
			break;
		case EWS_F_REFERENCES:
			s->nf.references = del ? NULL : (char *) v->text;
			break;
		case EWS_F_DATE_TIME_SENT:
			s->nf.has_date = !del;
			s->nf.date = del ? 0 : ews_filetime_from_timestamp(v->t);
			break;
		case EWS_F_IMPORTANCE:
			s->nf.importance = del ? EWS_MIME_IMPORTANCE_NORMAL : (EwsMimeImportance) Min(Max(v->i, 0), 2);
			break;
		case EWS_F_SENSITIVITY:
			s->nf.sensitivity = del ? EWS_MIME_SENSITIVITY_NORMAL : (EwsMimeSensitivity) Min(Max(v->i, 0), 3);
			break;
		case EWS_F_BODY:
			if (del)
			{
				s->nf.text_body = s->nf.html_body = NULL;
				s->nf.text_body_len = s->nf.html_body_len = 0;
			}
			else if (e->op == EWS_EDIT_APPEND)
			{
				/* appended to the body as it shows in the kind appended */
				StringInfoData b;
				size_t		l;

				initStringInfo(&b);
				if (v->html)
				{
					if (s->nf.html_body)
						appendBinaryStringInfo(&b, s->nf.html_body, s->nf.html_body_len);
					else if (s->nf.text_body)
						appendStringInfoString(&b, ews_mime_text_to_html(s->nf.text_body, s->nf.text_body_len,
																		 &l, palloc_ctx, NULL));
					appendBinaryStringInfo(&b, v->text, v->len);
					s->nf.html_body = b.data;
					s->nf.html_body_len = b.len;
					s->nf.text_body = NULL;
					s->nf.text_body_len = 0;
				}
				else
				{
					if (s->nf.text_body)
						appendBinaryStringInfo(&b, s->nf.text_body, s->nf.text_body_len);
					else if (s->nf.html_body)
						appendStringInfoString(&b, ews_mime_html_to_text(s->nf.html_body, s->nf.html_body_len,
																		 &l, palloc_ctx, NULL));
					appendBinaryStringInfo(&b, v->text, v->len);
					s->nf.text_body = b.data;
					s->nf.text_body_len = b.len;
					s->nf.html_body = NULL;
					s->nf.html_body_len = 0;
				}
			}
			else if (v->html)
			{
				s->nf.html_body = (char *) v->text;
				s->nf.html_body_len = v->len;
				s->nf.text_body = NULL;
				s->nf.text_body_len = 0;
			}
			else
			{
				s->nf.text_body = (char *) v->text;
				s->nf.text_body_len = v->len;
				s->nf.html_body = NULL;
				s->nf.html_body_len = 0;
			}
			break;
		default:
			l = list_of(&s->nf, f);
			if (l == NULL)
				return refuse(s, EWS_ErrorInvalidPropertySet, "%s cannot be set.", edit_name(e));
			if (del)
				l->n = 0;
			else
			{
				size_t		keep = e->op == EWS_EDIT_APPEND ? l->n : 0;
				int			add = (f == EWS_F_FROM || f == EWS_F_SENDER) ? Min(v->naddrs, 1) : v->naddrs;
				EwsMimeAddress *a = palloc(sizeof(EwsMimeAddress) * (keep + add + 1));

				if (keep > 0)
					memcpy(a, l->v, sizeof(EwsMimeAddress) * keep);
				if (add > 0)
					memcpy(a + keep, v->addrs, sizeof(EwsMimeAddress) * add);
				l->v = a;
				l->n = keep + add;
			}
			break;
	}
	s->which |= EWS_ME_BIT(me);
	return true;
}

/* tags that only the store writes: never set or deleted by a client */
static bool
store_owned_tag(uint32 tag)
{
	switch (EWS_PROP_ID(tag))
	{
		case 0x0E08:			/* PidTagMessageSize */
		case 0x0E23:			/* PidTagInternetArticleNumber: the item's column */
		case 0x3008:			/* PidTagLastModificationTime */
		case 0x65E2:			/* PidTagChangeKey */
			return true;
		default:
			return false;
	}
}

/* one edit */
static bool
apply_one(EditState *s, const EwsItemEdit *e)
{
	const EwsFieldDef *f = e->field;
	EwsEditValue v = e->v;

	if (e->ignored)
		return true;
	if (e->error != EWS_NoError)
	{
		ews_status_set(s->st, e->error, e->error_text);
		return false;
	}
	if (f == NULL)
	{
		uint32		tag = EWS_PROP_TAG(e->key.id, e->key.type);

		if (!e->key.named && (store_owned_tag(tag)))
			return refuse(s, e->op == EWS_EDIT_DELETE ? EWS_ErrorInvalidPropertyDelete : EWS_ErrorInvalidPropertySet,
						  "%s is maintained by the store and cannot be changed.", edit_name(e));
		if (e->op == EWS_EDIT_APPEND)
			return refuse(s, EWS_ErrorInvalidPropertyAppend, "%s cannot be appended to.", edit_name(e));
		/* PidTagMessageFlags: its read bit is message:IsRead */
		if (!e->key.named && EWS_PROP_ID(tag) == 0x0E07)
		{
			uint32		want;

			if (e->op == EWS_EDIT_DELETE || e->key.type != EWS_PT_LONG)
				return refuse(s, e->op == EWS_EDIT_DELETE ? EWS_ErrorInvalidPropertyDelete : EWS_ErrorInvalidPropertySet,
							  "%s (PidTagMessageFlags) can only be set, as an Integer.", edit_name(e));
			want = ews_le32(v.bytes);
			load_flags(s);
			if (s->t->creating)
			{
				/* a new item's flags are what the client says (DavMail's \Seen, \Draft) */
				if (want != s->flags)
					s->content_change = true;
				s->flags = want;
			}
			else
			{
				/* afterwards only the read bit changes (MS-OXCMSG 2.2.1.6) */
				if ((want & ~MSGFLAG_READ) != (s->flags & ~MSGFLAG_READ))
					ereport(DEBUG1, (errmsg("ews: only the read bit of PidTagMessageFlags changes after creation")));
				s->flags = (s->flags & ~MSGFLAG_READ) | (want & MSGFLAG_READ);
			}
			s->flags_dirty = true;
			return true;
		}
		s->content_change = true;
		push_key(s, e->op == EWS_EDIT_DELETE ? EWS_BLOB_DELETE : EWS_BLOB_SET, &e->key,
				 v.bytes, (uint32) v.nbytes);
		return true;
	}

	/* a field: an ExtendedFieldURI of its property reads as the field's value */
	if (e->ext)
		ext_as_field(e, &v);
	switch (f->write)
	{
		case EWS_WRITE_READ_ONLY:
			if (e->op == EWS_EDIT_DELETE)
				return refuse(s, EWS_ErrorInvalidPropertyDelete, "%s is read-only and cannot be deleted.", edit_name(e));
			if (e->op == EWS_EDIT_APPEND)
				return refuse(s, EWS_ErrorInvalidPropertyAppend, "%s is read-only.", edit_name(e));
			return refuse(s, EWS_ErrorInvalidPropertySet, "%s is read-only.", edit_name(e));

		case EWS_WRITE_FLAG_BIT:
			if (e->op != EWS_EDIT_SET)
				return refuse(s, e->op == EWS_EDIT_DELETE ? EWS_ErrorInvalidPropertyDelete : EWS_ErrorInvalidPropertyAppend,
							  "%s can only be set.", edit_name(e));
			set_read(s, v.b);
			return true;

		case EWS_WRITE_PROP:
			s->content_change = true;
			if (e->op == EWS_EDIT_APPEND && f->field != EWS_F_CATEGORIES)
				return refuse(s, EWS_ErrorInvalidPropertyAppend, "%s cannot be appended to.", edit_name(e));
			if (f->field == EWS_F_CATEGORIES)
			{
				if (e->op == EWS_EDIT_DELETE)
					add_cats(s, NULL, 0, false);
				else
					add_cats(s, v.strings, v.nstrings, e->op == EWS_EDIT_APPEND);
				return true;
			}
			if (e->op == EWS_EDIT_DELETE)
			{
				if (f->field == EWS_F_ITEM_CLASS)
					return refuse(s, EWS_ErrorInvalidPropertyDelete, "%s is required and cannot be deleted.", edit_name(e));
				push_key(s, EWS_BLOB_DELETE, &f->key, NULL, 0);
				return true;
			}
			if (e->ext)
			{
				push_key(s, EWS_BLOB_SET, &f->key, e->v.bytes, (uint32) e->v.nbytes);
				return true;
			}
			switch (v.form)
			{
				case EWS_EV_TEXT:
					if (f->field == EWS_F_ITEM_CLASS && v.len == 0)
						return refuse(s, EWS_ErrorInvalidPropertySet, "%s cannot be empty.", edit_name(e));
					push_key(s, EWS_BLOB_SET, &f->key, (const uint8 *) v.text, (uint32) v.len);
					break;
				case EWS_EV_BOOL:
					{
						uint8	   *b = palloc(1);

						b[0] = v.b ? 1 : 0;
						push_key(s, EWS_BLOB_SET, &f->key, b, 1);
						break;
					}
				case EWS_EV_INT:
					{
						uint8	   *b = palloc(4);

						ews_put_le32(b, (uint32) v.i);
						push_key(s, EWS_BLOB_SET, &f->key, b, 4);
						break;
					}
				case EWS_EV_TIME:
					{
						uint8	   *b = palloc(8);

						ews_put_le64(b, (uint64) ews_filetime_from_timestamp(v.t));
						push_key(s, EWS_BLOB_SET, &f->key, b, 8);
						break;
					}
				default:
					return refuse(s, EWS_ErrorInvalidPropertySet, "%s has no value the store can keep.", edit_name(e));
			}
			return true;

		case EWS_WRITE_MIME:
			s->content_change = true;
			if (f->field == EWS_F_MIME_CONTENT)
			{
				EwsMimeInfo info;

				if (e->op != EWS_EDIT_SET)
					return refuse(s, e->op == EWS_EDIT_DELETE ? EWS_ErrorInvalidPropertyDelete : EWS_ErrorInvalidPropertyAppend,
								  "%s can only be replaced.", edit_name(e));
				if (ews_mime_parse(v.bytes, v.nbytes, &info, palloc_ctx, NULL) != EWS_MIME_OK)
					return refuse(s, EWS_ErrorInvalidPropertySet, "%s is not a message.", edit_name(e));
				/* a new message: earlier field changes of this request are superseded */
				s->msg = v.bytes;
				s->msglen = v.nbytes;
				s->msg_replaced = true;
				s->parsed = NULL;
				s->nf_ready = false;
				s->which = 0;
				return true;
			}
			return edit_message_field(s, e, &v);
	}
	return refuse(s, EWS_ErrorInvalidPropertySet, "%s cannot be set.", edit_name(e));
}

/* the blob's copies of every message field (dropped when the message is their one place) */
static const uint32 mirror_tags[] = {
	EWS_TAG_SUBJECT, TAG_IMPORTANCE, TAG_SENSITIVITY, TAG_SUBMIT_TIME, TAG_REP_NAME, TAG_REP_ADDR,
	TAG_HEADERS, TAG_SENDER_NAME, TAG_SENDER_ADDR, TAG_DISPLAY_BCC, TAG_DISPLAY_CC, TAG_DISPLAY_TO,
	EWS_TAG_BODY, TAG_HTML, EWS_TAG_INTERNET_MESSAGE_ID, TAG_REFERENCES, TAG_IN_REPLY_TO,
};

/*
 * The blob's copies of the changed message fields, set to their new values,
 * so that the blob says what the message says (an ExportItems consumer reads
 * PidTagSubject without parsing MIME).  The body is the exception when the
 * item has a message: a copy would double the item, so PidTagBody and
 * PidTagHtml go and the body is read from the message.
 */
static void
set_mirrors(EditState *s, bool has_message)
{
	const EwsMimeFields *f = &s->nf;

	for (int me = 0; me < EWS_ME_COUNT; me++)
	{
		if (!(s->which & EWS_ME_BIT(me)))
			continue;
		switch ((EwsMimeEditField) me)
		{
			case EWS_ME_DATE:
				if (f->has_date)
				{
					uint8	   *b = palloc(8);

					ews_put_le64(b, (uint64) f->date);
					push_tagged(s, EWS_BLOB_SET, TAG_SUBMIT_TIME, b, 8);
				}
				else
					push_tagged(s, EWS_BLOB_DELETE, TAG_SUBMIT_TIME, NULL, 0);
				break;
			case EWS_ME_FROM:
				push_text(s, TAG_REP_NAME, f->from.n ? f->from.v[0].name : NULL);
				push_text(s, TAG_REP_ADDR, f->from.n ? f->from.v[0].address : NULL);
				break;
			case EWS_ME_SENDER:
				push_text(s, TAG_SENDER_NAME, f->sender.n ? f->sender.v[0].name : NULL);
				push_text(s, TAG_SENDER_ADDR, f->sender.n ? f->sender.v[0].address : NULL);
				break;
			case EWS_ME_SUBJECT:
				if (f->subject == NULL)
					push_tagged(s, EWS_BLOB_DELETE, EWS_TAG_SUBJECT, NULL, 0);
				else
					push_tagged(s, EWS_BLOB_SET, EWS_TAG_SUBJECT, (const uint8 *) f->subject,
								(uint32) strlen(f->subject));
				break;
			case EWS_ME_MESSAGE_ID:
				push_text(s, EWS_TAG_INTERNET_MESSAGE_ID, f->message_id);
				break;
			case EWS_ME_IN_REPLY_TO:
				push_text(s, TAG_IN_REPLY_TO, f->in_reply_to);
				break;
			case EWS_ME_REFERENCES:
				push_text(s, TAG_REFERENCES, f->references);
				break;
			case EWS_ME_IMPORTANCE:
				push_int(s, TAG_IMPORTANCE, (int32) f->importance);
				break;
			case EWS_ME_SENSITIVITY:
				push_int(s, TAG_SENSITIVITY, (int32) f->sensitivity);
				break;
			case EWS_ME_TO:
			case EWS_ME_CC:
			case EWS_ME_BCC:
				{
					const EwsMimeAddressList *l = me == EWS_ME_TO ? &f->to : me == EWS_ME_CC ? &f->cc : &f->bcc;
					uint32		tag = me == EWS_ME_TO ? TAG_DISPLAY_TO : me == EWS_ME_CC ? TAG_DISPLAY_CC : TAG_DISPLAY_BCC;

					push_text(s, tag, l->n ? ews_mime_display_list(l, palloc_ctx, NULL) : NULL);
					break;
				}
			case EWS_ME_BODY:
				if (has_message)
				{
					push_tagged(s, EWS_BLOB_DELETE, EWS_TAG_BODY, NULL, 0);
					push_tagged(s, EWS_BLOB_DELETE, TAG_HTML, NULL, 0);
					break;
				}
				if (f->text_body != NULL)
					push_tagged(s, EWS_BLOB_SET, EWS_TAG_BODY, (const uint8 *) f->text_body,
								(uint32) f->text_body_len);
				else
					push_tagged(s, EWS_BLOB_DELETE, EWS_TAG_BODY, NULL, 0);
				if (f->html_body != NULL)
					push_tagged(s, EWS_BLOB_SET, TAG_HTML, (const uint8 *) f->html_body,
								(uint32) f->html_body_len);
				else
					push_tagged(s, EWS_BLOB_DELETE, TAG_HTML, NULL, 0);
				break;
			default:
				break;			/* Reply-To: only the message holds it */
		}
	}
}

static bool
gen_refused(EditState *s, EwsMimeGenStatus gs)
{
	ews_status_set(s->st, EWS_ErrorInvalidPropertySet,
				   psprintf("The value cannot be written into the item's message: %s.",
							ews_mime_gen_status_text(gs)));
	return false;
}

/* the message after the edits (SET 0x7E01), and the blob's copies of its fields */
static bool
finish_message(EditState *s, bool *rewritten)
{
	const unsigned recipients = EWS_ME_BIT(EWS_ME_TO) | EWS_ME_BIT(EWS_ME_CC) | EWS_ME_BIT(EWS_ME_BCC) |
		EWS_ME_BIT(EWS_ME_REPLY_TO) | EWS_ME_BIT(EWS_ME_SENDER);
	uint8	   *out = NULL;
	size_t		out_len = 0;
	bool		has_msg = s->msg != NULL;

	*rewritten = false;
	if (s->msg_replaced)
	{
		const EwsMimeMessage *m;

		/*
		 * A new message: the copies of its fields are dropped, and the two
		 * a message-made item has (as ews_create_item makes it) set from it.
		 */
		for (int i = 0; i < lengthof(mirror_tags); i++)
			push_tagged(s, EWS_BLOB_DELETE, mirror_tags[i], NULL, 0);
		if ((m = parsed_message(s)) != NULL)
		{
			if (m->fields.subject != NULL)
				push_text(s, EWS_TAG_SUBJECT, m->fields.subject);
			if (m->fields.message_id != NULL)
				push_text(s, EWS_TAG_INTERNET_MESSAGE_ID, m->fields.message_id);
		}
	}
	if (has_msg && s->which != 0)
	{
		const EwsMimeMessage *m = parsed_message(s);
		unsigned	diff;

		if (m == NULL)
			return refuse(s, EWS_ErrorInvalidPropertySet, "%s.",
						  "The item's message cannot be read, so its fields cannot be changed");
		/* a field the message already says the same is left as it is */
		diff = ews_mime_fields_differ(&m->fields, &s->nf, s->which);
		if (diff != 0)
		{
			EwsMimeGenStatus gs;
			EwsMimeEditStatus es = ews_mime_edit(s->msg, s->msglen, &s->nf, diff, s->t->seed,
												 &out, &out_len, &gs, palloc_ctx, NULL);

			if (es == EWS_MIMEEDIT_GENERATE)
				return gen_refused(s, gs);
			if (es != EWS_MIMEEDIT_OK)
			{
				ews_status_set(s->st, EWS_ErrorInvalidPropertySet,
							   psprintf("The item's message cannot be changed: %s.", ews_mime_edit_status_text(es)));
				return false;
			}
		}
	}
	else if (!has_msg && (s->t->make_message || (s->which & recipients)))
	{
		/* a new item made from properties, or recipients for an item without a message */
		EwsMimeGenStatus gs;

		load_fields(s);
		gs = ews_mime_generate(&s->nf, s->t->seed, &out, &out_len, palloc_ctx, NULL);
		if (gs != EWS_MIMEGEN_OK)
			return gen_refused(s, gs);
		has_msg = true;
	}
	if (s->which != 0)
		set_mirrors(s, has_msg);

	if (out != NULL)
	{
		push_tagged(s, EWS_BLOB_SET, EWS_TAG_RFC822, out, (uint32) out_len);
		*rewritten = true;
	}
	else if (s->msg_replaced)
	{
		push_tagged(s, EWS_BLOB_SET, EWS_TAG_RFC822, s->msg, (uint32) s->msglen);
		*rewritten = true;
	}
	return true;
}

bool
ews_item_edit_apply(const EwsEditTarget *t, const EwsItemEdit *edits, int n, EwsEditResult *res, EwsStatus *st)
{
	EditState	s;
	EwsBlobProp p;
	EwsBlobStatus bs;
	uint8	   *out;
	size_t		out_len;

	memset(&s, 0, sizeof(s));
	memset(res, 0, sizeof(*res));
	s.t = t;
	s.st = st;
	if (ews_blob_find(t->blob, t->len, EWS_TAG_RFC822, &p))
	{
		s.msg = p.value;
		s.msglen = p.len;
	}
	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (!apply_one(&s, &edits[i]))
			return false;
	}
	if (!finish_message(&s, &res->message_rewritten))
		return false;
	if (s.flags_dirty)
	{
		uint8	   *b = palloc(4);

		ews_put_le32(b, s.flags);
		push_tagged(&s, EWS_BLOB_SET, EWS_TAG_MESSAGE_FLAGS, b, 4);
	}
	if (s.cats_dirty)
	{
		EwsPropKey	k = keywords_key;

		k.guid = ews_ps_public_strings;
		if (s.cats == NIL)
			push_key(&s, EWS_BLOB_DELETE, &k, NULL, 0);
		else
		{
			EwsBlobProp *vals = palloc(sizeof(EwsBlobProp) * list_length(s.cats));
			ListCell   *lc;
			int			i = 0;
			size_t		size;
			uint8	   *buf;

			foreach(lc, s.cats)
			{
				vals[i].value = lfirst(lc);
				vals[i].len = (uint32) strlen(lfirst(lc));
				i++;
			}
			size = ews_blob_mv_size(EWS_PT_MV_UNICODE, vals, i);
			buf = size ? palloc(size) : NULL;
			if (size == 0 || ews_blob_mv_encode(EWS_PT_MV_UNICODE, vals, i, buf, size) != size)
				return refuse(&s, EWS_ErrorInvalidPropertySet, "%s.", "The categories do not fit in the item");
			push_key(&s, EWS_BLOB_SET, &k, buf, (uint32) size);
		}
	}

	if (s.nedits == 0)
	{
		res->blob = palloc(t->len);
		memcpy(res->blob, t->blob, t->len);
		res->len = t->len;
	}
	else
	{
		bs = ews_blob_edit(t->blob, t->len, s.edits, s.nedits, palloc_fn, NULL, &out, &out_len, NULL);
		if (bs != EWS_BLOB_OK)
		{
			ews_status_set(st, bs == EWS_BLOB_BAD_UTF8 || bs == EWS_BLOB_BAD_BOOLEAN || bs == EWS_BLOB_BAD_TYPE ?
						   EWS_ErrorInvalidExtendedPropertyValue : EWS_ErrorInvalidPropertySet,
						   psprintf("The item cannot hold the new values: %s.", ews_blob_status_text(bs)));
			return false;
		}
		res->blob = out;
		res->len = out_len;
	}
	res->read_flag_only = !s.content_change && !t->creating;
	return true;
}
