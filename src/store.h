/*
 * store.h
 *	  The store core shared by every operation: a call context (SPI, the
 *	  privilege switch, the caller's identity), mailbox lookup and access,
 *	  id and change key text, folder resolution.
 *
 * Both faces (sqlface.c, soap.c) open an EwsCtx, call the operations in
 * folder.c, item.c and mailbox.c, and translate the results.  Every rule
 * lives here or in those files, never in a face.
 */
#ifndef EWS_STORE_H
#define EWS_STORE_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "utils/uuid.h"

#include "content.h"
#include "ewserr.h"
#include "ids.h"

/* the result of one object's operation: a response code and its texts */
typedef struct EwsStatus
{
	EwsCode		code;
	const char *text;			/* MessageText; NULL means the code's default */
	char		mailbox_guid[EWS_GUID_CHARS + 1];	/* for ErrorNonExistentMailbox's MessageXml */
} EwsStatus;

/*
 * What a request may do in a mailbox (DESIGN.md "Access").  Ordered: a
 * request that may write may read.
 */
typedef enum EwsAccess
{
	EWS_ACCESS_NONE,			/* nothing: the mailbox answers as a missing one */
	EWS_ACCESS_READ,			/* folders and items are read (a reviewer) */
	EWS_ACCESS_WRITE			/* read and change (owner, role grants, admin, an editor) */
} EwsAccess;

typedef struct EwsMailbox
{
	pg_uuid_t	id;
	char		guid[EWS_GUID_CHARS + 1];
	char	   *smtp_address;
	char	   *display_name;
	Oid			owner;
	/* set by ews_mailbox_by_guid / _by_smtp: this request's rights in it */
	EwsAccess	access;
	bool		delegated;		/* reached through a mailbox delegate grant (reviewer, editor) */
} EwsMailbox;

/*
 * What an operation needs of a mailbox: every lookup states it, and the
 * store core decides in one place (store.c) whether the request may.
 */
typedef enum EwsNeed
{
	EWS_NEED_READ,				/* folders and items are read */
	EWS_NEED_WRITE				/* something in the mailbox is created, changed or removed */
} EwsNeed;

/* access rights a grant can give (ews.mailbox_grant.access_right) */
typedef enum EwsRight
{
	EWS_RIGHT_USE,				/* owner or delegate: read and write the mailbox */
	EWS_RIGHT_IMPERSONATE		/* act as the mailbox in ews_soap */
} EwsRight;

/* a folder as a request names it: a FolderId or a DistinguishedFolderId */
typedef struct EwsFolderRef
{
	const char *id;				/* FolderId/@Id */
	const char *change_key;		/* FolderId/@ChangeKey, optional */
	const char *distinguished;	/* DistinguishedFolderId/@Id */
	const char *mailbox;		/* DistinguishedFolderId/Mailbox/EmailAddress, optional */
} EwsFolderRef;

typedef struct EwsFolder
{
	pg_uuid_t	mailbox_id;
	char		guid[EWS_GUID_CHARS + 1];
	int64		folder_id;
	int64		change_number;
	int64		parent_id;		/* 0 for root */
	int64		parent_change;
	char	   *display_name;
	char	   *folder_class;	/* NULL when none was given */
	char	   *distinguished;	/* NULL for ordinary folders */
	/* the request's rights in the folder's mailbox (EffectiveRights), set by ews_folder_resolve */
	EwsAccess	access;
	bool		delegated;
	/* filled by ews_folder_counts */
	int32		total_count;
	int32		child_count;
	int32		unread_count;
	int64		next_article;	/* the next PidTagInternetArticleNumber (0x6751) */
	TimestampTz content_changed_at; /* PidTagLocalCommitTimeMax (0x670A) */
} EwsFolder;

/* one call into the store core */
typedef struct EwsCtx
{
	Oid			caller;			/* the role all access checks are made for */
	MemoryContext cxt;			/* lives as long as the call: what the context caches goes here */
	Oid			saved_userid;
	int			saved_sec_context;
	/*
	 * The acting mailbox: what a DistinguishedFolderId without a Mailbox
	 * means.  With acting_user it is also the request's acting user U
	 * (ExchangeImpersonation, ews_soap's mailbox argument, ews_act_as): the
	 * request then reaches U's mailbox and those whose owners made U a
	 * delegate, and never more than the calling role itself.  Without
	 * acting_user (SOAP: the one mailbox the calling role owns) it only
	 * names the default mailbox.
	 */
	bool		has_acting;
	bool		acting_user;
	EwsMailbox	acting;
	/* the extension's admin role (ews.admin_role), read once per call */
	bool		admin_known;
	Oid			admin_role;
	/* one-entry cache of the last mailbox looked up by GUID */
	bool		cache_valid;
	bool		cache_found;	/* the GUID names a mailbox (with its access) */
	EwsMailbox	cache;
	/* the content changes of this call, written to the folders at ews_ctx_end */
	EwsContent	content;
	/*
	 * The parent folder of the last item write, by the reference as sent
	 * (item.c): a batch writing into one folder resolves it once.
	 */
	bool		parent_cache_valid;
	EwsFolderRef parent_cache_ref;
	EwsFolder	parent_cache;
} EwsCtx;

/*
 * Open: remember the caller, SPI_connect, switch to the store's owner.  In
 * a transaction that acts for a user (ews_act_as), the call acts for that
 * user: the calling role must still be allowed to act for it, else this
 * raises the error ews_act_as raises.  Every SQL function opens this way.
 */
extern void ews_ctx_begin(EwsCtx *ctx);
/* Open without the transaction's acting user: the SOAP face decides it (ews_ctx_act) */
extern void ews_ctx_begin_bare(EwsCtx *ctx);
/* Close: write the folders' content changes (content.h), switch back, SPI_finish. */
extern void ews_ctx_end(EwsCtx *ctx);

/*
 * Make the request act for the mailbox with this SMTP address.  The calling
 * role must own it (be a member of its owner role), hold the impersonate
 * grant for it, or be an admin.  Otherwise false, *st
 * ErrorImpersonateUserDenied for a role that may use the mailbox in another
 * way, ErrorNonExistentMailbox ("No mailbox with SMTP address ...", exactly
 * as for a missing address) for everyone else.
 */
extern bool ews_ctx_act(EwsCtx *ctx, const char *smtp, EwsStatus *st);
/* raise the SQL error for an ews_ctx_act refusal (42501, or 42704 "does not exist") */
extern void ews_act_as_refused(const char *smtp, const EwsStatus *st) pg_attribute_noreturn();

/* status helpers */
extern void ews_status_ok(EwsStatus *st);
extern void ews_status_set(EwsStatus *st, EwsCode code, const char *text);
extern const char *ews_status_text(const EwsStatus *st);

/* kept plans: a static EwsPlan per statement, prepared once per backend */
typedef struct EwsPlan
{
	const char *sql;
	int			nargs;
	Oid			argtypes[40];
	SPIPlanPtr	plan;
} EwsPlan;

extern SPIPlanPtr ews_plan(EwsPlan *p);
/*
 * Run a kept plan; returns SPI_processed, raises on SPI failure.  The
 * result (SPI_tuptable) is freed by the next ews_exec unless taken with
 * ews_keep_result, which hands it to the caller until ews_ctx_end.
 */
extern uint64 ews_exec(EwsPlan *p, Datum *values, const char *nulls, bool read_only, long count);
extern SPITupleTable *ews_keep_result(void);

/* column accessors for SPI_tuptable->vals[row] */
extern bool ews_col_isnull(int row, int col);
extern int64 ews_col_int64(int row, int col);
extern int32 ews_col_int32(int row, int col);
extern bool ews_col_bool(int row, int col);
extern char *ews_col_text(int row, int col);	/* palloc'd in the caller's context, NULL if null */

/* new values from the store's sequences */
extern int64 ews_next_local_id(void);
extern int64 ews_next_change_number(void);

/* ids as text (palloc'd, NUL-terminated) */
extern char *ews_id_text(const char *guid, uint8 kind, int64 local_id);
extern char *ews_change_key_text(uint32 kind, int64 change_number);

/* false when text from SQL cannot become UTF-8 (possible in SQL_ASCII only) */
extern bool ews_text_is_utf8(const char *s);

/* mailboxes */
/*
 * The mailbox of a GUID or an SMTP address, for an operation that needs it
 * for `need`.  False with *st set when the request may not: a mailbox it may
 * not reach at all answers exactly as a missing one (ErrorNonExistentMailbox,
 * same text and work); one it may read but not change, asked for
 * EWS_NEED_WRITE, answers ErrorAccessDenied.
 */
extern bool ews_mailbox_by_guid(EwsCtx *ctx, const char *guid, EwsNeed need, EwsMailbox *out,
								EwsStatus *st);
extern bool ews_mailbox_by_smtp(EwsCtx *ctx, const char *smtp, EwsNeed need, EwsMailbox *out,
								EwsStatus *st);
/* the calling role's own rights (owner, grants, admin), whatever it acts for */
extern bool ews_mailbox_allows(EwsCtx *ctx, const EwsMailbox *mb, EwsRight right);
/* superuser, or a member of the extension's admin role (ews.admin_role) */
extern bool ews_caller_is_admin(EwsCtx *ctx);
/* may the request manage (grant, revoke, drop, delegate) this mailbox it found? */
extern bool ews_mailbox_manages(EwsCtx *ctx, const EwsMailbox *mb);
extern void ews_status_no_mailbox(EwsStatus *st, const char *guid);
/* serialize hierarchy changes of one mailbox: see store.c */
extern void ews_lock_hierarchy(const pg_uuid_t *mailbox);

/*
 * Decode a FolderId or ItemId (kind EWS_ID_KIND_FOLDER or _ITEM) with its
 * optional ChangeKey, in DESIGN.md's order: malformed id, an id of the other
 * kind, a change key that does not decode or belongs to another kind of
 * object.  *change_number gets the change key's number, 0 when none was
 * sent.  Mailbox and existence are the caller's next steps.
 */
extern bool ews_object_id_decode(const char *id, const char *change_key, uint8 kind,
								 EwsObjectId *oid, int64 *change_number, EwsStatus *st);

/*
 * Resolve a folder reference for an operation that needs its mailbox for
 * `need`.  With lock, the mailbox's hierarchy lock is taken after the
 * mailbox is known and before the folder is read, so what is read stays
 * true until the transaction ends.
 */
extern bool ews_folder_resolve(EwsCtx *ctx, const EwsFolderRef *ref, EwsNeed need, bool lock,
							   EwsFolder *out, EwsStatus *st);
/*
 * The acting mailbox of a SOAP request: the mailboxes the caller owns
 * (returns how many, 0, 1 or 2 meaning "more than one", the first in *out),
 * and the mailbox ExchangeImpersonation names, if the caller owns it or
 * holds the impersonate grant (else ErrorImpersonateUserDenied for a role
 * that may use it, ErrorNonExistentMailbox for everyone else).
 */
extern int	ews_mailbox_owned(EwsCtx *ctx, EwsMailbox *out);
extern bool ews_mailbox_impersonate(EwsCtx *ctx, const char *smtp, EwsMailbox *out, EwsStatus *st);

extern bool ews_folder_fetch(const pg_uuid_t *mailbox, const char *guid, int64 folder_id, EwsFolder *out);
extern void ews_folder_counts(EwsFolder *f);
/* the local id of a mailbox's distinguished folder (inbox, ...); 0 if it has none */
extern int64 ews_distinguished_folder_id(const pg_uuid_t *mailbox, const char *name);

#endif
