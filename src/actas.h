/*
 * actas.h
 *	  The SQL face's acting user: ews_act_as(smtp) makes the rest of the
 *	  transaction act for a mailbox's user (DESIGN.md "Access").
 *
 * The state is backend memory, not a setting: no SET, RESET, set_config()
 * or pooled connection can name or keep it.  It ends with the transaction
 * (commit, abort, prepare) and with the subtransaction that set it, if that
 * one rolls back, the way SET LOCAL does.
 */
#ifndef EWS_ACTAS_H
#define EWS_ACTAS_H

/* the SMTP address this transaction acts for (as ews_act_as was given it), or NULL */
extern const char *ews_actas_current(void);

/* act for this address until the transaction (or the current subtransaction, if it aborts) ends */
extern void ews_actas_set(const char *smtp);

#endif
