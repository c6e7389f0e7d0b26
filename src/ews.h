/*
 * ews.h
 *	  The extension's settings.
 */
#ifndef EWS_EWS_H
#define EWS_EWS_H

extern int	ews_max_request_size;	/* ews.max_request_size, bytes */
extern int	ews_max_item_size;		/* ews.max_item_size, bytes */

#endif
