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
 * of ews_admin and superusers may grant, revoke or drop (and a request that
 * acts for a user only in that user's mailbox); delegates and impersonators
 * may not pass their access on.  A caller who may not use the
 * mailbox at all gets the same "does not exist" error as for a missing one.
 * right is "delegate" or "impersonate"; anything else raises.  Granting what
 * is granted and revoking what is not are no-ops.
 */
extern void ews_mailbox_grant(EwsCtx *ctx, const char *smtp, Oid grantee, const char *right);
extern void ews_mailbox_revoke(EwsCtx *ctx, const char *smtp, Oid grantee, const char *right);
/* remove a mailbox with its folders, items and grants */
extern void ews_mailbox_drop(EwsCtx *ctx, const char *smtp);
/*
 * The mailboxes the request may use (admins: all; acting for a user: that
 * user's and those delegated to it, of those), as EwsMailbox *, by
 * lower-case address in byte order.
 */
extern List *ews_mailbox_list(EwsCtx *ctx);

/*
 * Mailbox delegates: the manager of mailbox smtp (as for grants) makes the
 * user of mailbox delegate a reviewer (reads folders and items) or an
 * editor (reads and changes them) of it.  The grant counts when a request
 * acts for that user (DESIGN.md "Access").  Adding again sets the
 * permission; removing what is not there is a no-op.  A delegate address
 * that names no mailbox raises "does not exist".
 */
typedef struct EwsDelegate
{
	char	   *smtp_address;	/* the delegate's mailbox */
	char	   *permission;		/* reviewer or editor */
} EwsDelegate;

extern void ews_delegate_add(EwsCtx *ctx, const char *smtp, const char *delegate, const char *permission);
extern void ews_delegate_remove(EwsCtx *ctx, const char *smtp, const char *delegate);
/* the delegates of mailbox smtp, as EwsDelegate *, by lower-case address in byte order */
extern List *ews_delegate_list(EwsCtx *ctx, const char *smtp);

#endif
