/*
 * scaleout.h
 *	  The node side of scale-out (README "Scale-out"): the lock that keeps
 *	  the writes of a mailbox out while it moves to another node.
 */
#ifndef EWS_SCALEOUT_H
#define EWS_SCALEOUT_H

#include "postgres.h"

#include "utils/uuid.h"

/*
 * May this transaction write into the mailbox?  False while a move holds
 * the mailbox (ews_scaleout_freeze); otherwise true, and the transaction
 * holds a share of the mailbox's move lock until it ends, so a move that
 * starts meanwhile waits for it before copying anything.
 */
extern bool ews_scaleout_writable(const pg_uuid_t *mailbox);

#endif
