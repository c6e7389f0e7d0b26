/*
 * item.h
 *	  Item operations of the store core: ExportItems, UploadItems and
 *	  CreateItem from an RFC 5322 message.
 *
 * The stored form of an item is its blob (blob.h, DESIGN.md "Item blob
 * format"); a few columns of ews.item are extracted from it on every write.
 */
#ifndef EWS_ITEM_H
#define EWS_ITEM_H

#include "store.h"

/* an item as a request names it: ItemId/@Id and ItemId/@ChangeKey */
typedef struct EwsItemRef
{
	const char *id;
	const char *change_key;		/* optional (NULL) */
} EwsItemRef;

typedef struct EwsExportedItem
{
	char	   *item_id;		/* the id as requested (ids have one spelling) */
	char	   *change_key;		/* palloc'd text: the CURRENT change key */
	bytea	   *blob;			/* the stored bytes, detoasted, palloc'd */
} EwsExportedItem;

/*
 * ExportItems of a batch: for each ref, in input order, its answer is handed
 * to emit (out is NULL for an error); one lookup per mailbox for the whole
 * batch instead of one per id.
 *
 * With detoast, out->blob is detoasted just before emit and freed just after
 * it, so a batch of large items never holds more than one of them in memory;
 * emit must copy what it keeps.  Without, out->blob is the stored datum as
 * the table holds it, usually a toast pointer, valid for the rest of the
 * statement: the SQL face returns it so, as PostgreSQL's own SQL and
 * PL/pgSQL set-returning functions return table values, and its caller
 * fetches the bytes exactly as a plain SELECT would (see item.c).
 */
typedef void (*EwsExportEmit) (void *arg, int index, const EwsExportedItem *out, const EwsStatus *st);

/*
 * Optional: called once, after the lookup and before any blob is read,
 * with each input's stored blob size in bytes (-1 for an input that will be
 * an error).  It returns how many inputs, from the first, to export: those
 * after get no emit (the caller answers them).  So a caller can size its
 * output exactly, and stop a batch that would not fit, without reading a
 * byte of the blobs.
 */
typedef int (*EwsExportPlan) (void *arg, const int64 *sizes, int n);

extern void ews_item_export_batch(EwsCtx *ctx, const EwsItemRef *refs, int n, bool detoast,
								  EwsExportPlan plan, EwsExportEmit emit, void *arg);

typedef enum EwsUploadAction
{
	EWS_UPLOAD_CREATE_NEW,
	EWS_UPLOAD_UPDATE,
	EWS_UPLOAD_UPDATE_OR_CREATE
} EwsUploadAction;

/* CreateAction by its EWS name (CreateNew, Update, UpdateOrCreate); false if none */
extern bool ews_upload_action_from_name(const char *name, EwsUploadAction *action);

typedef struct EwsUploadInput
{
	EwsFolderRef parent;		/* ParentFolderId */
	EwsUploadAction action;
	bool		is_associated;
	const char *item_id;		/* ItemId/@Id, NULL when absent */
	const char *change_key;		/* ItemId/@ChangeKey, NULL when absent */
	const uint8 *data;			/* the decoded Data; NULL when absent */
	size_t		len;
} EwsUploadInput;

/*
 * UploadItems of one item.  On success *item_id and *change_key are
 * palloc'd texts; on failure nothing was written and they are NULL.
 */
extern void ews_item_upload(EwsCtx *ctx, const EwsUploadInput *in, char **item_id, char **change_key,
							EwsStatus *st);

/* CreateItem from an RFC 5322 message (ews_create_item) */
extern void ews_item_create_from_mime(EwsCtx *ctx, const EwsFolderRef *parent, const uint8 *mime, size_t len,
									  char **item_id, char **change_key, EwsStatus *st);

#endif
