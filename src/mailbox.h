/*
 * mailbox.h
 *	  Mailboxes: creation with Exchange's default folder tree, access grants,
 *	  listing and dropping.
 */
#ifndef EWS_MAILBOX_H
#define EWS_MAILBOX_H

#include "store.h"

#include "nodes/pg_list.h"

/* the distinguished folders of a new mailbox, in creation order */
typedef struct EwsDefaultFolder
{
	const char *distinguished;
	const char *parent;			/* distinguished name of its parent; NULL for root */
	const char *display_name;
	const char *folder_class;	/* NULL where Exchange sets none */
} EwsDefaultFolder;

extern const EwsDefaultFolder ews_default_folders[];
extern const int ews_default_folder_count;

/* true when name is one of our distinguished folder names */
extern bool ews_is_distinguished_name(const char *name);

/*
 * Create a mailbox and its tree; raises a PostgreSQL error for a bad or
 * taken address or an owner the caller may not act for.  Returns its id.
 */
extern pg_uuid_t ews_mailbox_create(EwsCtx *ctx, const char *smtp, const char *display_name, Oid owner);

/*
 * Access management.  Only the owner (a member of the owner role), members
 * of ews_admin and superusers may grant, revoke or drop; delegates and
 * impersonators may not pass their access on.  A caller who may not use the
 * mailbox at all gets the same "does not exist" error as for a missing one.
 * right is "delegate" or "impersonate"; anything else raises.  Granting what
 * is granted and revoking what is not are no-ops.
 */
extern void ews_mailbox_grant(EwsCtx *ctx, const char *smtp, Oid grantee, const char *right);
extern void ews_mailbox_revoke(EwsCtx *ctx, const char *smtp, Oid grantee, const char *right);
/* remove a mailbox with its folders, items and grants */
extern void ews_mailbox_drop(EwsCtx *ctx, const char *smtp);
/* the mailboxes the caller may use (admins: all), as EwsMailbox *, by lower-case address in byte order */
extern List *ews_mailbox_list(EwsCtx *ctx);

#endif
