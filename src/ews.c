/*
 * ews.c
 *	  Module entry: PG_MODULE_MAGIC and the extension's settings.
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "ews.h"
#include "sync.h"

PG_MODULE_MAGIC;

int			ews_max_request_size = 35 * 1024 * 1024;
int			ews_max_item_size = 25 * 1024 * 1024;
int			ews_max_xml_nodes = 200000;
int			ews_max_xml_attributes = 64;
int			ews_max_xml_depth = 64;
int			ews_max_xml_text_size = 35 * 1024 * 1024;
int			ews_max_batch_size = 1000;
int			ews_max_response_size = 100 * 1024 * 1024;
int			ews_max_find_count = 1000;

void		_PG_init(void);

/*
 * ews stores Unicode text and must give it back unchanged, which a UTF8
 * database does, and a SQL_ASCII one holding UTF-8 does (the functions
 * refuse other bytes there).  In any other encoding a name could be stored
 * only by losing what the encoding lacks, or as bytes invalid in it (which
 * pg_dump would then fail on), so every function refuses to run; the
 * install and update scripts refuse the same way (sql/ews--0.1--0.2.sql).
 */
void
ews_require_database_encoding(void)
{
	int			enc = GetDatabaseEncoding();

	if (enc != PG_UTF8 && enc != PG_SQL_ASCII)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the ews extension does not support database encoding \"%s\"",
						GetDatabaseEncodingName()),
				 errdetail("ews stores Unicode text (folder names, subjects) and must return it unchanged; only UTF8 (and SQL_ASCII, holding UTF-8) databases can."),
				 errhint("Create a UTF8 database (CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE template0) and install ews there; move existing mailboxes with pg_dump and pg_restore.")));
}

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
	/*
	 * The limits below protect the server from one request: only a
	 * superuser may raise them (PGC_SUSET), in postgresql.conf, per role or
	 * per database, never a client for itself.
	 */
	DefineCustomIntVariable("ews.max_xml_nodes",
							"Most nodes (elements, attributes, texts, comments, processing instructions) a SOAP request's tree may have.",
							"Checked before parsing; libxml2's tree takes 100 to 200 bytes per node.",
							&ews_max_xml_nodes,
							200000, 100, INT_MAX,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("ews.max_xml_attributes",
							"Most attributes (namespace declarations included) one element of a SOAP request may have.",
							"Checked before parsing; libxml2 checks an element's attributes pairwise.",
							&ews_max_xml_attributes,
							64, 8, 10000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("ews.max_xml_depth",
							"Deepest nesting of elements in a SOAP request.",
							"Checked before parsing; libxml2's own limit is 256.",
							&ews_max_xml_depth,
							64, 8, 250,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("ews.max_xml_text_size",
							"Largest text (one element's content, t:Data's base64) in a SOAP request, in bytes.",
							"Checked before parsing.",
							&ews_max_xml_text_size,
							35 * 1024 * 1024, 1024, MaxAllocSize / 2,
							PGC_SUSET, GUC_UNIT_BYTE,
							NULL, NULL, NULL);
	DefineCustomIntVariable("ews.max_batch_size",
							"Most inputs (ids, folders, items) one call of a batch function or one SOAP request may name.",
							"A larger batch is refused before anything is done.",
							&ews_max_batch_size,
							1000, 1, INT_MAX,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("ews.max_response_size",
							"Largest SOAP response ews_soap() builds, in bytes.",
							"Inputs whose answers would not fit get ErrorBatchProcessingStopped.",
							&ews_max_response_size,
							100 * 1024 * 1024, 1024 * 1024, MaxAllocSize / 2,
							PGC_SUSET, GUC_UNIT_BYTE,
							NULL, NULL, NULL);
	DefineCustomIntVariable("ews.max_find_count",
							"Most folders one SOAP FindFolder answers per parent (Exchange's EWSFindCountLimit).",
							"Without paging, more gives ErrorExceededFindCountLimit; a page is cut to this size.",
							&ews_max_find_count,
							1000, 1, INT_MAX,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("ews");
}
