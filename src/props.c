/*
 * props.c
 *	  The property model (props.h): the FieldURI table, ExtendedFieldURI
 *	  paths, named property sets, and the formats of values in and out.
 *
 * The FieldURI table is in types.xsd order, so an item is written by
 * walking it once; where a field's value comes from (an extracted column,
 * a bit of PidTagMessageFlags, a blob property, the item's MIME) and how
 * UpdateItem/CreateItem write it are columns of the same row.
 */
#include "props.h"

#include <ctype.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "fielduris.h"
#include "soapwrite.h"

/* ---- the extracted columns ---- */

const EwsColDef ews_item_cols[EWS_C_COUNT] = {
	[EWS_C_NONE] = {NULL, InvalidOid, EWS_VK_NONE, 0, false},
	[EWS_C_ITEM_CLASS] = {"item_class", TEXTOID, EWS_VK_TEXT, 0x001A001F, false},
	[EWS_C_SUBJECT] = {"subject", TEXTOID, EWS_VK_TEXT, 0x0037001F, false},
	[EWS_C_SIZE] = {"size", INT4OID, EWS_VK_INT, 0x0E080003, false},
	[EWS_C_RECEIVED_AT] = {"received_at", TIMESTAMPTZOID, EWS_VK_TIME, 0x0E060040, false},
	[EWS_C_IS_ASSOCIATED] = {"is_associated", BOOLOID, EWS_VK_BOOL, 0x10F4000B, false},
	[EWS_C_IS_READ] = {"is_read", BOOLOID, EWS_VK_BOOL, 0x0E69000B, false},
	[EWS_C_ARTICLE_NUMBER] = {"article_number", INT8OID, EWS_VK_INT, 0x0E230003, false},
	[EWS_C_LAST_MODIFIED] = {"last_modified", TIMESTAMPTZOID, EWS_VK_TIME, 0x30080040, false},
	[EWS_C_SENT_AT] = {"sent_at", TIMESTAMPTZOID, EWS_VK_TIME, 0x00390040, false},
	[EWS_C_CREATED_AT] = {"created_at", TIMESTAMPTZOID, EWS_VK_TIME, 0x30070040, false},
	[EWS_C_MESSAGE_FLAGS] = {"message_flags", INT4OID, EWS_VK_INT, 0x0E070003, false},
	[EWS_C_FLAG_STATUS] = {"flag_status", INT4OID, EWS_VK_INT, 0x10900003, false},
	[EWS_C_IMPORTANCE] = {"importance", INT2OID, EWS_VK_INT, 0x00170003, false},
	[EWS_C_SENSITIVITY] = {"sensitivity", INT2OID, EWS_VK_INT, 0x00360003, false},
	[EWS_C_HAS_ATTACHMENTS] = {"has_attachments", BOOLOID, EWS_VK_BOOL, 0x0E1B000B, false},
	[EWS_C_INTERNET_MESSAGE_ID] = {"internet_message_id", TEXTOID, EWS_VK_TEXT, 0x1035001F, false},
	[EWS_C_FROM_TEXT] = {"from_text", TEXTOID, EWS_VK_TEXT, 0, false},
	[EWS_C_DISPLAY_TO] = {"display_to", TEXTOID, EWS_VK_TEXT, 0x0E04001F, false},
	[EWS_C_DISPLAY_CC] = {"display_cc", TEXTOID, EWS_VK_TEXT, 0x0E03001F, false},
	[EWS_C_CATEGORIES] = {"categories", TEXTARRAYOID, EWS_VK_TEXTS, 0, false},
	[EWS_C_IMAP_DELETED] = {"imap_deleted", INT4OID, EWS_VK_INT, 0, false},
	[EWS_C_HEADERS] = {"headers", TEXTOID, EWS_VK_TEXT, 0x007D001F, true},
	[EWS_C_BODY_TEXT] = {"body_text", TEXTOID, EWS_VK_TEXT, 0, true},
};

/* ---- property sets ---- */

/* a GUID in MAPI's byte order: Data1, Data2, Data3 little-endian, Data4 as is */
#define GUID_BYTES(d1, d2, d3, a, b, c, d, e, f, g, h) \
	{{ (d1) & 0xFF, ((d1) >> 8) & 0xFF, ((d1) >> 16) & 0xFF, ((d1) >> 24) & 0xFF, \
	   (d2) & 0xFF, ((d2) >> 8) & 0xFF, (d3) & 0xFF, ((d3) >> 8) & 0xFF, \
	   a, b, c, d, e, f, g, h }}

#define G_MEETING			GUID_BYTES(0x6ED8DA90, 0x450B, 0x101B, 0x98, 0xDA, 0x00, 0xAA, 0x00, 0x3F, 0x13, 0x05)
#define G_APPOINTMENT		GUID_BYTES(0x00062002, 0x0000, 0x0000, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46)
#define G_COMMON			GUID_BYTES(0x00062008, 0x0000, 0x0000, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46)
#define G_PUBLIC_STRINGS	GUID_BYTES(0x00020329, 0x0000, 0x0000, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46)
#define G_ADDRESS			GUID_BYTES(0x00062004, 0x0000, 0x0000, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46)
#define G_INTERNET_HEADERS	GUID_BYTES(0x00020386, 0x0000, 0x0000, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46)
#define G_CALENDAR_ASSISTANT GUID_BYTES(0x11000E07, 0xB51B, 0x40D6, 0xAF, 0x21, 0xCA, 0xA8, 0x5E, 0xDA, 0xB1, 0xD0)
#define G_UNIFIED_MESSAGING GUID_BYTES(0x4442858E, 0xA9E3, 0x4E80, 0xB9, 0x00, 0x31, 0x7A, 0x21, 0x0C, 0xC1, 0x5B)
#define G_TASK				GUID_BYTES(0x00062003, 0x0000, 0x0000, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46)
#define G_SHARING			GUID_BYTES(0x00062040, 0x0000, 0x0000, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46)

const EwsGuid ews_psetid_common = G_COMMON;
const EwsGuid ews_ps_public_strings = G_PUBLIC_STRINGS;
const EwsGuid ews_ps_internet_headers = G_INTERNET_HEADERS;

/* DistinguishedPropertySetType of types.xsd and the sets they name (MS-OXPROPS 1.3.2) */
static const struct
{
	const char *name;
	EwsGuid		guid;
}			distinguished_sets[] = {
	{"Meeting", G_MEETING},
	{"Appointment", G_APPOINTMENT},
	{"Common", G_COMMON},
	{"PublicStrings", G_PUBLIC_STRINGS},
	{"Address", G_ADDRESS},
	{"InternetHeaders", G_INTERNET_HEADERS},
	{"CalendarAssistant", G_CALENDAR_ASSISTANT},
	{"UnifiedMessaging", G_UNIFIED_MESSAGING},
	{"Task", G_TASK},
	{"Sharing", G_SHARING},
};

bool
ews_prop_find(const uint8 *blob, size_t len, const EwsPropKey *key, EwsBlobProp *out)
{
	if (!key->named)
		return ews_blob_find(blob, len, ((uint32) key->id << 16) | key->type, out);
	/*
	 * Named properties live in the blob's own name table (flag bit 0); a blob
	 * without one holds none.  Ids are local to the blob: the name finds the
	 * tag, and the property must have the type asked for.
	 */
	if (len < EWS_BLOB_HEADER_SIZE || (ews_le16(blob + 6) & EWS_BLOB_FLAG_NAMES) == 0)
		return false;
	{
		uint32		tag;
		bool		found;

		if (key->by_name)
			found = ews_blob_find_named_string(blob, len, key->guid.b, (const uint8 *) key->name,
											   strlen(key->name), &tag);
		else
			found = ews_blob_find_named_id(blob, len, key->guid.b, key->lid, &tag);
		if (!found || EWS_PROP_TYPE(tag) != key->type)
			return false;
		return ews_blob_find(blob, len, tag, out);
	}
}

/* ---- the FieldURI table ---- */

#define TAG(t)	{.named = false, .type = (t) & 0xFFFF, .id = (t) >> 16}
#define LID(g, l, ty) {.named = true, .type = (ty), .guid = g, .lid = (l)}
#define NAME(g, n, ty) {.named = true, .type = (ty), .guid = g, .by_name = true, .name = (n)}
#define NOKEY	{0}

#define FIND	EWS_FF_FIND
#define GDEF	EWS_FF_GET_DEFAULT
#define GALL	EWS_FF_GET_ALL
#define SUMMARY (FIND | GDEF | GALL)
#define MSG		EWS_FF_MESSAGE
#define NOFIND	EWS_FF_NO_FIND

/* PidTagMessageFlags bits (MS-OXCMSG 2.2.1.6) */
#define MSGFLAG_READ		0x0001
#define MSGFLAG_UNMODIFIED	0x0002
#define MSGFLAG_SUBMIT		0x0004
#define MSGFLAG_UNSENT		0x0008
#define MSGFLAG_FROMME		0x0020
#define MSGFLAG_RESEND		0x0080

const EwsFieldDef ews_fields[EWS_F_COUNT] = {
	/* uri, field, element, source, col, bit, key, kind, form, write, flags */
	{"item:MimeContent", EWS_F_MIME_CONTENT, "MimeContent", EWS_SRC_MIME, EWS_C_NONE, 0,
	TAG(0x7E010102), EWS_VK_NONE, EWS_FORM_SPECIAL, EWS_WRITE_MIME, NOFIND},
	{"item:ItemId", EWS_F_ITEM_ID, "ItemId", EWS_SRC_COMPUTED, EWS_C_NONE, 0,
	NOKEY, EWS_VK_NONE, EWS_FORM_SPECIAL, EWS_WRITE_READ_ONLY, SUMMARY},
	{"item:ParentFolderId", EWS_F_PARENT_FOLDER_ID, "ParentFolderId", EWS_SRC_COMPUTED, EWS_C_NONE, 0,
	NOKEY, EWS_VK_NONE, EWS_FORM_SPECIAL, EWS_WRITE_READ_ONLY, SUMMARY},
	{"item:ItemClass", EWS_F_ITEM_CLASS, "ItemClass", EWS_SRC_COLUMN, EWS_C_ITEM_CLASS, 0,
	TAG(0x001A001F), EWS_VK_TEXT, EWS_FORM_TEXT, EWS_WRITE_PROP, SUMMARY},
	{"item:Subject", EWS_F_SUBJECT, "Subject", EWS_SRC_COLUMN, EWS_C_SUBJECT, 0,
	TAG(0x0037001F), EWS_VK_TEXT, EWS_FORM_TEXT, EWS_WRITE_MIME, SUMMARY},
	{"item:Sensitivity", EWS_F_SENSITIVITY, "Sensitivity", EWS_SRC_COLUMN, EWS_C_SENSITIVITY, 0,
	TAG(0x00360003), EWS_VK_INT, EWS_FORM_SENSITIVITY, EWS_WRITE_MIME, SUMMARY},
	/* shown from the MIME; restricted (Contains) on the plain text extracted from it */
	{"item:Body", EWS_F_BODY, "Body", EWS_SRC_MIME, EWS_C_BODY_TEXT, 0,
	TAG(0x1000001F), EWS_VK_TEXT, EWS_FORM_SPECIAL, EWS_WRITE_MIME, GDEF | GALL | NOFIND},
	{"item:Attachments", EWS_F_ATTACHMENTS, "Attachments", EWS_SRC_MIME, EWS_C_NONE, 0,
	NOKEY, EWS_VK_NONE, EWS_FORM_SPECIAL, EWS_WRITE_READ_ONLY, GDEF | GALL | NOFIND},
	{"item:DateTimeReceived", EWS_F_DATE_TIME_RECEIVED, "DateTimeReceived", EWS_SRC_COLUMN, EWS_C_RECEIVED_AT, 0,
	TAG(0x0E060040), EWS_VK_TIME, EWS_FORM_TIME, EWS_WRITE_PROP, SUMMARY},
	{"item:Size", EWS_F_SIZE, "Size", EWS_SRC_COLUMN, EWS_C_SIZE, 0,
	TAG(0x0E080003), EWS_VK_INT, EWS_FORM_INT, EWS_WRITE_READ_ONLY, SUMMARY},
	/* item:Categories is PS_PUBLIC_STRINGS "Keywords", DavMail's IMAP keywords */
	{"item:Categories", EWS_F_CATEGORIES, "Categories", EWS_SRC_COLUMN, EWS_C_CATEGORIES, 0,
	NAME(G_PUBLIC_STRINGS, "Keywords", EWS_PT_MV_UNICODE), EWS_VK_TEXTS, EWS_FORM_STRINGS, EWS_WRITE_PROP, SUMMARY},
	{"item:Importance", EWS_F_IMPORTANCE, "Importance", EWS_SRC_COLUMN, EWS_C_IMPORTANCE, 0,
	TAG(0x00170003), EWS_VK_INT, EWS_FORM_IMPORTANCE, EWS_WRITE_MIME, SUMMARY},
	{"item:InReplyTo", EWS_F_IN_REPLY_TO, "InReplyTo", EWS_SRC_BLOB, EWS_C_NONE, 0,
	TAG(0x1042001F), EWS_VK_TEXT, EWS_FORM_TEXT, EWS_WRITE_MIME, GALL},
	{"item:IsSubmitted", EWS_F_IS_SUBMITTED, "IsSubmitted", EWS_SRC_FLAG_BIT, EWS_C_MESSAGE_FLAGS, MSGFLAG_SUBMIT,
	NOKEY, EWS_VK_BOOL, EWS_FORM_BOOL, EWS_WRITE_READ_ONLY, SUMMARY},
	{"item:IsDraft", EWS_F_IS_DRAFT, "IsDraft", EWS_SRC_FLAG_BIT, EWS_C_MESSAGE_FLAGS, MSGFLAG_UNSENT,
	NOKEY, EWS_VK_BOOL, EWS_FORM_BOOL, EWS_WRITE_READ_ONLY, SUMMARY},
	{"item:IsFromMe", EWS_F_IS_FROM_ME, "IsFromMe", EWS_SRC_FLAG_BIT, EWS_C_MESSAGE_FLAGS, MSGFLAG_FROMME,
	NOKEY, EWS_VK_BOOL, EWS_FORM_BOOL, EWS_WRITE_READ_ONLY, SUMMARY},
	{"item:IsResend", EWS_F_IS_RESEND, "IsResend", EWS_SRC_FLAG_BIT, EWS_C_MESSAGE_FLAGS, MSGFLAG_RESEND,
	NOKEY, EWS_VK_BOOL, EWS_FORM_BOOL, EWS_WRITE_READ_ONLY, SUMMARY},
	{"item:IsUnmodified", EWS_F_IS_UNMODIFIED, "IsUnmodified", EWS_SRC_FLAG_BIT, EWS_C_MESSAGE_FLAGS, MSGFLAG_UNMODIFIED,
	NOKEY, EWS_VK_BOOL, EWS_FORM_BOOL, EWS_WRITE_READ_ONLY, SUMMARY},
	/* the header block, PR_TRANSPORT_MESSAGE_HEADERS, split into fields */
	{"item:InternetMessageHeaders", EWS_F_INTERNET_MESSAGE_HEADERS, "InternetMessageHeaders", EWS_SRC_COLUMN, EWS_C_HEADERS, 0,
	TAG(0x007D001F), EWS_VK_TEXT, EWS_FORM_SPECIAL, EWS_WRITE_READ_ONLY, GALL},
	{"item:DateTimeSent", EWS_F_DATE_TIME_SENT, "DateTimeSent", EWS_SRC_COLUMN, EWS_C_SENT_AT, 0,
	TAG(0x00390040), EWS_VK_TIME, EWS_FORM_TIME, EWS_WRITE_MIME, SUMMARY},
	{"item:DateTimeCreated", EWS_F_DATE_TIME_CREATED, "DateTimeCreated", EWS_SRC_COLUMN, EWS_C_CREATED_AT, 0,
	TAG(0x30070040), EWS_VK_TIME, EWS_FORM_TIME, EWS_WRITE_READ_ONLY, SUMMARY},
	{"item:ReminderDueBy", EWS_F_REMINDER_DUE_BY, "ReminderDueBy", EWS_SRC_BLOB, EWS_C_NONE, 0,
	LID(G_COMMON, EWS_LID_REMINDER_TIME, EWS_PT_SYSTIME), EWS_VK_TIME, EWS_FORM_TIME, EWS_WRITE_PROP, GALL},
	{"item:ReminderIsSet", EWS_F_REMINDER_IS_SET, "ReminderIsSet", EWS_SRC_BLOB, EWS_C_NONE, 0,
	LID(G_COMMON, EWS_LID_REMINDER_SET, EWS_PT_BOOLEAN), EWS_VK_BOOL, EWS_FORM_BOOL, EWS_WRITE_PROP, GALL},
	{"item:ReminderMinutesBeforeStart", EWS_F_REMINDER_MINUTES, "ReminderMinutesBeforeStart", EWS_SRC_BLOB, EWS_C_NONE, 0,
	LID(G_COMMON, EWS_LID_REMINDER_DELTA, EWS_PT_LONG), EWS_VK_INT, EWS_FORM_INT, EWS_WRITE_PROP, GALL},
	{"item:DisplayCc", EWS_F_DISPLAY_CC, "DisplayCc", EWS_SRC_COLUMN, EWS_C_DISPLAY_CC, 0,
	TAG(0x0E03001F), EWS_VK_TEXT, EWS_FORM_TEXT, EWS_WRITE_READ_ONLY, SUMMARY},
	{"item:DisplayTo", EWS_F_DISPLAY_TO, "DisplayTo", EWS_SRC_COLUMN, EWS_C_DISPLAY_TO, 0,
	TAG(0x0E04001F), EWS_VK_TEXT, EWS_FORM_TEXT, EWS_WRITE_READ_ONLY, SUMMARY},
	{"item:DisplayBcc", EWS_F_DISPLAY_BCC, "DisplayBcc", EWS_SRC_BLOB, EWS_C_NONE, 0,
	TAG(0x0E02001F), EWS_VK_TEXT, EWS_FORM_TEXT, EWS_WRITE_READ_ONLY, GALL},
	{"item:HasAttachments", EWS_F_HAS_ATTACHMENTS, "HasAttachments", EWS_SRC_COLUMN, EWS_C_HAS_ATTACHMENTS, 0,
	TAG(0x0E1B000B), EWS_VK_BOOL, EWS_FORM_BOOL, EWS_WRITE_READ_ONLY, SUMMARY},
	{NULL, EWS_F_EXTENDED_PROPERTIES, "ExtendedProperty", EWS_SRC_BLOB, EWS_C_NONE, 0,
	NOKEY, EWS_VK_NONE, EWS_FORM_SPECIAL, EWS_WRITE_PROP, 0},
	{"item:EffectiveRights", EWS_F_EFFECTIVE_RIGHTS, "EffectiveRights", EWS_SRC_COMPUTED, EWS_C_NONE, 0,
	NOKEY, EWS_VK_NONE, EWS_FORM_SPECIAL, EWS_WRITE_READ_ONLY, FIND | GALL},
	{"item:LastModifiedName", EWS_F_LAST_MODIFIED_NAME, "LastModifiedName", EWS_SRC_BLOB, EWS_C_NONE, 0,
	TAG(0x3FFA001F), EWS_VK_TEXT, EWS_FORM_TEXT, EWS_WRITE_READ_ONLY, GALL},
	{"item:LastModifiedTime", EWS_F_LAST_MODIFIED_TIME, "LastModifiedTime", EWS_SRC_COLUMN, EWS_C_LAST_MODIFIED, 0,
	TAG(0x30080040), EWS_VK_TIME, EWS_FORM_TIME, EWS_WRITE_READ_ONLY, SUMMARY},
	{"item:IsAssociated", EWS_F_IS_ASSOCIATED, "IsAssociated", EWS_SRC_COLUMN, EWS_C_IS_ASSOCIATED, 0,
	NOKEY, EWS_VK_BOOL, EWS_FORM_BOOL, EWS_WRITE_READ_ONLY, SUMMARY},
	/* PidTagFlagStatus: 0 not flagged, 1 complete, 2 flagged (DavMail's \Flagged) */
	{"item:Flag", EWS_F_FLAG, "Flag", EWS_SRC_COLUMN, EWS_C_FLAG_STATUS, 0,
	TAG(0x10900003), EWS_VK_INT, EWS_FORM_FLAG, EWS_WRITE_PROP, FIND | GALL},
	{"item:Preview", EWS_F_PREVIEW, "Preview", EWS_SRC_COLUMN, EWS_C_BODY_TEXT, 0,
	NOKEY, EWS_VK_TEXT, EWS_FORM_SPECIAL, EWS_WRITE_READ_ONLY, 0},
	{"item:TextBody", EWS_F_TEXT_BODY, "TextBody", EWS_SRC_MIME, EWS_C_BODY_TEXT, 0,
	NOKEY, EWS_VK_TEXT, EWS_FORM_SPECIAL, EWS_WRITE_READ_ONLY, NOFIND},
	/* MessageType */
	{"message:Sender", EWS_F_SENDER, "Sender", EWS_SRC_MIME, EWS_C_NONE, 0,
	NOKEY, EWS_VK_NONE, EWS_FORM_SPECIAL, EWS_WRITE_MIME, MSG | GDEF | GALL | NOFIND},
	{"message:ToRecipients", EWS_F_TO_RECIPIENTS, "ToRecipients", EWS_SRC_MIME, EWS_C_DISPLAY_TO, 0,
	NOKEY, EWS_VK_NONE, EWS_FORM_SPECIAL, EWS_WRITE_MIME, MSG | GDEF | GALL | NOFIND},
	{"message:CcRecipients", EWS_F_CC_RECIPIENTS, "CcRecipients", EWS_SRC_MIME, EWS_C_DISPLAY_CC, 0,
	NOKEY, EWS_VK_NONE, EWS_FORM_SPECIAL, EWS_WRITE_MIME, MSG | GDEF | GALL | NOFIND},
	{"message:BccRecipients", EWS_F_BCC_RECIPIENTS, "BccRecipients", EWS_SRC_MIME, EWS_C_NONE, 0,
	NOKEY, EWS_VK_NONE, EWS_FORM_SPECIAL, EWS_WRITE_MIME, MSG | GDEF | GALL | NOFIND},
	{"message:IsReadReceiptRequested", EWS_F_IS_READ_RECEIPT_REQUESTED, "IsReadReceiptRequested", EWS_SRC_BLOB, EWS_C_NONE, 0,
	TAG(0x0029000B), EWS_VK_BOOL, EWS_FORM_BOOL, EWS_WRITE_PROP, MSG | GALL},
	{"message:IsDeliveryReceiptRequested", EWS_F_IS_DELIVERY_RECEIPT_REQUESTED, "IsDeliveryReceiptRequested", EWS_SRC_BLOB, EWS_C_NONE, 0,
	TAG(0x0023000B), EWS_VK_BOOL, EWS_FORM_BOOL, EWS_WRITE_PROP, MSG | GALL},
	{"message:ConversationIndex", EWS_F_CONVERSATION_INDEX, "ConversationIndex", EWS_SRC_BLOB, EWS_C_NONE, 0,
	TAG(0x00710102), EWS_VK_BINARY, EWS_FORM_BASE64, EWS_WRITE_READ_ONLY, MSG | GALL},
	{"message:ConversationTopic", EWS_F_CONVERSATION_TOPIC, "ConversationTopic", EWS_SRC_BLOB, EWS_C_NONE, 0,
	TAG(0x0070001F), EWS_VK_TEXT, EWS_FORM_TEXT, EWS_WRITE_READ_ONLY, MSG | GALL},
	/* "Name <address>" in from_text, for Contains; written as a t:Mailbox */
	{"message:From", EWS_F_FROM, "From", EWS_SRC_COLUMN, EWS_C_FROM_TEXT, 0,
	NOKEY, EWS_VK_TEXT, EWS_FORM_SPECIAL, EWS_WRITE_MIME, MSG | SUMMARY},
	{"message:InternetMessageId", EWS_F_INTERNET_MESSAGE_ID, "InternetMessageId", EWS_SRC_COLUMN, EWS_C_INTERNET_MESSAGE_ID, 0,
	TAG(0x1035001F), EWS_VK_TEXT, EWS_FORM_TEXT, EWS_WRITE_MIME, MSG | SUMMARY},
	/* the read bit of PidTagMessageFlags: IsRead and 0x0E07 are one thing */
	{"message:IsRead", EWS_F_IS_READ, "IsRead", EWS_SRC_COLUMN, EWS_C_IS_READ, MSGFLAG_READ,
	NOKEY, EWS_VK_BOOL, EWS_FORM_BOOL, EWS_WRITE_FLAG_BIT, MSG | SUMMARY},
	{"message:IsResponseRequested", EWS_F_IS_RESPONSE_REQUESTED, "IsResponseRequested", EWS_SRC_BLOB, EWS_C_NONE, 0,
	TAG(0x0063000B), EWS_VK_BOOL, EWS_FORM_BOOL, EWS_WRITE_PROP, MSG | GALL},
	{"message:References", EWS_F_REFERENCES, "References", EWS_SRC_BLOB, EWS_C_NONE, 0,
	TAG(0x1039001F), EWS_VK_TEXT, EWS_FORM_TEXT, EWS_WRITE_MIME, MSG | GALL},
	{"message:ReplyTo", EWS_F_REPLY_TO, "ReplyTo", EWS_SRC_MIME, EWS_C_NONE, 0,
	NOKEY, EWS_VK_NONE, EWS_FORM_SPECIAL, EWS_WRITE_MIME, MSG | GALL | NOFIND},
};

static int
uri_cmp(const void *key, const void *elem)
{
	return strcmp((const char *) key, *(const char *const *) elem);
}

const EwsFieldDef *
ews_field_by_uri(const char *uri, bool *in_schema)
{
	*in_schema = bsearch(uri, ews_schema_field_uris, lengthof(ews_schema_field_uris),
						 sizeof(ews_schema_field_uris[0]), uri_cmp) != NULL;
	if (!*in_schema)
		return NULL;
	for (int i = 0; i < EWS_F_COUNT; i++)
		if (ews_fields[i].uri != NULL && strcmp(ews_fields[i].uri, uri) == 0)
			return &ews_fields[i];
	return NULL;
}

/*
 * MessageType's elements belong to t:Message and the meeting messages,
 * which extend it.  t:PostItem has a sequence of its own in which
 * ConversationIndex, ConversationTopic, From, InternetMessageId, IsRead and
 * References come in the same relative order as in MessageType; the other
 * message elements are not part of it.
 */
bool
ews_field_applies(const EwsFieldDef *f, const char *element)
{
	if (!(f->flags & EWS_FF_MESSAGE))
		return true;
	if (strcmp(element, "Message") == 0 || strncmp(element, "Meeting", 7) == 0)
		return true;
	if (strcmp(element, "PostItem") == 0)
		return f->field == EWS_F_CONVERSATION_INDEX || f->field == EWS_F_CONVERSATION_TOPIC ||
			f->field == EWS_F_FROM || f->field == EWS_F_INTERNET_MESSAGE_ID ||
			f->field == EWS_F_IS_READ || f->field == EWS_F_REFERENCES;
	return false;
}

/* ---- folder properties ---- */

#define SUBFOLDERS_SQL \
	"EXISTS (SELECT 1 FROM ews.folder c WHERE c.mailbox_id = f.mailbox_id AND c.parent_id = f.folder_id)"
#define CHILD_COUNT_SQL \
	"(SELECT pg_catalog.count(*) FROM ews.folder c WHERE c.mailbox_id = f.mailbox_id AND c.parent_id = f.folder_id)"

/*
 * What DavMail reads of a folder (FOLDER_PROPERTIES: its class, count,
 * unread count, ctag, has-subfolders, UIDNEXT and highest UID) and what
 * clients restrict folders on.
 */
const EwsFolderPropDef ews_folder_props[] = {
	{"folder:DisplayName", 0x3001001F, EWS_FP_DISPLAY_NAME, EWS_VK_TEXT, "f.display_name"},
	{NULL, 0x10F3001F, EWS_FP_DISPLAY_NAME, EWS_VK_TEXT, "f.display_name"},
	{"folder:FolderClass", 0x3613001F, EWS_FP_CLASS, EWS_VK_TEXT, "f.folder_class"},
	{"folder:DistinguishedFolderId", 0, EWS_FP_DISTINGUISHED, EWS_VK_TEXT, "f.distinguished"},
	{"folder:TotalCount", 0x36020003, EWS_FP_TOTAL_COUNT, EWS_VK_INT, "f.total_count"},
	{"folder:UnreadCount", 0x36030003, EWS_FP_UNREAD_COUNT, EWS_VK_INT, "f.unread_count"},
	{"folder:ChildFolderCount", 0x36380003, EWS_FP_CHILD_COUNT, EWS_VK_INT, CHILD_COUNT_SQL},
	{NULL, 0x360A000B, EWS_FP_HAS_SUBFOLDERS, EWS_VK_BOOL, SUBFOLDERS_SQL},
	{NULL, 0x670A0040, EWS_FP_CONTENT_CHANGED, EWS_VK_TIME, "f.content_changed_at"},
	{NULL, 0x30080040, EWS_FP_CONTENT_CHANGED, EWS_VK_TIME, "f.content_changed_at"},
	{NULL, 0x67510003, EWS_FP_NEXT_ARTICLE, EWS_VK_INT, "f.next_article"},
	{NULL, 0x67520003, EWS_FP_LAST_ARTICLE, EWS_VK_INT, "(f.next_article - 1)"},
};
const int	ews_folder_prop_count = lengthof(ews_folder_props);

const EwsFolderPropDef *
ews_folder_prop_by_key(const EwsPropKey *key)
{
	uint32		tag;

	if (key->named)
		return NULL;
	tag = ((uint32) key->id << 16) | key->type;
	for (int i = 0; i < ews_folder_prop_count; i++)
		if (ews_folder_props[i].tag == tag)
			return &ews_folder_props[i];
	return NULL;
}

/* ---- item elements by class ---- */

static bool
class_is(const char *cls, const char *prefix)
{
	size_t		l = strlen(prefix);

	/* "IPM.Note" matches IPM.Note and IPM.Note.*, compared as Exchange does, without case */
	return pg_strncasecmp(cls, prefix, l) == 0 && (cls[l] == '\0' || cls[l] == '.');
}

const char *
ews_item_element(const char *cls)
{
	if (cls == NULL)
		return "Item";
	if (class_is(cls, "IPM.Schedule.Meeting.Request"))
		return "MeetingRequest";
	if (class_is(cls, "IPM.Schedule.Meeting.Canceled"))
		return "MeetingCancellation";
	if (class_is(cls, "IPM.Schedule.Meeting.Resp"))
		return "MeetingResponse";
	if (class_is(cls, "IPM.Note") || pg_strncasecmp(cls, "REPORT.", 7) == 0)
		return "Message";
	if (class_is(cls, "IPM.Appointment"))
		return "CalendarItem";
	if (class_is(cls, "IPM.Contact"))
		return "Contact";
	if (class_is(cls, "IPM.DistList"))
		return "DistributionList";
	if (class_is(cls, "IPM.Task"))
		return "Task";
	if (class_is(cls, "IPM.Post"))
		return "PostItem";
	return "Item";
}

/* ---- ExtendedFieldURI ---- */

static const struct
{
	const char *name;
	uint16		type;
}			mapi_types[] = {
	/* MapiPropertyTypeType of types.xsd */
	{"ApplicationTime", EWS_PT_APPTIME},
	{"ApplicationTimeArray", EWS_PT_MV | EWS_PT_APPTIME},
	{"Binary", EWS_PT_BINARY},
	{"BinaryArray", EWS_PT_MV | EWS_PT_BINARY},
	{"Boolean", EWS_PT_BOOLEAN},
	{"CLSID", EWS_PT_CLSID},
	{"CLSIDArray", EWS_PT_MV | EWS_PT_CLSID},
	{"Currency", EWS_PT_CURRENCY},
	{"CurrencyArray", EWS_PT_MV | EWS_PT_CURRENCY},
	{"Double", EWS_PT_DOUBLE},
	{"DoubleArray", EWS_PT_MV | EWS_PT_DOUBLE},
	{"Error", EWS_PT_ERROR},
	{"Float", EWS_PT_FLOAT},
	{"FloatArray", EWS_PT_MV | EWS_PT_FLOAT},
	{"Integer", EWS_PT_LONG},
	{"IntegerArray", EWS_PT_MV | EWS_PT_LONG},
	{"Long", EWS_PT_I8},
	{"LongArray", EWS_PT_MV | EWS_PT_I8},
	{"Null", 0x0001},
	{"Object", 0x000D},
	{"ObjectArray", EWS_PT_MV | 0x000D},
	{"Short", EWS_PT_SHORT},
	{"ShortArray", EWS_PT_MV | EWS_PT_SHORT},
	{"SystemTime", EWS_PT_SYSTIME},
	{"SystemTimeArray", EWS_PT_MV | EWS_PT_SYSTIME},
	{"String", EWS_PT_UNICODE},
	{"StringArray", EWS_PT_MV | EWS_PT_UNICODE},
};

static bool
hex_digit(char c, int *v)
{
	if (c >= '0' && c <= '9')
		*v = c - '0';
	else if (c >= 'a' && c <= 'f')
		*v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		*v = c - 'A' + 10;
	else
		return false;
	return true;
}

/* GuidType: 8-4-4-4-12 hex digits, either case; into MAPI's byte order */
static bool
parse_guid(const char *s, EwsGuid *g)
{
	uint8		raw[16];
	int			n = 0;

	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36;)
	{
		int			hi,
					lo;

		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (s[i] != '-')
				return false;
			i++;
			continue;
		}
		if (!hex_digit(s[i], &hi) || !hex_digit(s[i + 1], &lo))
			return false;
		raw[n++] = (uint8) (hi << 4 | lo);
		i += 2;
	}
	/* text order is big-endian for Data1..Data3; MAPI stores them little-endian */
	g->b[0] = raw[3];
	g->b[1] = raw[2];
	g->b[2] = raw[1];
	g->b[3] = raw[0];
	g->b[4] = raw[5];
	g->b[5] = raw[4];
	g->b[6] = raw[7];
	g->b[7] = raw[6];
	memcpy(g->b + 8, raw + 8, 8);
	return true;
}

/* PropertyTagType: 0x + 1 to 4 hex digits, or xs:unsignedShort */
static bool
parse_property_tag(const char *s, uint16 *id)
{
	int64		v;

	if ((s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))
	{
		size_t		l = strlen(s + 2);
		uint32		acc = 0;

		if (l < 1 || l > 4)
			return false;
		for (size_t i = 0; i < l; i++)
		{
			int			d;

			if (!hex_digit(s[2 + i], &d))
				return false;
			acc = acc << 4 | (uint32) d;
		}
		*id = (uint16) acc;
		return true;
	}
	if (!ews_parse_int(s, 0, 65535, &v))
		return false;
	*id = (uint16) v;
	return true;
}

bool
ews_ext_path_read(const char *const *names, const char *const *values, int n,
				  EwsExtPath *out, const char **error)
{
	const char *dset = NULL,
			   *pset = NULL,
			   *tag = NULL,
			   *pname = NULL,
			   *pid = NULL,
			   *ptype = NULL;
	int			i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++)
	{
		const char **slot;

		if (strcmp(names[i], "DistinguishedPropertySetId") == 0)
			slot = &dset;
		else if (strcmp(names[i], "PropertySetId") == 0)
			slot = &pset;
		else if (strcmp(names[i], "PropertyTag") == 0)
			slot = &tag;
		else if (strcmp(names[i], "PropertyName") == 0)
			slot = &pname;
		else if (strcmp(names[i], "PropertyId") == 0)
			slot = &pid;
		else if (strcmp(names[i], "PropertyType") == 0)
			slot = &ptype;
		else
		{
			*error = psprintf("t:ExtendedFieldURI has no attribute %s.", names[i]);
			return false;
		}
		*slot = values[i];
		out->attr_name[out->nattrs] = pstrdup(names[i]);
		out->attr_value[out->nattrs] = pstrdup(values[i]);
		out->nattrs++;
	}
	if (ptype == NULL)
	{
		*error = "t:ExtendedFieldURI lacks its required attribute PropertyType.";
		return false;
	}
	for (i = 0; i < lengthof(mapi_types); i++)
		if (strcmp(ptype, mapi_types[i].name) == 0)
			break;
	if (i == lengthof(mapi_types))
	{
		*error = psprintf("The value '%s' of PropertyType is not a MAPI property type of the schema.", ptype);
		return false;
	}
	out->key.type = mapi_types[i].type;

	if (tag != NULL)
	{
		uint16		id;

		if (dset || pset || pname || pid)
		{
			*error = "t:ExtendedFieldURI names a property either by PropertyTag or by a property set with PropertyName or PropertyId, not both.";
			return false;
		}
		if (!parse_property_tag(tag, &id))
		{
			*error = psprintf("The value '%s' of PropertyTag is neither 0x and one to four hexadecimal digits nor an integer from 0 to 65535.", tag);
			return false;
		}
		if (id >= EWS_NAMED_ID_MIN)
		{
			*error = psprintf("PropertyTag %s is in the range of named properties (0x8000 and up): name them by a property set with PropertyName or PropertyId.", tag);
			return false;
		}
		out->key.named = false;
		out->key.id = id;
		return true;
	}

	if ((dset == NULL) == (pset == NULL) || (pname == NULL) == (pid == NULL))
	{
		*error = "t:ExtendedFieldURI needs either PropertyTag, or one of DistinguishedPropertySetId and PropertySetId with one of PropertyName and PropertyId.";
		return false;
	}
	out->key.named = true;
	if (dset != NULL)
	{
		for (i = 0; i < lengthof(distinguished_sets); i++)
			if (strcmp(dset, distinguished_sets[i].name) == 0)
				break;
		if (i == lengthof(distinguished_sets))
		{
			*error = psprintf("The value '%s' of DistinguishedPropertySetId is not a property set of the schema.", dset);
			return false;
		}
		out->key.guid = distinguished_sets[i].guid;
	}
	else if (!parse_guid(pset, &out->key.guid))
	{
		*error = psprintf("The value '%s' of PropertySetId is not a GUID.", pset);
		return false;
	}
	if (pname != NULL)
	{
		out->key.by_name = true;
		out->key.name = pstrdup(pname);
	}
	else
	{
		int64		v;

		if (!ews_parse_int(pid, PG_INT32_MIN, PG_INT32_MAX, &v))
		{
			*error = psprintf("The value '%s' of PropertyId is not an xs:int.", pid);
			return false;
		}
		/* a LID is a uint32 on the wire; EWS writes it as xs:int */
		out->key.lid = (uint32) (int32) v;
	}
	return true;
}

void
ews_ext_path_write(StringInfo buf, const EwsExtPath *p)
{
	appendStringInfoString(buf, "<t:ExtendedFieldURI");
	for (int i = 0; i < p->nattrs; i++)
		sw_attr(buf, p->attr_name[i], p->attr_value[i]);
	appendStringInfoString(buf, "/>");
}

static bool
guid_eq(const EwsGuid *a, const EwsGuid *b)
{
	return memcmp(a->b, b->b, 16) == 0;
}

EwsColumn
ews_ext_path_column(const EwsExtPath *p)
{
	const EwsPropKey *k = &p->key;

	if (!k->named)
	{
		uint32		tag = ((uint32) k->id << 16) | k->type;

		for (int c = 1; c < EWS_C_COUNT; c++)
			if (ews_item_cols[c].tag == tag)
				return (EwsColumn) c;
		return EWS_C_NONE;
	}
	/* Keywords is item:Categories; PidLidImapDeleted has a column of its own */
	if (k->by_name && k->type == EWS_PT_MV_UNICODE && guid_eq(&k->guid, &ews_ps_public_strings) &&
		strcmp(k->name, "Keywords") == 0)
		return EWS_C_CATEGORIES;
	if (!k->by_name && k->type == EWS_PT_LONG && guid_eq(&k->guid, &ews_psetid_common) &&
		k->lid == EWS_LID_IMAP_DELETED)
		return EWS_C_IMAP_DELETED;
	return EWS_C_NONE;
}

EwsValKind
ews_type_kind(uint16 type)
{
	switch (type)
	{
		case EWS_PT_SHORT:
		case EWS_PT_LONG:
		case EWS_PT_I8:
		case EWS_PT_CURRENCY:
		case EWS_PT_ERROR:
			return EWS_VK_INT;
		case EWS_PT_BOOLEAN:
			return EWS_VK_BOOL;
		case EWS_PT_SYSTIME:
			return EWS_VK_TIME;
		case EWS_PT_UNICODE:
			return EWS_VK_TEXT;
		case EWS_PT_BINARY:
			return EWS_VK_BINARY;
		case EWS_PT_FLOAT:
		case EWS_PT_DOUBLE:
		case EWS_PT_APPTIME:
			return EWS_VK_FLOAT;
		case EWS_PT_MV_UNICODE:
			return EWS_VK_TEXTS;
		default:
			return EWS_VK_NONE;
	}
}

/* ---- values out ---- */

bool
ews_format_time(StringInfo buf, TimestampTz ts)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(ts) || timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		return false;
	if (tm.tm_year < 1601 || tm.tm_year > 9999)
		return false;
	{
		char		t[20];

		/* YYYY-MM-DDTHH:MM:SSZ, written digit by digit (this is on every item of a page) */
		t[0] = '0' + tm.tm_year / 1000;
		t[1] = '0' + tm.tm_year / 100 % 10;
		t[2] = '0' + tm.tm_year / 10 % 10;
		t[3] = '0' + tm.tm_year % 10;
		t[4] = '-';
		t[5] = '0' + tm.tm_mon / 10;
		t[6] = '0' + tm.tm_mon % 10;
		t[7] = '-';
		t[8] = '0' + tm.tm_mday / 10;
		t[9] = '0' + tm.tm_mday % 10;
		t[10] = 'T';
		t[11] = '0' + tm.tm_hour / 10;
		t[12] = '0' + tm.tm_hour % 10;
		t[13] = ':';
		t[14] = '0' + tm.tm_min / 10;
		t[15] = '0' + tm.tm_min % 10;
		t[16] = ':';
		t[17] = '0' + tm.tm_sec / 10;
		t[18] = '0' + tm.tm_sec % 10;
		t[19] = 'Z';
		appendBinaryStringInfo(buf, t, 20);
	}
	return true;
}

static void
write_guid_text(StringInfo buf, const uint8 *b)
{
	appendStringInfo(buf, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
					 b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6],
					 b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static void
write_double(StringInfo buf, double d)
{
	char		s[DOUBLE_SHORTEST_DECIMAL_LEN];

	/* EWS writes xs:double: INF, -INF and NaN by their schema names */
	if (isnan(d))
		appendStringInfoString(buf, "NaN");
	else if (isinf(d))
		appendStringInfoString(buf, d > 0 ? "INF" : "-INF");
	else
	{
		double_to_shortest_decimal_buf(d, s);
		appendStringInfoString(buf, s);
	}
}

/*
 * One value of a single-valued type at p[0..len); false when it cannot be
 * written.  The blob codec has checked sizes, booleans and UTF-8.
 */
static bool
write_one(StringInfo buf, uint16 type, const uint8 *p, uint32 len)
{
	switch (type)
	{
		case EWS_PT_SHORT:
			appendStringInfo(buf, "%d", (int) (int16) ews_le16(p));
			return true;
		case EWS_PT_LONG:
		case EWS_PT_ERROR:
			appendStringInfo(buf, "%d", (int32) ews_le32(p));
			return true;
		case EWS_PT_I8:
		case EWS_PT_CURRENCY:
			appendStringInfo(buf, INT64_FORMAT, (int64) ews_le64(p));
			return true;
		case EWS_PT_BOOLEAN:
			appendStringInfoString(buf, p[0] ? "true" : "false");
			return true;
		case EWS_PT_SYSTIME:
			{
				TimestampTz ts;

				return ews_filetime_to_timestamp((int64) ews_le64(p), &ts) && ews_format_time(buf, ts);
			}
		case EWS_PT_FLOAT:
			{
				uint32		bits = ews_le32(p);
				float		f;

				memcpy(&f, &bits, 4);
				write_double(buf, (double) f);
				return true;
			}
		case EWS_PT_DOUBLE:
		case EWS_PT_APPTIME:
			{
				uint64		bits = ews_le64(p);
				double		d;

				memcpy(&d, &bits, 8);
				write_double(buf, d);
				return true;
			}
		case EWS_PT_CLSID:
			if (len != 16)
				return false;
			write_guid_text(buf, p);
			return true;
		case EWS_PT_UNICODE:
			{
				char	   *s = pnstrdup((const char *) p, len);

				sw_text(buf, s);
				pfree(s);
				return true;
			}
		case EWS_PT_BINARY:
			sw_base64(buf, p, len);
			return true;
		default:
			return false;
	}
}

static uint32
fixed_size(uint16 type)
{
	switch (type)
	{
		case EWS_PT_SHORT:
			return 2;
		case EWS_PT_LONG:
		case EWS_PT_ERROR:
		case EWS_PT_FLOAT:
			return 4;
		case EWS_PT_BOOLEAN:
			return 1;
		case EWS_PT_I8:
		case EWS_PT_CURRENCY:
		case EWS_PT_SYSTIME:
		case EWS_PT_DOUBLE:
		case EWS_PT_APPTIME:
			return 8;
		case EWS_PT_CLSID:
			return 16;
		default:
			return 0;			/* variable: uint32 length, then the bytes */
	}
}

bool
ews_prop_write_value(StringInfo buf, const EwsBlobProp *p)
{
	uint16		type = EWS_PROP_TYPE(p->tag);
	int			start = buf->len;

	if (!(type & EWS_PT_MV))
	{
		appendStringInfoString(buf, "<t:Value>");
		if (!write_one(buf, type, p->value, p->len))
		{
			buf->len = start;
			buf->data[start] = '\0';
			return false;
		}
		appendStringInfoString(buf, "</t:Value>");
		return true;
	}
	else
	{
		/* multi-valued: uint32 count, then each value in its single-valued form */
		uint16		base = type & ~EWS_PT_MV;
		uint32		size = fixed_size(base);
		const uint8 *q = p->value;
		const uint8 *end = p->value + p->len;
		uint32		count;

		if (p->len < 4)
			return false;
		count = ews_le32(q);
		q += 4;
		if (count == 0)
			return false;		/* NonEmptyArrayOfPropertyValuesType */
		appendStringInfoString(buf, "<t:Values>");
		for (uint32 i = 0; i < count; i++)
		{
			uint32		l = size;

			if (size == 0)
			{
				if (end - q < 4)
					goto bad;
				l = ews_le32(q);
				q += 4;
			}
			if ((size_t) (end - q) < l)
				goto bad;
			appendStringInfoString(buf, "<t:Value>");
			if (!write_one(buf, base, q, l))
				goto bad;
			appendStringInfoString(buf, "</t:Value>");
			q += l;
		}
		appendStringInfoString(buf, "</t:Values>");
		return true;
bad:
		buf->len = start;
		buf->data[start] = '\0';
		return false;
	}
}

/* ---- values in ---- */

static const char *
skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	return s;
}

/* s[0..n) all decimal digits: their value */
static bool
digits(const char *s, int n, int *v)
{
	int			acc = 0;

	for (int i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		acc = acc * 10 + (s[i] - '0');
	}
	*v = acc;
	return true;
}

bool
ews_parse_time(const char *s, TimestampTz *out)
{
	struct pg_tm tm;
	int			y,
				mo,
				d,
				h,
				mi,
				sec;
	fsec_t		fsec = 0;
	int			offset = 0;		/* seconds east of UTC */
	Timestamp	ts;

	memset(&tm, 0, sizeof(tm));
	s = skip_space(s);
	if (strlen(s) < 19 ||
		!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
		!digits(s + 8, 2, &d) || s[10] != 'T' || !digits(s + 11, 2, &h) || s[13] != ':' ||
		!digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
		return false;
	s += 19;
	if (*s == '.')
	{
		int			scale = 100000;

		s++;
		if (*s < '0' || *s > '9')
			return false;
		for (; *s >= '0' && *s <= '9'; s++)
		{
			fsec += (*s - '0') * scale;
			scale /= 10;
		}
	}
	if (*s == 'Z')
		s++;
	else if (*s == '+' || *s == '-')
	{
		int			oh,
					om;

		if (!digits(s + 1, 2, &oh) || s[3] != ':' || !digits(s + 4, 2, &om) || oh > 14 || om > 59)
			return false;
		offset = (oh * 60 + om) * 60 * (*s == '+' ? 1 : -1);
		s += 6;
	}
	if (*skip_space(s) != '\0')
		return false;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > day_tab[isleap(y)][mo - 1] ||
		h > 23 || mi > 59 || sec > 59)
		return false;
	tm.tm_year = y;
	tm.tm_mon = mo;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (tm2timestamp(&tm, fsec, NULL, &ts) != 0)
		return false;
	ts -= (int64) offset * USECS_PER_SEC;
	if (!IS_VALID_TIMESTAMP(ts))
		return false;
	*out = ts;
	return true;
}

bool
ews_parse_bool(const char *s, bool *out)
{
	const char *b = skip_space(s);
	size_t		l = strlen(b);

	while (l > 0 && (b[l - 1] == ' ' || b[l - 1] == '\t' || b[l - 1] == '\r' || b[l - 1] == '\n'))
		l--;
	if ((l == 4 && strncmp(b, "true", 4) == 0) || (l == 1 && b[0] == '1'))
		*out = true;
	else if ((l == 5 && strncmp(b, "false", 5) == 0) || (l == 1 && b[0] == '0'))
		*out = false;
	else
		return false;
	return true;
}

bool
ews_parse_int(const char *s, int64 min, int64 max, int64 *out)
{
	const char *p = skip_space(s);
	bool		neg = false;
	uint64		acc = 0;
	int			n = 0;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	for (; *p >= '0' && *p <= '9'; p++, n++)
	{
		if (acc > (PG_UINT64_MAX - 9) / 10)
			return false;
		acc = acc * 10 + (uint64) (*p - '0');
	}
	if (n == 0 || *skip_space(p) != '\0')
		return false;
	if (neg)
	{
		if (acc > (uint64) PG_INT64_MAX + 1)
			return false;
		*out = acc == (uint64) PG_INT64_MAX + 1 ? PG_INT64_MIN : -(int64) acc;
	}
	else
	{
		if (acc > (uint64) PG_INT64_MAX)
			return false;
		*out = (int64) acc;
	}
	return *out >= min && *out <= max;
}

bool
ews_parse_float(const char *s, double *out)
{
	const char *p = skip_space(s);
	char	   *end;
	double		d;

	if (strcmp(p, "INF") == 0)
		d = INFINITY;
	else if (strcmp(p, "-INF") == 0)
		d = -INFINITY;
	else if (strcmp(p, "NaN") == 0)
		d = NAN;
	else
	{
		/* xs:double has no hex form, no "inf"/"nan" spellings strtod would take */
		for (const char *c = p; *c; c++)
			if (!(isdigit((unsigned char) *c) || *c == '.' || *c == 'e' || *c == 'E' ||
				  *c == '+' || *c == '-' || *c == ' '))
				return false;
		errno = 0;
		d = strtod(p, &end);
		if (end == p || *skip_space(end) != '\0' || errno == ERANGE)
			return false;
	}
	*out = d;
	return true;
}

static const char *const importance_names[] = {"Low", "Normal", "High"};
static const char *const sensitivity_names[] = {"Normal", "Personal", "Private", "Confidential"};
static const char *const flag_status_names[] = {"NotFlagged", "Complete", "Flagged"};

const char *
ews_importance_name(int v)
{
	return v >= 0 && v < lengthof(importance_names) ? importance_names[v] : NULL;
}

bool
ews_importance_value(const char *s, int *v)
{
	for (int i = 0; i < lengthof(importance_names); i++)
		if (strcmp(s, importance_names[i]) == 0)
		{
			*v = i;
			return true;
		}
	return false;
}

const char *
ews_sensitivity_name(int v)
{
	return v >= 0 && v < lengthof(sensitivity_names) ? sensitivity_names[v] : NULL;
}

bool
ews_sensitivity_value(const char *s, int *v)
{
	for (int i = 0; i < lengthof(sensitivity_names); i++)
		if (strcmp(s, sensitivity_names[i]) == 0)
		{
			*v = i;
			return true;
		}
	return false;
}

const char *
ews_flag_status_name(int v)
{
	return v >= 0 && v < lengthof(flag_status_names) ? flag_status_names[v] : NULL;
}
