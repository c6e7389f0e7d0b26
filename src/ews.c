/*
 * ews.c
 *	  Module entry: PG_MODULE_MAGIC and the extension's settings.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "ews.h"
#include "sync.h"

PG_MODULE_MAGIC;

int			ews_max_request_size = 35 * 1024 * 1024;
int			ews_max_item_size = 25 * 1024 * 1024;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("ews.max_request_size",
							"Largest SOAP request ews_soap() parses, in bytes.",
							"Larger requests get a SOAP fault before any parsing.",
							&ews_max_request_size,
							35 * 1024 * 1024, 1024, MaxAllocSize / 2,
							PGC_SUSET, GUC_UNIT_BYTE,
							NULL, NULL, NULL);
	DefineCustomIntVariable("ews.max_item_size",
							"Largest item blob UploadItems accepts, in bytes.",
							"Larger items get ErrorDataSizeLimitExceeded.",
							&ews_max_item_size,
							25 * 1024 * 1024, 64, MaxAllocSize / 4,
							PGC_SUSET, GUC_UNIT_BYTE,
							NULL, NULL, NULL);
	ews_sync_define_gucs();
	MarkGUCPrefixReserved("ews");
}
