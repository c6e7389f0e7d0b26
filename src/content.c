/*
 * content.c
 *	  The content state of folders: see content.h for the rules.
 */
#include "content.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/memutils.h"

#include "store.h"
#include "sync.h"

void
ews_content_begin(EwsContent *c)
{
	c->n = 0;
	c->cap = 4;
	c->cxt = CurrentMemoryContext;
	c->folders = MemoryContextAlloc(c->cxt, sizeof(EwsContentFolder) * c->cap);
}

static EwsContentFolder *
find(EwsContent *c, const pg_uuid_t *mailbox, int64 folder_id)
{
	for (int i = 0; i < c->n; i++)
		if (c->folders[i].folder_id == folder_id &&
			memcmp(&c->folders[i].mailbox, mailbox, sizeof(pg_uuid_t)) == 0)
			return &c->folders[i];
	return NULL;
}

bool
ews_content_locked(EwsContent *c, const pg_uuid_t *mailbox, int64 folder_id)
{
	return find(c, mailbox, folder_id) != NULL;
}

static EwsContentFolder *
locked(EwsContent *c, const pg_uuid_t *mailbox, int64 folder_id)
{
	EwsContentFolder *f = find(c, mailbox, folder_id);

	if (f == NULL)
		elog(ERROR, "folder " INT64_FORMAT " changed without its content lock", folder_id);
	return f;
}

bool
ews_content_lock(EwsContent *c, const pg_uuid_t *mailbox, const int64 *folder_ids, int n)
{
	/*
	 * FOR NO KEY UPDATE, the lock the row update in ews_content_end takes
	 * anyway, taken now and in folder_id order: ORDER BY sorts before the
	 * rows are locked.  Not read-only: a fresh snapshot sees a folder that a
	 * transaction we waited for deleted or created.
	 */
	static EwsPlan plan = {
		"SELECT folder_id, next_article FROM ews.folder"
		" WHERE mailbox_id = $1 AND folder_id = ANY ($2)"
		" ORDER BY folder_id FOR NO KEY UPDATE",
		2, {UUIDOID, INT8ARRAYOID}
	};
	Datum	   *ids = palloc(sizeof(Datum) * Max(n, 1));
	int			nids = 0;
	Datum		args[2];
	uint64		rows;

	for (int i = 0; i < n; i++)
	{
		bool		dup = find(c, mailbox, folder_ids[i]) != NULL;

		for (int j = 0; j < nids && !dup; j++)
			dup = DatumGetInt64(ids[j]) == folder_ids[i];
		if (!dup)
			ids[nids++] = Int64GetDatum(folder_ids[i]);
	}
	if (nids == 0)
		return true;
	args[0] = UUIDPGetDatum(mailbox);
	args[1] = PointerGetDatum(construct_array(ids, nids, INT8OID, sizeof(int64),
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	rows = ews_exec(&plan, args, NULL, false, 0);
	for (uint64 r = 0; r < rows; r++)
	{
		EwsContentFolder *f;

		if (c->n == c->cap)
		{
			c->cap *= 2;
			c->folders = repalloc(c->folders, sizeof(EwsContentFolder) * c->cap);
		}
		f = &c->folders[c->n++];
		memset(f, 0, sizeof(*f));
		f->mailbox = *mailbox;
		f->folder_id = ews_col_int64(r, 1);
		f->next_article = ews_col_int64(r, 2);
	}
	return rows == (uint64) nids;
}

int64
ews_content_add(EwsContent *c, const pg_uuid_t *mailbox, int64 folder_id,
				bool is_associated, bool is_read, int64 cn)
{
	EwsContentFolder *f = locked(c, mailbox, folder_id);

	if (is_associated)
		f->d_assoc++;
	else
	{
		f->d_total++;
		if (!is_read)
			f->d_unread++;
	}
	f->cn = Max(f->cn, cn);
	f->changed = true;
	return f->next_article++;
}

void
ews_content_change(EwsContent *c, const pg_uuid_t *mailbox, int64 folder_id,
				   bool was_associated, bool was_read, bool is_associated, bool is_read, int64 cn)
{
	EwsContentFolder *f = locked(c, mailbox, folder_id);

	if (was_associated)
		f->d_assoc--;
	else
	{
		f->d_total--;
		if (!was_read)
			f->d_unread--;
	}
	if (is_associated)
		f->d_assoc++;
	else
	{
		f->d_total++;
		if (!is_read)
			f->d_unread++;
	}
	f->cn = Max(f->cn, cn);
	f->changed = true;
}

void
ews_content_remove(EwsContent *c, const pg_uuid_t *mailbox, int64 folder_id,
				   int64 item_id, int64 created_cn, bool is_associated, bool is_read, int64 cn)
{
	static EwsPlan plan = {
		"INSERT INTO ews.item_tombstone (mailbox_id, folder_id, item_id, change_number,"
		"                                created_cn, is_associated)"
		" VALUES ($1, $2, $3, $4, $5, $6)",
		6, {UUIDOID, INT8OID, INT8OID, INT8OID, INT8OID, BOOLOID}
	};
	EwsContentFolder *f = locked(c, mailbox, folder_id);
	Datum		args[6];

	if (is_associated)
		f->d_assoc--;
	else
	{
		f->d_total--;
		if (!is_read)
			f->d_unread--;
	}
	f->cn = Max(f->cn, cn);
	f->changed = true;
	f->removed = true;
	args[0] = UUIDPGetDatum(mailbox);
	args[1] = Int64GetDatum(folder_id);
	args[2] = Int64GetDatum(item_id);
	args[3] = Int64GetDatum(cn);
	args[4] = Int64GetDatum(created_cn);
	args[5] = BoolGetDatum(is_associated);
	ews_exec(&plan, args, NULL, false, 0);
}

void
ews_content_remove_many(EwsContent *c, const pg_uuid_t *mailbox, int64 folder_id,
						int n_total, int n_unread, int n_assoc, int64 cn)
{
	EwsContentFolder *f = locked(c, mailbox, folder_id);

	f->d_total -= n_total;
	f->d_unread -= n_unread;
	f->d_assoc -= n_assoc;
	f->cn = Max(f->cn, cn);
	f->changed = true;
}

int64
ews_content_add_many(EwsContent *c, const pg_uuid_t *mailbox, int64 folder_id,
					 int n_total, int n_unread, int n_assoc, int64 cn)
{
	EwsContentFolder *f = locked(c, mailbox, folder_id);
	int64		first = f->next_article;

	f->d_total += n_total;
	f->d_unread += n_unread;
	f->d_assoc += n_assoc;
	f->next_article += n_total + n_assoc;
	f->cn = Max(f->cn, cn);
	f->changed = true;
	return first;
}

void
ews_content_end(EwsContent *c)
{
	/*
	 * content_changed_at is DavMail's "ctag", compared as text at one-second
	 * resolution: every committed content change moves it on by at least a
	 * second, so no change within the same second goes unseen.
	 */
	static EwsPlan plan = {
		"UPDATE ews.folder SET next_article = $3,"
		"       total_count = total_count + $4, unread_count = unread_count + $5,"
		"       assoc_count = assoc_count + $6,"
		"       content_cn = GREATEST(content_cn, $7),"
		"       content_changed_at = GREATEST("
		"           pg_catalog.date_trunc('second', pg_catalog.clock_timestamp()),"
		"           content_changed_at + '1 second'::pg_catalog.interval)"
		" WHERE mailbox_id = $1 AND folder_id = $2",
		7, {UUIDOID, INT8OID, INT8OID, INT4OID, INT4OID, INT4OID, INT8OID}
	};

	for (int i = 0; i < c->n; i++)
	{
		EwsContentFolder *f = &c->folders[i];
		Datum		args[7];

		if (!f->changed)
			continue;
		/* the folder is locked: trim its tombstones by age (sync.c) */
		if (f->removed)
			ews_sync_trim_folder(&f->mailbox, f->folder_id);
		args[0] = UUIDPGetDatum(&f->mailbox);
		args[1] = Int64GetDatum(f->folder_id);
		args[2] = Int64GetDatum(f->next_article);
		args[3] = Int32GetDatum(f->d_total);
		args[4] = Int32GetDatum(f->d_unread);
		args[5] = Int32GetDatum(f->d_assoc);
		args[6] = Int64GetDatum(f->cn);
		if (ews_exec(&plan, args, NULL, false, 0) != 1)
			elog(ERROR, "folder " INT64_FORMAT " vanished under its content lock", f->folder_id);
		f->d_total = f->d_unread = f->d_assoc = 0;
		f->changed = false;
		f->removed = false;
	}
}
