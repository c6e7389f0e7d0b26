/*
 * content.h
 *	  The content state of folders: article numbers, item counts, the last
 *	  content change, and the tombstones of items that left a folder.
 *
 * Every write that changes what a folder holds (an item created in it,
 * changed, deleted, moved in or out) goes through an EwsContent for the
 * call: it first locks the rows of the folders it will touch (in
 * (mailbox_id, folder_id) order, held to the end of the transaction), and
 * only then takes change numbers for items of those folders.  So the item
 * changes of one folder happen in commit order:
 *
 *	- article numbers (PidTagInternetArticleNumber, DavMail's IMAP UID) grow
 *	  in the order items become visible, never reused in the folder;
 *	- the counters (TotalCount, UnreadCount, associated items) are exact;
 *	- a sync watermark, "the highest change number seen in this folder",
 *	  never skips a change that commits later.
 *
 * The accumulated counts are written to each folder row once, by
 * ews_content_end, which the caller must reach in the (sub)transaction that
 * made the changes (an error before it aborts that transaction, and with it
 * the changes).  Writes to different folders are not serialized.
 */
#ifndef EWS_CONTENT_H
#define EWS_CONTENT_H

#include "postgres.h"

#include "utils/uuid.h"

typedef struct EwsContentFolder
{
	pg_uuid_t	mailbox;
	int64		folder_id;
	int64		next_article;	/* the next article number to hand out */
	int32		d_total;		/* count changes not yet written */
	int32		d_unread;
	int32		d_assoc;
	int64		cn;				/* change number of the last content change here */
	bool		changed;
	bool		removed;		/* items left: trim old tombstones (sync.h) */
} EwsContentFolder;

typedef struct EwsContent
{
	EwsContentFolder *folders;
	int			n;
	int			cap;
	MemoryContext cxt;
} EwsContent;

/* start accounting for one call; its state lives in the current memory context */
extern void ews_content_begin(EwsContent *c);

/*
 * Lock the content state of these folders of a mailbox for the rest of the
 * transaction, in folder_id order (duplicates and folders already locked by
 * this EwsContent are skipped).  False when one of them does not exist
 * (deleted meanwhile): then nothing further must be written to it.  Lock
 * every folder a call will touch in one call where it can: two calls that
 * each lock a share of the same folders in different orders can deadlock.
 */
extern bool ews_content_lock(EwsContent *c, const pg_uuid_t *mailbox, const int64 *folder_ids, int n);

/* is this folder locked by c? */
extern bool ews_content_locked(EwsContent *c, const pg_uuid_t *mailbox, int64 folder_id);

/*
 * An item arrives in a locked folder (created, moved or copied in) with
 * change number cn: returns its article number.
 */
extern int64 ews_content_add(EwsContent *c, const pg_uuid_t *mailbox, int64 folder_id,
							 bool is_associated, bool is_read, int64 cn);

/* an item of a locked folder changed: its flags before and after */
extern void ews_content_change(EwsContent *c, const pg_uuid_t *mailbox, int64 folder_id,
							   bool was_associated, bool was_read, bool is_associated, bool is_read,
							   int64 cn);

/*
 * An item leaves a locked folder (deleted, or moved out) with change number
 * cn: the counts go down and a tombstone records it for SyncFolderItems.
 */
extern void ews_content_remove(EwsContent *c, const pg_uuid_t *mailbox, int64 folder_id,
							   int64 item_id, int64 created_cn, bool is_associated, bool is_read,
							   int64 cn);

/*
 * Set-based writers (EmptyFolder) account many items at once.  n_total,
 * n_unread, n_assoc items leave a locked folder with change number cn: the
 * caller's statement writes their tombstones.
 */
extern void ews_content_remove_many(EwsContent *c, const pg_uuid_t *mailbox, int64 folder_id,
									int n_total, int n_unread, int n_assoc, int64 cn);

/* ... or arrive in it: returns the first of n_total + n_assoc consecutive article numbers */
extern int64 ews_content_add_many(EwsContent *c, const pg_uuid_t *mailbox, int64 folder_id,
								  int n_total, int n_unread, int n_assoc, int64 cn);

/* write each changed folder's row once */
extern void ews_content_end(EwsContent *c);

#endif
