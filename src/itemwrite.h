/*
 * itemwrite.h
 *	  Item writes of the store core: CreateItem, UpdateItem, DeleteItem,
 *	  MoveItem and CopyItem, and the write path every item write shares
 *	  (UploadItems and ews_create_item too).
 *
 * The rules, in the order a batch applies them (design note section 5):
 *
 *	1. Resolve every input first, without writing or locking anything: ids
 *	   decoded, mailboxes looked up for what the operation needs (reading
 *	   or writing), the folder of each item found.  An item's folder never
 *	   changes under its id: a move gives the item a new id (as Exchange
 *	   and gromox do), so what was found stays the folder to lock.
 *	2. Lock the content state of every folder the batch will touch, in one
 *	   ews_content_lock call per mailbox, mailboxes in GUID order: folders
 *	   in (mailbox_id, folder_id) order, so two batches never wait for each
 *	   other in opposite orders.  Folders before items, always.
 *	3. Then, input by input in request order, lock the item's row, check
 *	   what needs the current row (it may have gone meanwhile:
 *	   ErrorItemNotFound; a NeverOverwrite update's ChangeKey), take the
 *	   change number, and write: the row, the folders' counters and
 *	   PidTagLocalCommitTimeMax, a tombstone for every item that leaves a
 *	   folder.  A refused input writes nothing; the others go on.
 *
 * ChangeKeys: DeleteItem, MoveItem, CopyItem and UpdateItem with
 * AutoResolve or AlwaysOverwrite take any well-formed ChangeKey, an old
 * one included (DavMail reuses the one FindItem gave it); only
 * NeverOverwrite refuses one that is not current (ErrorIrresolvableConflict).
 */
#ifndef EWS_ITEMWRITE_H
#define EWS_ITEMWRITE_H

#include "folder.h"
#include "item.h"
#include "mime.h"
#include "props.h"

/* ---- what a request asks to write: edits of an item's properties ---- */

typedef enum EwsEditOp
{
	EWS_EDIT_SET,				/* SetItemField, and every property of a CreateItem item */
	EWS_EDIT_APPEND,			/* AppendToItemField */
	EWS_EDIT_DELETE				/* DeleteItemField */
} EwsEditOp;

typedef enum EwsEditForm
{
	EWS_EV_NONE,				/* no value (DeleteItemField) */
	EWS_EV_TEXT,				/* text / len: UTF-8 */
	EWS_EV_BOOL,
	EWS_EV_INT,
	EWS_EV_TIME,
	EWS_EV_STRINGS,				/* strings / nstrings (item:Categories) */
	EWS_EV_MAILBOXES,			/* addrs / naddrs (recipients, From, Sender) */
	EWS_EV_BODY,				/* text / len, html */
	EWS_EV_BYTES				/* bytes / nbytes: MimeContent decoded; an extended
								 * property's value as the blob stores it */
} EwsEditForm;

typedef struct EwsEditValue
{
	EwsEditForm form;
	const char *text;
	size_t		len;
	bool		b;
	int64		i;
	TimestampTz t;
	char	  **strings;
	int			nstrings;
	EwsMimeAddress *addrs;
	int			naddrs;
	bool		html;
	const uint8 *bytes;
	size_t		nbytes;
} EwsEditValue;

/*
 * One change of one property.  A t:FieldURI names a field of the property
 * table (props.h); a t:ExtendedFieldURI a blob property, which is handled as
 * the field whose property it is when there is one (0x0037 is item:Subject,
 * PublicStrings Keywords is item:Categories), so both spellings of one
 * property follow the same rules.
 */
typedef struct EwsItemEdit
{
	EwsEditOp	op;
	const EwsFieldDef *field;	/* the field; NULL for a property no field names */
	bool		ext;			/* named by t:ExtendedFieldURI: key and type */
	EwsPropKey	key;
	bool		ignored;		/* a FieldURI of the schema the store does not
								 * keep (item:Culture, calendar:Start, ...):
								 * accepted, nothing stored, as GetItem leaves
								 * it out */
	EwsEditValue v;
	/* refused while the request was read: the whole item or change gets it */
	EwsCode		error;
	const char *error_text;
} EwsItemEdit;

/*
 * The value of an extended property in the blob's form, from the text of
 * its t:Value elements (as_array: they were in t:Values; an array type
 * also takes a lone t:Value as an array of one): Integer and
 * the other numbers in decimal, Boolean true/false/1/0, SystemTime
 * xs:dateTime (fractions kept to 100 ns), Binary and CLSID base64 (CLSID
 * also as GUID text), String as it is.  False with *error set (a sentence)
 * when a value does not fit its type (ErrorInvalidExtendedPropertyValue).
 */
extern bool ews_ext_value_encode(uint16 type, const char *const *values, int n, bool as_array,
								 EwsEditValue *out, const char **error);

/* the element an item of this class is written as in responses (t:Message, ...) */
#define ews_item_write_element(cls) ews_item_element(cls)

/* ---- answers ---- */

typedef struct EwsItemWritten
{
	char	   *item_id;		/* the item's id (new for create, move, copy) */
	char	   *change_key;
	const char *element;		/* what the item is written as: Message, Item, ... */
	int			conflicts;		/* UpdateItem: m:ConflictResults/t:Count */
} EwsItemWritten;

/*
 * Each input's answer, in input order: out is NULL for an error, and for
 * a success that returns no item (DeleteItem, MoveItem/CopyItem without
 * ReturnNewItemIds).  The memory of one input is freed after emit returns:
 * emit copies what it keeps.
 */
typedef void (*EwsItemWriteEmit) (void *arg, int index, const EwsItemWritten *out, const EwsStatus *st);

/* MessageDisposition */
typedef enum EwsDisposition
{
	EWS_DISPOSITION_SAVE_ONLY,
	EWS_DISPOSITION_SEND_ONLY,
	EWS_DISPOSITION_SEND_AND_SAVE_COPY
} EwsDisposition;

extern bool ews_disposition_from_name(const char *name, EwsDisposition *d);

/* ConflictResolution */
typedef enum EwsConflictResolution
{
	EWS_CONFLICT_NEVER_OVERWRITE,
	EWS_CONFLICT_AUTO_RESOLVE,
	EWS_CONFLICT_ALWAYS_OVERWRITE
} EwsConflictResolution;

extern bool ews_conflict_resolution_from_name(const char *name, EwsConflictResolution *c);

/* ---- CreateItem ---- */

typedef struct EwsCreateInput
{
	const char *element;		/* Message, Item, PostItem, CalendarItem, Contact, Task, ... */
	const uint8 *mime;			/* t:MimeContent decoded, NULL when absent */
	size_t		mime_len;
	EwsItemEdit *edits;			/* every other property, in request order */
	int			nedits;
	EwsCode		error;			/* refused while reading (an item kind the store cannot create) */
	const char *error_text;
} EwsCreateInput;

/*
 * CreateItem into one folder (folder NULL: the acting mailbox's drafts, as
 * the EWS reference says when SavedItemFolderId is absent).  Items come
 * from their MIME (its fields read from it, the request's properties
 * overriding them) or from properties alone (then the store writes their
 * message with the generator and stores it, so GetItem MimeContent and
 * ExportItems return it).  SendOnly and SendAndSaveCopy are refused: the
 * store has no mail transport (ErrorMessageSubmissionBlocked).
 */
extern void ews_item_create_batch(EwsCtx *ctx, const EwsFolderRef *folder, EwsDisposition disposition,
								  const EwsCreateInput *in, int n, EwsItemWriteEmit emit, void *arg);

/* ---- UpdateItem ---- */

typedef struct EwsUpdateInput
{
	EwsItemRef	ref;
	EwsItemEdit *edits;
	int			nedits;
	EwsCode		error;			/* refused while reading */
	const char *error_text;
} EwsUpdateInput;

extern void ews_item_update_batch(EwsCtx *ctx, EwsConflictResolution cr, EwsDisposition disposition,
								  const EwsUpdateInput *in, int n, EwsItemWriteEmit emit, void *arg);

/* ---- DeleteItem, MoveItem, CopyItem ---- */

extern void ews_item_delete_batch(EwsCtx *ctx, EwsDeleteType type, const EwsItemRef *refs, int n,
								  EwsItemWriteEmit emit, void *arg);

/*
 * MoveItem (copy false) and CopyItem into one folder of the items' own
 * mailbox.  A moved item gets a new id and a new article number in the
 * target; its old id answers ErrorItemNotFound from then on.  A copy is a
 * new item.  Neither rewrites the item's blob: its bytes (and so the
 * PidTagChangeKey inside, the one of its last write) travel as they are.
 * With return_ids false the answers carry no item (ReturnNewItemIds).
 */
extern void ews_item_move_batch(EwsCtx *ctx, bool copy, const EwsFolderRef *target, const EwsItemRef *refs,
								int n, bool return_ids, EwsItemWriteEmit emit, void *arg);

/* ---- the write path every item write shares (itemwrite.c) ---- */

/* the row of an item that a write replaces, locked */
typedef struct EwsExistingItem
{
	int64		local_id;
	int64		change_number;
	int64		content_cn;
	bool		is_associated;
	bool		is_read;
} EwsExistingItem;

/*
 * The blob checks of every write: the size limit (ews.max_item_size), then
 * everything ews_blob_validate checks; on success *merged_len is the size
 * the blob will have with the store's two properties, which must also fit
 * the limit, so that what is exported can always be uploaded again.
 */
extern bool ews_item_check_blob(const uint8 *data, size_t len, size_t *merged_len, EwsStatus *st);

/*
 * Write one item into a folder whose content is locked (ews_content_lock):
 * a new change number, the blob with PidTagLastModificationTime and
 * PidTagChangeKey stamped in, every extracted column derived from it, the
 * folder's counters; then the one INSERT (existing NULL; local_id 0 takes
 * a new one) or UPDATE.  read_flag_only: an update that changed nothing but
 * the read flag (its content_cn stays; sync reports a ReadFlagChange).
 * data has passed ews_item_check_blob.  On return *item_id and *change_key
 * are palloc'd texts, *item_class the class written.
 */
extern void ews_item_write(EwsCtx *ctx, const EwsFolder *folder, const EwsExistingItem *existing, int64 local_id,
						   bool is_associated, bool read_flag_only, const uint8 *data, size_t len,
						   size_t merged_len, char **item_id, char **change_key);

/* ---- the edit engine (itemedit.c) ---- */

/*
 * What an item is while a create or an update changes it: its blob, and its
 * message (0x7E01) when it has one.  ews_item_edit_apply runs the edits in
 * order and makes the new blob (without the store's two properties; the
 * writer stamps them).  The rules are in itemedit.c; in short: flags and
 * other properties change the blob only, never the message; message fields
 * change the message (header rewritten, or body made anew) and drop the
 * blob's copies of them, or, for an item without a message, change the
 * blob's properties; recipients give an item without one a message.
 */
typedef struct EwsEditTarget
{
	const uint8 *blob;			/* validated, as stored (or built for a create) */
	size_t		len;
	bool		creating;		/* CreateItem: properties set on a new item */
	bool		make_message;	/* CreateItem from properties: write its message */
	uint64		seed;			/* the item's local id: generated messages are
								 * deterministic per item */
} EwsEditTarget;

typedef struct EwsEditResult
{
	uint8	   *blob;			/* the new blob, palloc'd */
	size_t		len;
	bool		read_flag_only; /* nothing changed but the read bit of 0x0E07 */
	bool		message_rewritten;	/* the message's bytes changed */
} EwsEditResult;

extern bool ews_item_edit_apply(const EwsEditTarget *t, const EwsItemEdit *edits, int n,
								EwsEditResult *res, EwsStatus *st);

/* the blob of an item made from an RFC 5322 message (ews_create_item, CreateItem with MimeContent) */
extern bool ews_item_blob_from_mime(const uint8 *mime, size_t len, const char *item_class, uint8 **blob,
									size_t *blob_len, EwsStatus *st);

#endif
