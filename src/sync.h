/*
 * sync.h
 *	  SyncFolderItems and SyncFolderHierarchy in the store core, the
 *	  tombstones of folders, and the trimming of every tombstone.
 *
 * Both faces call these: src/soap_sync.c writes the changes as EWS XML,
 * src/sqlface_sync.c as rows.  The rules (what a state means, what is a
 * Create, an Update, a ReadFlagChange or a Delete, paging) live in sync.c.
 */
#ifndef EWS_SYNC_H
#define EWS_SYNC_H

#include "store.h"

#include "utils/timestamp.h"

/* MaxChangesReturned, as MaxSyncChangesReturnedType allows */
#define EWS_SYNC_MAX_CHANGES 512

typedef enum EwsSyncChange
{
	EWS_SYNC_CREATE,
	EWS_SYNC_UPDATE,
	EWS_SYNC_DELETE,
	EWS_SYNC_READ_FLAG			/* items only: t:ReadFlagChange */
} EwsSyncChange;

/* "Create", "Update", "Delete", "ReadFlagChange" */
extern const char *ews_sync_change_name(EwsSyncChange c);

/* ---- SyncFolderItems ---- */

typedef struct EwsSyncItem
{
	EwsSyncChange change;
	int64		item_id;
	int64		change_number;	/* the item's now; for Delete the removal's */
	bool		is_read;
	bool		is_associated;
	/* what the SQL face shows of a Create or Update (NULL / unset for the others) */
	char	   *item_class;
	char	   *subject;
	bool		has_received;
	TimestampTz received_at;
	int32		size;
	int64		article_number;
} EwsSyncItem;

typedef struct EwsSyncItemsArgs
{
	EwsFolderRef folder;		/* SyncFolderId */
	const char *state;			/* SyncState; NULL or "" for a first sync */
	int			max_changes;	/* MaxChangesReturned, 1..EWS_SYNC_MAX_CHANGES */
	bool		associated;		/* SyncScope NormalAndAssociatedItems */
	const char *const *ignore;	/* Ignore: ItemIds (ChangeKeys are not needed) */
	int			n_ignore;
} EwsSyncItemsArgs;

typedef struct EwsSyncItemsResult
{
	EwsFolder	folder;
	EwsSyncItem *items;			/* the changes, in the order to report them */
	int			n;
	char	   *state;			/* the next SyncState */
	bool		includes_last;	/* IncludesLastItemInRange */
} EwsSyncItemsResult;

/*
 * One page of the changes of a folder's items since args->state.  False
 * with *st set when the folder cannot be synced (the folder errors, with
 * ErrorSyncFolderNotFound for a folder that does not exist), an Ignore id
 * is malformed, or the state is not one this folder may use
 * (ErrorInvalidSyncStateData, with a MessageText saying why).  Reads only,
 * all in the calling statement's snapshot.
 */
extern bool ews_sync_items(EwsCtx *ctx, const EwsSyncItemsArgs *args, EwsSyncItemsResult *res,
						   EwsStatus *st);

/* ---- SyncFolderHierarchy ---- */

typedef struct EwsSyncFolder
{
	EwsSyncChange change;
	EwsFolder	folder;			/* Delete: mailbox, guid and folder_id only */
} EwsSyncFolder;

typedef struct EwsSyncHierarchyResult
{
	EwsFolder	root;
	EwsSyncFolder *folders;		/* Deletes, then Creates and Updates parents first */
	int			n;
	char	   *state;
	bool		includes_last;	/* IncludesLastFolderInRange: always true */
} EwsSyncHierarchyResult;

/*
 * The changes of the folders below root since state: root_given says
 * whether the request named it (a SyncFolderHierarchy without SyncFolderId
 * passes the acting mailbox's root and false; states of the two kinds do
 * not mix, as in Exchange).
 */
extern bool ews_sync_hierarchy(EwsCtx *ctx, const EwsFolderRef *root, bool root_given,
							   const char *state, EwsSyncHierarchyResult *res, EwsStatus *st);

/* ---- what the hierarchy operations tell sync (src/folder.c) ---- */

/*
 * A folder leaves its parent for another (MoveFolder, DeleteFolder's
 * SoftDelete and MoveToDeletedItems), with change number cn.  Called under
 * the mailbox's hierarchy lock, before the folder's row is changed.
 */
extern void ews_sync_folder_moved(const pg_uuid_t *mailbox, int64 folder_id, int64 cn);

/*
 * The folders below top (and top itself when include_top) are about to be
 * removed with change number cn (DeleteFolder's HardDelete, EmptyFolder's
 * subfolders).  Called under the hierarchy lock, before the DELETE.
 */
extern void ews_sync_folders_removed(const pg_uuid_t *mailbox, int64 top_id, bool include_top, int64 cn);

/* ---- tombstone policy ---- */

extern int	ews_tombstone_max_age;	/* ews.tombstone_max_age, seconds; 0: no limit */
extern int	ews_tombstone_max_count;	/* ews.tombstone_max_count; 0: no limit */

/* define the settings above (called from _PG_init) */
extern void ews_sync_define_gucs(void);

/*
 * Trim a folder's item tombstones older than ews.tombstone_max_age, at
 * most a bounded batch per call.  Called by item writes (content.c) for a
 * folder items left, under that folder's content lock.
 */
extern void ews_sync_trim_folder(const pg_uuid_t *mailbox, int64 folder_id);

/*
 * Trim every tombstone older than max_age_secs or beyond the newest
 * max_count of its folder (item tombstones) or mailbox (folder tombstones);
 * a negative value takes the setting.  Returns how many of each went.
 */
extern void ews_sync_trim_all(EwsCtx *ctx, int64 max_age_secs, int64 max_count,
							  int64 *items_removed, int64 *folders_removed);

#endif
