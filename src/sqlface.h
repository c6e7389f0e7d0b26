/*
 * sqlface.h
 *	  Helpers the SQL face's fmgr wrappers share (also used by item and
 *	  move/copy wrappers): unpacking text[] arguments and appending the
 *	  response columns every batch function ends with.
 */
#ifndef EWS_SQLFACE_H
#define EWS_SQLFACE_H

#include "fmgr.h"

#include "store.h"

/* elements of a text[] argument as C strings (NULL elements stay NULL) */
extern char **ews_text_array(ArrayType *arr, int *n);
/* a text[] argument that may be NULL (then *n = 0 and NULL is returned) */
extern char **ews_text_array_opt(FunctionCallInfo fcinfo, int argno, int *n);

/* the four response columns every result row ends with */
#define EWS_STATUS_COLS 4
extern void ews_status_datums(const EwsStatus *st, Datum *values, bool *nulls);

/* a text datum or NULL */
extern Datum ews_text_or_null(const char *s, bool *isnull);

#endif
