/*
 * mailbox.c
 *	  Mailboxes: creation with Exchange's default folder tree.
 */
#include "mailbox.h"

#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"

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
		"                        folder_class, distinguished, change_number)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7)",
		7, {UUIDOID, INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID, INT8OID}
	};
	pg_uuid_t	id;
	int64		folder_ids[lengthof(ews_default_folders)];
	Datum		arg;

	if (!smtp_address_valid(smtp))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid SMTP address \"%s\"", smtp),
				 errdetail("An address is local-part@domain without white space, at most 320 bytes.")));
	if (!has_privs_of_role(ctx->caller, owner) && !ews_caller_is_admin(ctx))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to create a mailbox owned by role \"%s\"",
						GetUserNameFromId(owner, false)),
				 errdetail("Only members of the owner role, members of ews_admin and superusers may.")));
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

	for (int i = 0; i < ews_default_folder_count; i++)
	{
		const EwsDefaultFolder *df = &ews_default_folders[i];
		Datum		args[7];
		char		nulls[7] = "       ";

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
		ews_exec(&insert_folder, args, nulls, false, 0);
	}
	return id;
}
