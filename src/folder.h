/*
 * folder.h
 *	  Folder operations of the store core: CreateFolder, GetFolder,
 *	  FindFolder, DeleteFolder (and MoveFolder, CopyFolder).
 */
#ifndef EWS_FOLDER_H
#define EWS_FOLDER_H

#include "store.h"

#include "nodes/pg_list.h"

typedef enum EwsDeleteType
{
	EWS_DELETE_HARD,
	EWS_DELETE_SOFT,
	EWS_DELETE_TO_DELETED_ITEMS
} EwsDeleteType;

/* DeleteType by its EWS name (HardDelete, SoftDelete, MoveToDeletedItems); false if none */
extern bool ews_delete_type_from_name(const char *name, EwsDeleteType *type);

/* longest display name we store, in bytes (Exchange allows 255 characters) */
#define EWS_MAX_FOLDER_NAME 1024

/*
 * Deepest folder: root is at depth 0 (msgfolderroot 1, inbox 2), and no
 * create, move or copy may put a folder deeper than this.  Exchange's limit
 * (the mailbox quota FolderHierarchyDepthReceiveQuota, 300).
 */
#define EWS_MAX_FOLDER_DEPTH 300

extern void ews_folder_create(EwsCtx *ctx, const EwsFolderRef *parent, const char *display_name,
							  const char *folder_class, EwsFolder *out, EwsStatus *st);
extern void ews_folder_get(EwsCtx *ctx, const EwsFolderRef *ref, EwsFolder *out, EwsStatus *st);
/*
 * FindFolder in two steps, so that the cost of a page does not grow with
 * the folders around it.  ews_folder_find_list gives the folders below
 * parent, in order (Shallow: the children by name; Deep: the whole subtree
 * in pre-order, siblings by name), as a light list of ids; a page of it is
 * then fetched whole, counts computed for that page only.
 */
typedef struct EwsFolderList
{
	pg_uuid_t	mailbox_id;
	char		guid[EWS_GUID_CHARS + 1];
	EwsAccess	access;			/* the rights the parent was resolved with (EffectiveRights) */
	bool		delegated;
	int64		n;				/* folders in the list */
	int64	   *ids;			/* their local ids, in order */
} EwsFolderList;

/*
 * NULL with *st set when the parent cannot be used.  With a restriction
 * (FindFolder's m:Restriction) the list keeps only the folders that match
 * it, in the same order: a Deep traversal still descends through the others.
 */
struct EwsRestriction;
extern EwsFolderList *ews_folder_find_list(EwsCtx *ctx, const EwsFolderRef *parent, bool deep,
										   const struct EwsRestriction *restriction, EwsStatus *st);
/* list->ids[start .. start + count) as folders (out: count of them), with counts when asked */
extern void ews_folder_find_fetch(const EwsFolderList *list, int64 start, int count, bool with_counts,
								  EwsFolder *out);
/* the counts (total, unread, subfolders) of n folders of one mailbox: the one place they are computed */
extern void ews_folder_counts_many(EwsFolder *folders, int n);

/*
 * Take the hierarchy locks of the mailboxes a batch of folder references
 * reaches, in mailbox order, before any input is handled: two batches that
 * name folders of mailboxes A and B in opposite orders then wait for each
 * other instead of deadlocking.  References that do not resolve to a usable
 * mailbox are skipped (their inputs answer their own errors later).
 */
extern void ews_folder_lock_hierarchies(EwsCtx *ctx, const EwsFolderRef *refs, int n, EwsNeed need);

/*
 * Copy what a folder result points to (names, class, status text) into the
 * current memory context: batch loops work in a per-input context that is
 * reset after each input, and keep only what they copied out.
 */
extern void ews_folder_keep(EwsFolder *f, EwsStatus *st);
extern void ews_folder_delete(EwsCtx *ctx, const EwsFolderRef *ref, EwsDeleteType type, EwsStatus *st);

/*
 * UpdateFolder of one folder: what its t:Updates ask, combined (a later
 * change of the same field wins).  error: refused while reading (a
 * read-only field, a property the store does not keep).
 */
typedef struct EwsFolderUpdate
{
	bool		set_name;
	const char *name;
	bool		set_class;
	const char *folder_class;	/* NULL with set_class: the class is deleted */
	EwsCode		error;
	const char *error_text;
} EwsFolderUpdate;

/* on success *out is the folder as it is now (same id, new change number) */
extern void ews_folder_update(EwsCtx *ctx, const EwsFolderRef *ref, const EwsFolderUpdate *u,
							  EwsFolder *out, EwsStatus *st);

/*
 * EmptyFolder of one folder: its items (not its associated ones) deleted
 * the DeleteType's way, and with delete_subfolders its subfolders too.
 */
extern void ews_folder_empty(EwsCtx *ctx, const EwsFolderRef *ref, EwsDeleteType type,
							 bool delete_subfolders, EwsStatus *st);

/* shared by the hierarchy operations; the caller holds the hierarchy lock */
extern bool ews_folder_name_taken(const pg_uuid_t *mailbox, int64 parent_id, const char *name,
								  int64 except_folder_id);
extern void ews_folder_reparent(EwsFolder *f, int64 new_parent_id, const char *new_name);

/*
 * MoveFolder and CopyFolder: one result per source, in order.  The target
 * is resolved once, under the hierarchy lock; each source is moved or copied
 * in a subtransaction of its own, completely or not at all.  out[i] holds the
 * moved folder (same id, new change number) or the new copy.
 */
extern void ews_folder_move(EwsCtx *ctx, const EwsFolderRef *target, const EwsFolderRef *sources, int n,
							EwsFolder *out, EwsStatus *st);
extern void ews_folder_copy(EwsCtx *ctx, const EwsFolderRef *target, const EwsFolderRef *sources, int n,
							EwsFolder *out, EwsStatus *st);

#endif
