/*
 * actas.c
 *	  The transaction-scoped acting user of the SQL face (ews_act_as).
 *
 * Why not a GUC: a setting can be changed with SET or set_config() by
 * whatever SQL runs in the session, survives the transaction unless it was
 * SET LOCAL, and is the kind of thing a connection pool leaks from one
 * client's request into the next.  This is a static in backend memory that
 * only ews_act_as() writes, after checking that the calling role may act
 * for the mailbox, and that transaction and subtransaction callbacks clear:
 * at commit, abort and PREPARE, and when the subtransaction that set it
 * rolls back (a SAVEPOINT, a PL/pgSQL exception block).  Its memory is a
 * fixed buffer, so nothing is allocated that a transaction's end frees
 * under it.
 *
 * What the state means is decided elsewhere: store.c makes every call of the
 * transaction act for the address, checking again, at every call, that the
 * calling role may (a SET ROLE or a revoked grant takes effect at once).
 */
#include "postgres.h"

#include "access/xact.h"

#include "actas.h"

/* an SMTP address is at most 320 bytes (mailbox.c) */
#define ACTAS_MAX 320

static bool callbacks_registered = false;
static bool actas_valid = false;
static char actas_smtp[ACTAS_MAX + 1];
/* the subtransaction that set it: when it aborts, the setting goes with it */
static SubTransactionId actas_subid = InvalidSubTransactionId;

static void
actas_clear(void)
{
	actas_valid = false;
	actas_smtp[0] = '\0';
	actas_subid = InvalidSubTransactionId;
}

static void
actas_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			actas_clear();
			break;
		default:
			break;
	}
}

static void
actas_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	if (!actas_valid || actas_subid != mySubid)
		return;
	if (event == SUBXACT_EVENT_ABORT_SUB)
		actas_clear();
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
		actas_subid = parentSubid;	/* now the parent's, to be undone with it */
}

const char *
ews_actas_current(void)
{
	return actas_valid ? actas_smtp : NULL;
}

void
ews_actas_set(const char *smtp)
{
	if (strlen(smtp) > ACTAS_MAX)
		elog(ERROR, "acting user address too long");
	if (!callbacks_registered)
	{
		RegisterXactCallback(actas_xact_callback, NULL);
		RegisterSubXactCallback(actas_subxact_callback, NULL);
		callbacks_registered = true;
	}
	/* the same user again: the outermost setting stays the one that counts */
	if (actas_valid)
		return;
	strlcpy(actas_smtp, smtp, sizeof(actas_smtp));
	actas_subid = GetCurrentSubTransactionId();
	actas_valid = true;
}
