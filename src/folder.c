/*
 * folder.c
 *	  Folder operations: the rules of CreateFolder, GetFolder, FindFolder and
 *	  DeleteFolder live here.
 *
 * The tree is an adjacency list (ews.folder.parent_id).  A folder's id never
 * changes, not even when it moves; every change gives it a new change
 * number and so a new ChangeKey.  Every hierarchy change first takes the
 * mailbox's hierarchy lock (ews_lock_hierarchy) and only then reads what it
 * checks, so the checks hold until commit.
 */
#include "folder.h"

#include "utils/builtins.h"

#include "mailbox.h"

bool
ews_folder_name_taken(const pg_uuid_t *mailbox, int64 parent_id, const char *name,
					  int64 except_folder_id)
{
	/* sibling names are unique compared case-insensitively, as in Exchange */
	static EwsPlan plan = {
		"SELECT 1 FROM ews.folder"
		" WHERE mailbox_id = $1 AND parent_id = $2"
		"   AND pg_catalog.lower(display_name) = pg_catalog.lower($3) AND folder_id <> $4",
		4, {UUIDOID, INT8OID, TEXTOID, INT8OID}
	};
	Datum		args[4];

	args[0] = UUIDPGetDatum(mailbox);
	args[1] = Int64GetDatum(parent_id);
	args[2] = CStringGetTextDatum(name);
	args[3] = Int64GetDatum(except_folder_id);
	return ews_exec(&plan, args, NULL, true, 1) > 0;
}

void
ews_folder_reparent(EwsFolder *f, int64 new_parent_id, const char *new_name)
{
	static EwsPlan plan = {
		"UPDATE ews.folder SET parent_id = $3, display_name = $4, change_number = $5"
		" WHERE mailbox_id = $1 AND folder_id = $2",
		5, {UUIDOID, INT8OID, INT8OID, TEXTOID, INT8OID}
	};
	Datum		args[5];
	int64		cn = ews_next_change_number();

	args[0] = UUIDPGetDatum(&f->mailbox_id);
	args[1] = Int64GetDatum(f->folder_id);
	args[2] = Int64GetDatum(new_parent_id);
	args[3] = CStringGetTextDatum(new_name);
	args[4] = Int64GetDatum(cn);
	if (ews_exec(&plan, args, NULL, false, 0) != 1)
		elog(ERROR, "folder " INT64_FORMAT " vanished under the hierarchy lock", f->folder_id);
	f->parent_id = new_parent_id;
	f->display_name = pstrdup(new_name);
	f->change_number = cn;
}

static bool
display_name_valid(const char *name, EwsStatus *st)
{
	const char *p = name;

	if (name == NULL)
	{
		ews_status_set(st, EWS_ErrorFolderSavePropertyError, "The folder needs a display name.");
		return false;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
	{
		ews_status_set(st, EWS_ErrorFolderSavePropertyError, "The folder display name is empty.");
		return false;
	}
	if (strlen(name) > EWS_MAX_FOLDER_NAME)
	{
		ews_status_set(st, EWS_ErrorFolderSavePropertyError,
					   psprintf("The folder display name is longer than %d bytes.", EWS_MAX_FOLDER_NAME));
		return false;
	}
	return true;
}

void
ews_folder_create(EwsCtx *ctx, const EwsFolderRef *parent, const char *display_name,
				  const char *folder_class, EwsFolder *out, EwsStatus *st)
{
	static EwsPlan plan = {
		"INSERT INTO ews.folder (mailbox_id, folder_id, parent_id, display_name,"
		"                        folder_class, distinguished, change_number)"
		" VALUES ($1, $2, $3, $4, $5, NULL, $6)",
		6, {UUIDOID, INT8OID, INT8OID, TEXTOID, TEXTOID, INT8OID}
	};
	EwsFolder	p;
	Datum		args[6];
	char		nulls[6] = "      ";

	if (!display_name_valid(display_name, st))
		return;
	if (!ews_folder_resolve(ctx, parent, true, &p, st))
	{
		if (st->code == EWS_ErrorFolderNotFound)
			ews_status_set(st, EWS_ErrorParentFolderNotFound, NULL);
		return;
	}
	if (ews_folder_name_taken(&p.mailbox_id, p.folder_id, display_name, 0))
	{
		ews_status_set(st, EWS_ErrorFolderExists, NULL);
		return;
	}
	memset(out, 0, sizeof(*out));
	out->mailbox_id = p.mailbox_id;
	strlcpy(out->guid, p.guid, sizeof(out->guid));
	out->folder_id = ews_next_local_id();
	out->change_number = ews_next_change_number();
	out->parent_id = p.folder_id;
	out->parent_change = p.change_number;
	out->display_name = pstrdup(display_name);
	/* the class is kept exactly as given, and stays NULL when none was: never invent one */
	out->folder_class = folder_class ? pstrdup(folder_class) : NULL;

	args[0] = UUIDPGetDatum(&out->mailbox_id);
	args[1] = Int64GetDatum(out->folder_id);
	args[2] = Int64GetDatum(out->parent_id);
	args[3] = CStringGetTextDatum(display_name);
	args[4] = folder_class ? CStringGetTextDatum(folder_class) : (Datum) 0;
	nulls[4] = folder_class ? ' ' : 'n';
	args[5] = Int64GetDatum(out->change_number);
	ews_exec(&plan, args, nulls, false, 0);
	ews_status_ok(st);
}

void
ews_folder_get(EwsCtx *ctx, const EwsFolderRef *ref, EwsFolder *out, EwsStatus *st)
{
	if (!ews_folder_resolve(ctx, ref, false, out, st))
		return;
	ews_folder_counts(out);
}

List *
ews_folder_find(EwsCtx *ctx, const EwsFolderRef *parent, bool deep, EwsStatus *st)
{
	/*
	 * Shallow: the children by name.  Deep: the whole subtree in pre-order,
	 * siblings by name, which is the order a tree view shows.
	 */
	static EwsPlan plan = {
		"WITH RECURSIVE t(folder_id, path) AS ("
		"   SELECT c.folder_id, ARRAY[c.display_name] FROM ews.folder c"
		"    WHERE c.mailbox_id = $1 AND c.parent_id = $2"
		"  UNION ALL"
		"   SELECT c.folder_id, t.path || c.display_name FROM t JOIN ews.folder c"
		"     ON c.mailbox_id = $1 AND c.parent_id = t.folder_id"
		"    WHERE $3"
		")"
		" SELECT f.folder_id, f.parent_id, f.display_name, f.folder_class, f.distinguished,"
		"        f.change_number, p.change_number,"
		"        (SELECT pg_catalog.count(*) FROM ews.item i WHERE i.mailbox_id = $1"
		"           AND i.folder_id = f.folder_id AND NOT i.is_associated)::int4,"
		"        (SELECT pg_catalog.count(*) FROM ews.folder s WHERE s.mailbox_id = $1"
		"           AND s.parent_id = f.folder_id)::int4,"
		"        (SELECT pg_catalog.count(*) FROM ews.item i WHERE i.mailbox_id = $1"
		"           AND i.folder_id = f.folder_id AND NOT i.is_associated AND NOT i.is_read)::int4"
		" FROM t JOIN ews.folder f ON f.mailbox_id = $1 AND f.folder_id = t.folder_id"
		"        JOIN ews.folder p ON p.mailbox_id = $1 AND p.folder_id = f.parent_id"
		" ORDER BY t.path",
		3, {UUIDOID, INT8OID, BOOLOID}
	};
	EwsFolder	p;
	Datum		args[3];
	uint64		n;
	List	   *result = NIL;

	if (!ews_folder_resolve(ctx, parent, false, &p, st))
		return NIL;
	args[0] = UUIDPGetDatum(&p.mailbox_id);
	args[1] = Int64GetDatum(p.folder_id);
	args[2] = BoolGetDatum(deep);
	n = ews_exec(&plan, args, NULL, true, 0);
	for (uint64 r = 0; r < n; r++)
	{
		EwsFolder  *f = palloc0(sizeof(EwsFolder));

		f->mailbox_id = p.mailbox_id;
		strlcpy(f->guid, p.guid, sizeof(f->guid));
		f->folder_id = ews_col_int64(r, 1);
		f->parent_id = ews_col_int64(r, 2);
		f->display_name = ews_col_text(r, 3);
		f->folder_class = ews_col_text(r, 4);
		f->distinguished = ews_col_text(r, 5);
		f->change_number = ews_col_int64(r, 6);
		f->parent_change = ews_col_int64(r, 7);
		f->total_count = ews_col_int32(r, 8);
		f->child_count = ews_col_int32(r, 9);
		f->unread_count = ews_col_int32(r, 10);
		result = lappend(result, f);
	}
	return result;
}

static int64
distinguished_folder_id(const pg_uuid_t *mailbox, const char *name)
{
	static EwsPlan plan = {
		"SELECT folder_id FROM ews.folder WHERE mailbox_id = $1 AND distinguished = $2",
		2, {UUIDOID, TEXTOID}
	};
	Datum		args[2];

	args[0] = UUIDPGetDatum(mailbox);
	args[1] = CStringGetTextDatum(name);
	if (ews_exec(&plan, args, NULL, true, 1) != 1)
		elog(ERROR, "mailbox has no distinguished folder \"%s\"", name);
	return ews_col_int64(0, 1);
}

/*
 * A soft-deleted folder keeps its name unless the target already has one
 * like it; then it becomes "Name (2)", "Name (3)", ... as Outlook does in
 * Deleted Items, so deleting never fails for a name clash.
 */
static char *
free_name_in(const pg_uuid_t *mailbox, int64 parent_id, const char *name, int64 folder_id)
{
	if (!ews_folder_name_taken(mailbox, parent_id, name, folder_id))
		return pstrdup(name);
	for (int i = 2; i < 100000; i++)
	{
		char	   *candidate = psprintf("%s (%d)", name, i);

		if (!ews_folder_name_taken(mailbox, parent_id, candidate, folder_id))
			return candidate;
	}
	elog(ERROR, "no free name for folder \"%s\"", name);
	return NULL;				/* keep compiler quiet */
}

void
ews_folder_delete(EwsCtx *ctx, const EwsFolderRef *ref, EwsDeleteType type, EwsStatus *st)
{
	static EwsPlan hard = {
		"DELETE FROM ews.folder WHERE mailbox_id = $1 AND folder_id = $2",
		2, {UUIDOID, INT8OID}
	};
	EwsFolder	f;

	if (!ews_folder_resolve(ctx, ref, true, &f, st))
		return;
	/* Exchange refuses to delete any distinguished folder */
	if (f.distinguished != NULL)
	{
		ews_status_set(st, EWS_ErrorDeleteDistinguishedFolder, NULL);
		return;
	}
	if (type == EWS_DELETE_HARD)
	{
		Datum		args[2];

		/* subfolders and items go with it: ON DELETE CASCADE on both references */
		args[0] = UUIDPGetDatum(&f.mailbox_id);
		args[1] = Int64GetDatum(f.folder_id);
		ews_exec(&hard, args, NULL, false, 0);
	}
	else
	{
		const char *target_name = type == EWS_DELETE_SOFT ? "recoverableitemsdeletions" : "deleteditems";
		int64		target = distinguished_folder_id(&f.mailbox_id, target_name);

		/*
		 * No cycle is possible: the targets' ancestors are all distinguished,
		 * and distinguished folders cannot be deleted.
		 */
		ews_folder_reparent(&f, target,
							free_name_in(&f.mailbox_id, target, f.display_name, f.folder_id));
	}
	ews_status_ok(st);
}
