/*
 * mailbox.h
 *	  Creating mailboxes with Exchange's default folder tree.
 */
#ifndef EWS_MAILBOX_H
#define EWS_MAILBOX_H

#include "store.h"

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

#endif
