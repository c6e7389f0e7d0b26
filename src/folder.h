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

extern void ews_folder_create(EwsCtx *ctx, const EwsFolderRef *parent, const char *display_name,
							  const char *folder_class, EwsFolder *out, EwsStatus *st);
extern void ews_folder_get(EwsCtx *ctx, const EwsFolderRef *ref, EwsFolder *out, EwsStatus *st);
/*
 * The folders below parent (children, or the whole subtree in pre-order), as
 * EwsFolder *, with counts; with a restriction (FindFolder's m:Restriction),
 * only those that match it (a Deep traversal still descends through the
 * others).
 */
struct EwsRestriction;
extern List *ews_folder_find(EwsCtx *ctx, const EwsFolderRef *parent, bool deep,
							 const struct EwsRestriction *restriction, EwsStatus *st);
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
