/*
 * mailbox.c
 *	  Mailboxes: creation with Exchange's default folder tree, role access
 *	  grants (delegate, impersonate), mailbox delegates (reviewer, editor),
 *	  listing and dropping.
 */
#include "mailbox.h"

#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

#include "scaleout.h"

/*
 * Exchange's default tree with its English display names and classes.  The
 * IPM subtree (what mail clients show) hangs under msgfolderroot; the rest
 * of root's children are the non-IPM subtree clients do not show.
 */
const EwsDefaultFolder ews_default_folders[] = {
	{"root", NULL, "Root", NULL},
	{"msgfolderroot", "root", "Top of Information Store", NULL},
	{"inbox", "msgfolderroot", "Inbox", "IPF.Note"},
	{"drafts", "msgfolderroot", "Drafts", "IPF.Note"},
	{"sentitems", "msgfolderroot", "Sent Items", "IPF.Note"},
	{"deleteditems", "msgfolderroot", "Deleted Items", "IPF.Note"},
	{"junkemail", "msgfolderroot", "Junk Email", "IPF.Note"},
	{"outbox", "msgfolderroot", "Outbox", "IPF.Note"},
	{"calendar", "msgfolderroot", "Calendar", "IPF.Appointment"},
	{"contacts", "msgfolderroot", "Contacts", "IPF.Contact"},
	{"tasks", "msgfolderroot", "Tasks", "IPF.Task"},
	{"notes", "msgfolderroot", "Notes", "IPF.StickyNote"},
	{"journal", "msgfolderroot", "Journal", "IPF.Journal"},
	{"conversationhistory", "msgfolderroot", "Conversation History", "IPF.Note"},
	{"syncissues", "msgfolderroot", "Sync Issues", "IPF.Note"},
	{"conflicts", "syncissues", "Conflicts", "IPF.Note"},
	{"localfailures", "syncissues", "Local Failures", "IPF.Note"},
	{"serverfailures", "syncissues", "Server Failures", "IPF.Note"},
	{"searchfolders", "root", "Finder", NULL},
	{"recoverableitemsroot", "root", "Recoverable Items", NULL},
	{"recoverableitemsdeletions", "recoverableitemsroot", "Deletions", NULL},
	{"recoverableitemsversions", "recoverableitemsroot", "Versions", NULL},
	{"recoverableitemspurges", "recoverableitemsroot", "Purges", NULL},
};
const int	ews_default_folder_count = lengthof(ews_default_folders);

bool
ews_is_distinguished_name(const char *name)
{
	for (int i = 0; i < ews_default_folder_count; i++)
		if (strcmp(ews_default_folders[i].distinguished, name) == 0)
			return true;
	return false;
}

/* local@domain, no white space or controls, at most 320 bytes (RFC 5321 limits) */
static bool
smtp_address_valid(const char *s)
{
	const char *at = strchr(s, '@');
	size_t		len = strlen(s);

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return false;
	if (len > 320 || (size_t) (at - s) > 64)
		return false;
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>' || *p == '"')
			return false;
	return true;
}

pg_uuid_t
ews_mailbox_create(EwsCtx *ctx, const char *smtp, const char *display_name, Oid owner)
{
	static EwsPlan exists_plan = {
		"SELECT 1 FROM ews.mailbox WHERE pg_catalog.lower(smtp_address) = pg_catalog.lower($1)",
		1, {TEXTOID}
	};
	static EwsPlan insert_mailbox = {
		"INSERT INTO ews.mailbox (mailbox_id, smtp_address, display_name, owner_role)"
		" VALUES ($1, $2, $3, $4::pg_catalog.oid::pg_catalog.regrole)",
		4, {UUIDOID, TEXTOID, TEXTOID, OIDOID}
	};
	static EwsPlan insert_folder = {
		"INSERT INTO ews.folder (mailbox_id, folder_id, parent_id, display_name,"
		"                        folder_class, distinguished, change_number, height)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		8, {UUIDOID, INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID, INT8OID, INT4OID}
	};
	pg_uuid_t	id;
	int64		folder_ids[lengthof(ews_default_folders)];
	int32		heights[lengthof(ews_default_folders)];
	Datum		arg;

	if (!smtp_address_valid(smtp) || !ews_text_is_utf8(smtp))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid SMTP address \"%s\"", smtp),
				 errdetail("An address is local-part@domain without white space, at most 320 bytes.")));
	if (display_name != NULL && !ews_text_is_utf8(display_name))
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("the display name of a mailbox must be valid UTF-8")));
	/* a regrole argument can be any OID: 0 or a dropped role would make an ownerless mailbox */
	if (!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(owner)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role with OID %u does not exist", owner)));
	if (!has_privs_of_role(ctx->caller, owner) && !ews_caller_is_admin(ctx))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to create a mailbox owned by role \"%s\"",
						GetUserNameFromId(owner, false)),
				 errdetail("Only members of the owner role, members of ews_admin and superusers may.")));
	/* a user does not provision mailboxes: acting for one can only narrow */
	if (ctx->acting_user)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to create a mailbox while acting for mailbox \"%s\"",
						ctx->acting.smtp_address),
				 errdetail("A transaction that acts for a user (ews_act_as) cannot create mailboxes.")));
	arg = CStringGetTextDatum(smtp);
	if (ews_exec(&exists_plan, &arg, NULL, true, 1) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("mailbox \"%s\" already exists", smtp)));

	if (!pg_strong_random(id.data, UUID_LEN))
		elog(ERROR, "could not generate a random mailbox GUID");
	id.data[6] = (id.data[6] & 0x0f) | 0x40;	/* RFC 4122 version 4 */
	id.data[8] = (id.data[8] & 0x3f) | 0x80;	/* variant */

	{
		Datum		args[4];

		args[0] = UUIDPGetDatum(&id);
		args[1] = CStringGetTextDatum(smtp);
		args[2] = CStringGetTextDatum(display_name ? display_name : smtp);
		args[3] = ObjectIdGetDatum(owner);
		ews_exec(&insert_mailbox, args, NULL, false, 0);
	}

	/* each folder's height (ews.folder.height, see folder.c): children come later in the table */
	for (int i = ews_default_folder_count - 1; i >= 0; i--)
	{
		heights[i] = 0;
		for (int j = i + 1; j < ews_default_folder_count; j++)
			if (ews_default_folders[j].parent != NULL &&
				strcmp(ews_default_folders[j].parent, ews_default_folders[i].distinguished) == 0)
				heights[i] = Max(heights[i], heights[j] + 1);
	}

	for (int i = 0; i < ews_default_folder_count; i++)
	{
		const EwsDefaultFolder *df = &ews_default_folders[i];
		Datum		args[8];
		char		nulls[8] = "        ";

		folder_ids[i] = ews_next_local_id();
		args[0] = UUIDPGetDatum(&id);
		args[1] = Int64GetDatum(folder_ids[i]);
		args[2] = 0;
		nulls[2] = 'n';
		if (df->parent)
		{
			/* parents come earlier in the table */
			for (int j = 0; j < i; j++)
				if (strcmp(ews_default_folders[j].distinguished, df->parent) == 0)
				{
					args[2] = Int64GetDatum(folder_ids[j]);
					nulls[2] = ' ';
				}
			Assert(nulls[2] == ' ');
		}
		args[3] = CStringGetTextDatum(df->display_name);
		args[4] = df->folder_class ? CStringGetTextDatum(df->folder_class) : (Datum) 0;
		nulls[4] = df->folder_class ? ' ' : 'n';
		args[5] = CStringGetTextDatum(df->distinguished);
		args[6] = Int64GetDatum(ews_next_change_number());
		args[7] = Int32GetDatum(heights[i]);
		ews_exec(&insert_folder, args, nulls, false, 0);
	}
	return id;
}

/* ---- access management ---- */

/*
 * The rights a grant can give.  Checked before the mailbox is looked up, so
 * a bad right gives the same error whether or not the mailbox exists.
 */
static const char *
grant_right(const char *right)
{
	if (right != NULL && strcmp(right, "delegate") == 0)
		return "delegate";
	if (right != NULL && strcmp(right, "impersonate") == 0)
		return "impersonate";
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid access right \"%s\"", right ? right : "(null)"),
			 errhint("Use delegate (read and write the mailbox) or impersonate (act as the mailbox, which includes delegate).")));
	return NULL;				/* not reached */
}

static void
grantee_valid(Oid grantee)
{
	if (!OidIsValid(grantee))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("a grant needs an existing role")));
}

/*
 * The mailbox of an SMTP address, for an owner or an admin.  A caller who
 * may not use it gets exactly what a caller naming a missing mailbox gets;
 * a delegate or impersonator, who knows it exists, is refused.  Exchange
 * does not let delegates add delegates either.
 */
static void
mailbox_for_manage(EwsCtx *ctx, const char *smtp, EwsMailbox *mb, bool writes)
{
	EwsStatus	st;

	if (!ews_mailbox_by_smtp(ctx, smtp, EWS_NEED_READ, mb, &st))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("mailbox \"%s\" does not exist", smtp)));
	if (!ews_mailbox_manages(ctx, mb))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to manage mailbox \"%s\"", smtp),
				 errdetail("Only members of the owner role, members of ews_admin and superusers may grant, revoke, delegate or drop; delegates and impersonators may not, nor a transaction acting for another user.")));
	/* grants, delegates and the drop change the mailbox: not while it moves (scaleout.c) */
	if (writes && !ews_scaleout_writable(&mb->id))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("mailbox \"%s\" is being moved to another node", smtp),
				 errhint("Try again when the move is done.")));
}

/* grant and revoke: the same checks, then one statement on ews.mailbox_grant */
static void
grant_change(EwsCtx *ctx, const char *smtp, Oid grantee, const char *right, EwsPlan *plan)
{
	const char *r = grant_right(right);
	EwsMailbox	mb;
	Datum		args[3];

	grantee_valid(grantee);
	mailbox_for_manage(ctx, smtp, &mb, true);
	args[0] = UUIDPGetDatum(&mb.id);
	args[1] = ObjectIdGetDatum(grantee);
	args[2] = CStringGetTextDatum(r);
	ews_exec(plan, args, NULL, false, 0);
}

void
ews_mailbox_grant(EwsCtx *ctx, const char *smtp, Oid grantee, const char *right)
{
	static EwsPlan plan = {
		"INSERT INTO ews.mailbox_grant (mailbox_id, grantee, access_right)"
		" VALUES ($1, $2::pg_catalog.oid::pg_catalog.regrole, $3)"
		" ON CONFLICT DO NOTHING",
		3, {UUIDOID, OIDOID, TEXTOID}
	};

	grant_change(ctx, smtp, grantee, right, &plan);
}

void
ews_mailbox_revoke(EwsCtx *ctx, const char *smtp, Oid grantee, const char *right)
{
	static EwsPlan plan = {
		"DELETE FROM ews.mailbox_grant"
		" WHERE mailbox_id = $1 AND grantee::pg_catalog.oid = $2 AND access_right = $3",
		3, {UUIDOID, OIDOID, TEXTOID}
	};

	grant_change(ctx, smtp, grantee, right, &plan);
}

/*
 * The foreign keys cascade: folders, items and grants go with the mailbox
 * row.  Taking the hierarchy lock first makes a drop wait for a running
 * hierarchy change of the mailbox instead of racing it.
 */
void
ews_mailbox_drop(EwsCtx *ctx, const char *smtp)
{
	static EwsPlan plan = {
		"DELETE FROM ews.mailbox WHERE mailbox_id = $1",
		1, {UUIDOID}
	};
	EwsMailbox	mb;
	Datum		arg;

	mailbox_for_manage(ctx, smtp, &mb, true);
	ews_lock_hierarchy(&mb.id);
	arg = UUIDPGetDatum(&mb.id);
	ews_exec(&plan, &arg, NULL, false, 0);
}

List *
ews_mailbox_list(EwsCtx *ctx)
{
	/*
	 * The same rule as mailbox_access in store.c, for every row: the
	 * calling role's (owner, grant, admin), and when acting for a user only
	 * that user's mailbox and those delegated to it.
	 */
	static EwsPlan plan = {
		"SELECT m.mailbox_id, m.smtp_address, m.display_name, m.owner_role::pg_catalog.oid"
		" FROM ews.mailbox m"
		" WHERE ($2"
		"    OR pg_catalog.pg_has_role($1, m.owner_role::pg_catalog.oid, 'USAGE')"
		"    OR EXISTS (SELECT 1 FROM ews.mailbox_grant g"
		"                WHERE g.mailbox_id = m.mailbox_id"
		"                  AND pg_catalog.pg_has_role($1, g.grantee::pg_catalog.oid, 'USAGE')))"
		"   AND ($3::pg_catalog.uuid IS NULL OR m.mailbox_id = $3"
		"    OR EXISTS (SELECT 1 FROM ews.mailbox_delegate d"
		"                WHERE d.mailbox_id = m.mailbox_id AND d.delegate_id = $3"
		"                  AND d.folder_id IS NULL))"
		" ORDER BY pg_catalog.lower(m.smtp_address) COLLATE pg_catalog.\"C\"",
		3, {OIDOID, BOOLOID, UUIDOID}
	};
	Datum		args[3];
	char		nulls[3] = "   ";
	uint64		n;
	List	   *out = NIL;

	args[0] = ObjectIdGetDatum(ctx->caller);
	args[1] = BoolGetDatum(ews_caller_is_admin(ctx));
	if (ctx->acting_user)
		args[2] = UUIDPGetDatum(&ctx->acting.id);
	else
	{
		args[2] = (Datum) 0;
		nulls[2] = 'n';
	}
	n = ews_exec(&plan, args, nulls, true, 0);
	for (uint64 i = 0; i < n; i++)
	{
		EwsMailbox *mb = palloc0(sizeof(EwsMailbox));
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
		char	   *g;

		memcpy(&mb->id, DatumGetUUIDP(d), sizeof(pg_uuid_t));
		g = DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&mb->id)));
		strlcpy(mb->guid, g, sizeof(mb->guid));
		mb->smtp_address = ews_col_text(i, 2);
		mb->display_name = ews_col_text(i, 3);
		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 4, &isnull);
		mb->owner = DatumGetObjectId(d);
		out = lappend(out, mb);
	}
	return out;
}

/* ---- mailbox delegates ---- */

/*
 * The permissions a delegate grant can give.  Checked before any mailbox is
 * looked up, so a bad one gives the same error whether or not they exist.
 */
static const char *
delegate_permission(const char *permission)
{
	if (permission != NULL && strcmp(permission, "reviewer") == 0)
		return "reviewer";
	if (permission != NULL && strcmp(permission, "editor") == 0)
		return "editor";
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid delegate permission \"%s\"", permission ? permission : "(null)"),
			 errhint("Use reviewer (read folders and items) or editor (read and change them).")));
	return NULL;				/* not reached */
}

/*
 * The delegate's mailbox, by address.  Whoever manages a mailbox may name
 * any other as its delegate, so this lookup is by existence alone: it tells
 * a mailbox's manager that an address is in use (as an address book
 * would), and nothing else.
 */
static void
delegate_mailbox(const char *smtp, EwsMailbox *out)
{
	static EwsPlan plan = {
		"SELECT mailbox_id, smtp_address, display_name, owner_role::pg_catalog.oid"
		" FROM ews.mailbox WHERE pg_catalog.lower(smtp_address) = pg_catalog.lower($1)",
		1, {TEXTOID}
	};
	Datum		arg = CStringGetTextDatum(smtp);
	bool		isnull;
	char	   *g;

	if (ews_exec(&plan, &arg, NULL, true, 1) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("mailbox \"%s\" does not exist", smtp)));
	memset(out, 0, sizeof(*out));
	memcpy(&out->id, DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)),
		   sizeof(pg_uuid_t));
	g = DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&out->id)));
	strlcpy(out->guid, g, sizeof(out->guid));
	out->smtp_address = ews_col_text(0, 2);
}

void
ews_delegate_add(EwsCtx *ctx, const char *smtp, const char *delegate, const char *permission)
{
	/* granting again changes the permission: reviewer to editor and back */
	static EwsPlan plan = {
		"INSERT INTO ews.mailbox_delegate (mailbox_id, delegate_id, folder_id, permission)"
		" VALUES ($1, $2, NULL, $3)"
		" ON CONFLICT ON CONSTRAINT mailbox_delegate_key"
		" DO UPDATE SET permission = EXCLUDED.permission, granted_at = pg_catalog.now()"
		"   WHERE mailbox_delegate.permission <> EXCLUDED.permission",
		3, {UUIDOID, UUIDOID, TEXTOID}
	};
	const char *p = delegate_permission(permission);
	EwsMailbox	mb;
	EwsMailbox	d;
	Datum		args[3];

	mailbox_for_manage(ctx, smtp, &mb, true);
	delegate_mailbox(delegate, &d);
	if (memcmp(&mb.id, &d.id, sizeof(pg_uuid_t)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mailbox \"%s\" cannot be its own delegate", smtp)));
	args[0] = UUIDPGetDatum(&mb.id);
	args[1] = UUIDPGetDatum(&d.id);
	args[2] = CStringGetTextDatum(p);
	ews_exec(&plan, args, NULL, false, 0);
}

void
ews_delegate_remove(EwsCtx *ctx, const char *smtp, const char *delegate)
{
	static EwsPlan plan = {
		"DELETE FROM ews.mailbox_delegate"
		" WHERE mailbox_id = $1 AND delegate_id = $2 AND folder_id IS NULL",
		2, {UUIDOID, UUIDOID}
	};
	EwsMailbox	mb;
	EwsMailbox	d;
	Datum		args[2];

	mailbox_for_manage(ctx, smtp, &mb, true);
	delegate_mailbox(delegate, &d);
	args[0] = UUIDPGetDatum(&mb.id);
	args[1] = UUIDPGetDatum(&d.id);
	ews_exec(&plan, args, NULL, false, 0);
}

List *
ews_delegate_list(EwsCtx *ctx, const char *smtp)
{
	static EwsPlan plan = {
		"SELECT m.smtp_address, d.permission FROM ews.mailbox_delegate d"
		"  JOIN ews.mailbox m ON m.mailbox_id = d.delegate_id"
		" WHERE d.mailbox_id = $1 AND d.folder_id IS NULL"
		" ORDER BY pg_catalog.lower(m.smtp_address) COLLATE pg_catalog.\"C\"",
		1, {UUIDOID}
	};
	EwsMailbox	mb;
	Datum		arg;
	uint64		n;
	List	   *out = NIL;

	mailbox_for_manage(ctx, smtp, &mb, false);
	arg = UUIDPGetDatum(&mb.id);
	n = ews_exec(&plan, &arg, NULL, true, 0);
	for (uint64 i = 0; i < n; i++)
	{
		EwsDelegate *d = palloc(sizeof(EwsDelegate));

		d->smtp_address = ews_col_text(i, 1);
		d->permission = ews_col_text(i, 2);
		out = lappend(out, d);
	}
	return out;
}
