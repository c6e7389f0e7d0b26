/*
 * props.h
 *	  The property model: the one table that maps each FieldURI the store
 *	  answers (item:Subject, message:IsRead, ...) to its MAPI property, its
 *	  EWS type, its extracted column of ews.item (when it has one), whether
 *	  it is read-only and how it is written; ExtendedFieldURI paths (tagged
 *	  and named) echoed exactly as the client wrote them; value formatting
 *	  and parsing (DESIGN.md "Items: what real clients need", design note
 *	  section 6).
 *
 * FindItem restrictions and sort orders, GetItem shapes, and the item
 * writes (CreateItem, UpdateItem) all read this table; nothing else knows
 * property names.  The rules it encodes:
 *
 *	- A FieldURI outside Microsoft's UnindexedFieldURIType breaks the
 *	  schema (a fault); one inside it that the store does not keep is left
 *	  out of answers, never refused (exchangelib asks for ~100 of them).
 *	- A property with an extracted column is answered from the column, in
 *	  FindItem and GetItem alike, so both always agree; the column is
 *	  derived from the blob (and its MIME) on every write (extract.c).
 *	- Everything else an item has is in its blob, read by tag or by name.
 *	- Values out: date-times YYYY-MM-DDTHH:MM:SSZ, booleans true/false.
 *	  Values in: both forms of each (fractions and offsets, 1/0).
 */
#ifndef EWS_PROPS_H
#define EWS_PROPS_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "lib/stringinfo.h"

#include "blob.h"
#include "extract.h"

/* MAPI types the blob codec reads in 0.2 (design note section 6) */
#ifndef EWS_PT_FLOAT
#define EWS_PT_FLOAT	0x0004
#endif
#ifndef EWS_PT_DOUBLE
#define EWS_PT_DOUBLE	0x0005
#endif
#ifndef EWS_PT_CURRENCY
#define EWS_PT_CURRENCY 0x0006
#endif
#ifndef EWS_PT_APPTIME
#define EWS_PT_APPTIME	0x0007
#endif
#ifndef EWS_PT_ERROR
#define EWS_PT_ERROR	0x000A
#endif
#ifndef EWS_PT_CLSID
#define EWS_PT_CLSID	0x0048
#endif
#ifndef EWS_PT_MV
#define EWS_PT_MV		0x1000
#endif
#define EWS_PT_MV_UNICODE (EWS_PT_MV | EWS_PT_UNICODE)

/* the first property id of named properties */
#define EWS_NAMED_ID_MIN 0x8000

/* ---- value kinds: how a value is compared and written ---- */

typedef enum EwsValKind
{
	EWS_VK_NONE = 0,
	EWS_VK_TEXT,				/* text */
	EWS_VK_INT,					/* integer (int4 or int8 column) */
	EWS_VK_BOOL,				/* boolean */
	EWS_VK_TIME,				/* timestamptz */
	EWS_VK_TEXTS,				/* text[] (categories) */
	EWS_VK_FLOAT,				/* float8 (blob only) */
	EWS_VK_BINARY				/* bytea (blob only) */
} EwsValKind;

/* ---- the extracted columns of ews.item (design note section 8) ---- */

typedef enum EwsColumn
{
	EWS_C_NONE = 0,
	EWS_C_ITEM_CLASS,
	EWS_C_SUBJECT,
	EWS_C_SIZE,
	EWS_C_RECEIVED_AT,
	EWS_C_IS_ASSOCIATED,
	EWS_C_IS_READ,
	EWS_C_ARTICLE_NUMBER,
	EWS_C_LAST_MODIFIED,
	EWS_C_SENT_AT,
	EWS_C_CREATED_AT,
	EWS_C_MESSAGE_FLAGS,
	EWS_C_FLAG_STATUS,
	EWS_C_IMPORTANCE,
	EWS_C_SENSITIVITY,
	EWS_C_HAS_ATTACHMENTS,
	EWS_C_INTERNET_MESSAGE_ID,
	EWS_C_FROM_TEXT,
	EWS_C_DISPLAY_TO,
	EWS_C_DISPLAY_CC,
	EWS_C_CATEGORIES,
	EWS_C_IMAP_DELETED,
	EWS_C_HEADERS,
	EWS_C_BODY_TEXT,
	EWS_C_COUNT
} EwsColumn;

typedef struct EwsColDef
{
	const char *name;			/* column of ews.item */
	Oid			type;			/* its SQL type */
	EwsValKind	kind;
	uint32		tag;			/* the MAPI property it caches (0: named or
								 * none) */
	bool		big;			/* headers, body_text: fetched only when
								 * asked for */
} EwsColDef;

extern const EwsColDef ews_item_cols[EWS_C_COUNT];

/* ---- named properties ---- */

/* a property set GUID in MAPI's byte order (little-endian fields) */
typedef struct EwsGuid
{
	uint8		b[16];
} EwsGuid;

extern const EwsGuid ews_psetid_common;
extern const EwsGuid ews_ps_public_strings;
extern const EwsGuid ews_ps_internet_headers;

/* PidLidImapDeleted, PSETID_Common LID 0x8570 (DavMail's \Deleted) */
#define EWS_LID_IMAP_DELETED 0x8570
/* PidLidReminderSet / ReminderTime / ReminderDelta, PSETID_Common */
#define EWS_LID_REMINDER_SET 0x8503
#define EWS_LID_REMINDER_TIME 0x8502
#define EWS_LID_REMINDER_DELTA 0x8501

/*
 * What names a property: a tag (property id and type), or for a named
 * property its set, its LID or name, and its type.
 */
typedef struct EwsPropKey
{
	bool		named;
	uint16		type;			/* MAPI type, MV bit included */
	uint16		id;				/* tagged: the property id */
	EwsGuid		guid;			/* named: the property set */
	bool		by_name;		/* named: by name (else by LID) */
	uint32		lid;
	const char *name;
} EwsPropKey;

/* the key of a tagged property */
static inline EwsPropKey
ews_prop_tagged(uint32 tag)
{
	EwsPropKey	k;

	memset(&k, 0, sizeof(k));
	k.id = (uint16) (tag >> 16);
	k.type = (uint16) (tag & 0xFFFF);
	return k;
}

/*
 * Find a property of a validated blob by its key; false when absent.  A
 * named property is looked up in the blob's own name table (ids are local
 * to the blob).
 */
extern bool ews_prop_find(const uint8 *blob, size_t len, const EwsPropKey *key, EwsBlobProp *out);

/* ---- FieldURIs ---- */

/* how a field's value is found and written */
typedef enum EwsFieldSource
{
	EWS_SRC_COLUMN,				/* an extracted column */
	EWS_SRC_FLAG_BIT,			/* a bit of message_flags (IsDraft, ...) */
	EWS_SRC_BLOB,				/* a blob property by tag or name */
	EWS_SRC_MIME,				/* from the item's MIME (body, recipients,
								 * attachments) */
	EWS_SRC_COMPUTED			/* ItemId, ParentFolderId, EffectiveRights */
} EwsFieldSource;

/* how a field is written by UpdateItem and CreateItem (issue 14) */
typedef enum EwsFieldWrite
{
	EWS_WRITE_READ_ONLY,		/* ErrorInvalidPropertySet / Delete */
	EWS_WRITE_PROP,				/* set or delete the blob property key */
	EWS_WRITE_FLAG_BIT,			/* set or clear the bit in PidTagMessageFlags */
	EWS_WRITE_MIME				/* part of the message: regenerate the MIME */
} EwsFieldWrite;

/* the form of the element written */
typedef enum EwsFieldForm
{
	EWS_FORM_TEXT,				/* <t:X>text</t:X> */
	EWS_FORM_INT,
	EWS_FORM_BOOL,
	EWS_FORM_TIME,
	EWS_FORM_BASE64,
	EWS_FORM_IMPORTANCE,		/* Low Normal High */
	EWS_FORM_SENSITIVITY,		/* Normal Personal Private Confidential */
	EWS_FORM_STRINGS,			/* ArrayOfStringsType */
	EWS_FORM_FLAG,				/* FlagType from flag_status */
	EWS_FORM_SPECIAL			/* written by code of its own */
} EwsFieldForm;

typedef enum EwsField
{
	/* ItemType, in types.xsd order */
	EWS_F_MIME_CONTENT,
	EWS_F_ITEM_ID,
	EWS_F_PARENT_FOLDER_ID,
	EWS_F_ITEM_CLASS,
	EWS_F_SUBJECT,
	EWS_F_SENSITIVITY,
	EWS_F_BODY,
	EWS_F_ATTACHMENTS,
	EWS_F_DATE_TIME_RECEIVED,
	EWS_F_SIZE,
	EWS_F_CATEGORIES,
	EWS_F_IMPORTANCE,
	EWS_F_IN_REPLY_TO,
	EWS_F_IS_SUBMITTED,
	EWS_F_IS_DRAFT,
	EWS_F_IS_FROM_ME,
	EWS_F_IS_RESEND,
	EWS_F_IS_UNMODIFIED,
	EWS_F_INTERNET_MESSAGE_HEADERS,
	EWS_F_DATE_TIME_SENT,
	EWS_F_DATE_TIME_CREATED,
	EWS_F_REMINDER_DUE_BY,
	EWS_F_REMINDER_IS_SET,
	EWS_F_REMINDER_MINUTES,
	EWS_F_DISPLAY_CC,
	EWS_F_DISPLAY_TO,
	EWS_F_DISPLAY_BCC,
	EWS_F_HAS_ATTACHMENTS,
	EWS_F_EXTENDED_PROPERTIES,	/* the t:ExtendedProperty elements go here */
	EWS_F_EFFECTIVE_RIGHTS,
	EWS_F_LAST_MODIFIED_NAME,
	EWS_F_LAST_MODIFIED_TIME,
	EWS_F_IS_ASSOCIATED,
	EWS_F_FLAG,
	EWS_F_PREVIEW,
	EWS_F_TEXT_BODY,
	/* MessageType, in types.xsd order */
	EWS_F_SENDER,
	EWS_F_TO_RECIPIENTS,
	EWS_F_CC_RECIPIENTS,
	EWS_F_BCC_RECIPIENTS,
	EWS_F_IS_READ_RECEIPT_REQUESTED,
	EWS_F_IS_DELIVERY_RECEIPT_REQUESTED,
	EWS_F_CONVERSATION_INDEX,
	EWS_F_CONVERSATION_TOPIC,
	EWS_F_FROM,
	EWS_F_INTERNET_MESSAGE_ID,
	EWS_F_IS_READ,
	EWS_F_IS_RESPONSE_REQUESTED,
	EWS_F_REFERENCES,
	EWS_F_REPLY_TO,
	EWS_F_COUNT
} EwsField;

/* EwsFieldDef.flags */
#define EWS_FF_MESSAGE		0x0001	/* a MessageType element (message:*) */
#define EWS_FF_FIND			0x0002	/* in FindItem's Default/AllProperties */
#define EWS_FF_GET_DEFAULT	0x0004	/* in GetItem's Default */
#define EWS_FF_GET_ALL		0x0008	/* in GetItem's AllProperties */
#define EWS_FF_NO_FIND		0x0010	/* not answered by FindItem, even when
									 * asked (Body, MimeContent, recipients:
									 * Exchange refuses them there) */

typedef struct EwsFieldDef
{
	const char *uri;			/* "item:Subject"; NULL for the pseudo field */
	EwsField	field;
	const char *element;		/* "Subject" */
	EwsFieldSource source;
	EwsColumn	col;			/* EWS_SRC_COLUMN */
	uint32		flag_bit;		/* EWS_SRC_FLAG_BIT: the MSGFLAG_ bit */
	EwsPropKey	key;			/* EWS_SRC_BLOB, and what a write sets */
	EwsValKind	kind;			/* for restrictions and sorts */
	EwsFieldForm form;
	EwsFieldWrite write;
	uint16		flags;
} EwsFieldDef;

/* the table, indexed by EwsField (so in types.xsd order) */
extern const EwsFieldDef ews_fields[EWS_F_COUNT];

/*
 * A FieldURI: its definition, or NULL when the store does not keep it.
 * *in_schema tells whether it is a value of UnindexedFieldURIType at all
 * (false: the request breaks the schema).
 */
extern const EwsFieldDef *ews_field_by_uri(const char *uri, bool *in_schema);

/* does an item written as `element` (Message, Item, ...) carry this field? */
extern bool ews_field_applies(const EwsFieldDef *f, const char *element);

/* ---- ExtendedFieldURI ---- */

#define EWS_EXT_MAX_ATTRS 6

/*
 * A t:ExtendedFieldURI: what it names, plus its attributes exactly as the
 * client wrote them (names, values, order), for the echo.  DavMail keys the
 * values of a response by the attribute text (PropertyTag="0xe23" must come
 * back as 0xe23, not 0x0E23).
 */
typedef struct EwsExtPath
{
	EwsPropKey	key;
	int			nattrs;
	const char *attr_name[EWS_EXT_MAX_ATTRS];
	const char *attr_value[EWS_EXT_MAX_ATTRS];
} EwsExtPath;

/*
 * Read a t:ExtendedFieldURI from its attributes (palloc'd copies are made
 * of what is kept).  False with *error set (a sentence, for a fault) when
 * the attributes break the schema or name no property: PropertyType
 * missing or unknown, a PropertyTag that is not 0x1-4 hex digits or 0-65535,
 * a tag in the named range, PropertySetId not a GUID, an unknown
 * DistinguishedPropertySetId, PropertyId not an xs:int, or a combination
 * other than the schema's two (a set with a name or an id, or a tag).
 */
extern bool ews_ext_path_read(const char *const *names, const char *const *values, int n,
							  EwsExtPath *out, const char **error);

/* <t:ExtendedFieldURI .../> with the attributes as read */
extern void ews_ext_path_write(StringInfo buf, const EwsExtPath *p);

/* the column that caches this property, EWS_C_NONE if none */
extern EwsColumn ews_ext_path_column(const EwsExtPath *p);

/* the value kind of a MAPI type for restrictions and sorts (NONE: not comparable) */
extern EwsValKind ews_type_kind(uint16 type);

/*
 * <t:Value>...</t:Value> (or <t:Values> for a multi-valued type) of a blob
 * property of type `type`; false (nothing written) when the value cannot
 * be written (a date outside 1601-9999, a malformed multi-value).
 */
extern bool ews_prop_write_value(StringInfo buf, const EwsBlobProp *p);

/* ---- values ---- */

/* FILETIME and timestamptz: ews_filetime_to_timestamp, ews_filetime_from_timestamp (extract.h) */

/*
 * YYYY-MM-DDTHH:MM:SSZ, fraction dropped (rounded down: a value is never
 * shown later than it is), the 20 characters DavMail and exchangelib
 * insist on.  False (nothing written) for years outside 1601..9999.
 */
extern bool ews_format_time(StringInfo buf, TimestampTz ts);

/*
 * xs:dateTime in: YYYY-MM-DDTHH:MM:SS, an optional fraction of any length,
 * then Z, an offset +HH:MM / -HH:MM, or nothing (read as UTC).  False when
 * it is not one or out of range.
 */
extern bool ews_parse_time(const char *s, TimestampTz *out);
/* xs:boolean in: true, false, 1, 0 */
extern bool ews_parse_bool(const char *s, bool *out);
/* a decimal integer (optional sign) in [min, max] */
extern bool ews_parse_int(const char *s, int64 min, int64 max, int64 *out);
/* xs:double in */
extern bool ews_parse_float(const char *s, double *out);

/* ImportanceChoicesType, SensitivityChoicesType, FlagStatusType <-> MAPI values */
extern const char *ews_importance_name(int v);
extern bool ews_importance_value(const char *s, int *v);
extern const char *ews_sensitivity_name(int v);
extern bool ews_sensitivity_value(const char *s, int *v);
extern const char *ews_flag_status_name(int v);

/* ---- folder properties (GetFolder/FindFolder ExtendedFieldURIs, FindFolder restrictions) ---- */

typedef enum EwsFolderProp
{
	EWS_FP_DISPLAY_NAME,		/* 0x3001, 0x10F3 (a folder's URL name is its display name) */
	EWS_FP_CLASS,				/* 0x3613 */
	EWS_FP_DISTINGUISHED,
	EWS_FP_TOTAL_COUNT,			/* 0x3602 PidTagContentCount */
	EWS_FP_UNREAD_COUNT,		/* 0x3603 PidTagContentUnreadCount */
	EWS_FP_CHILD_COUNT,			/* 0x3638 PidTagFolderChildCount */
	EWS_FP_HAS_SUBFOLDERS,		/* 0x360A PidTagSubfolders */
	EWS_FP_CONTENT_CHANGED,		/* 0x670A PidTagLocalCommitTimeMax, 0x3008 */
	EWS_FP_NEXT_ARTICLE,		/* 0x6751 PidTagArticleNumberNext */
	EWS_FP_LAST_ARTICLE			/* 0x6752 PR_IMAP_LAST_ARTICLE_ID */
} EwsFolderProp;

typedef struct EwsFolderPropDef
{
	const char *uri;			/* the FieldURI, or NULL */
	uint32		tag;			/* the property tag, or 0 */
	EwsFolderProp prop;
	EwsValKind	kind;
	const char *sql;			/* its expression over ews.folder f */
} EwsFolderPropDef;

extern const EwsFolderPropDef ews_folder_props[];
extern const int ews_folder_prop_count;

/* the folder property a tagged ExtendedFieldURI names, NULL if none */
extern const EwsFolderPropDef *ews_folder_prop_by_key(const EwsPropKey *key);

/* the element an item is written as, by its class (Message, CalendarItem, ..., Item) */
extern const char *ews_item_element(const char *item_class);

#endif
