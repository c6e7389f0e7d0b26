/*
 * finditem.h
 *	  FindItem and GetItem in the store core: restrictions (a tree read from
 *	  m:Restriction, turned into SQL over the extracted columns), sort
 *	  orders, paging, and the rows both operations hand to their face.
 *
 * A restriction becomes one SQL statement built from a fixed vocabulary:
 * the column names of ews.item (props.c), a fixed set of operators and
 * functions, and every value from the request as a $n parameter.  No text
 * of the request ever becomes SQL text.  A property without an extracted
 * column is read from each row's blob by the ews.prop_* functions (the
 * documented slow path: it decodes the blob of every row of the folder).
 *
 * Restrictions follow MAPI's two-valued logic: a comparison with a
 * property the item does not have is false, and Not of it is true.
 */
#ifndef EWS_FINDITEM_H
#define EWS_FINDITEM_H

#include "store.h"

#include "props.h"

/* ---- paths: what a request names a property by ---- */

typedef enum EwsPathKind
{
	EWS_PATH_FIELD,				/* t:FieldURI */
	EWS_PATH_EXTENDED,			/* t:ExtendedFieldURI */
	EWS_PATH_INDEXED			/* t:IndexedFieldURI (contacts): never kept */
} EwsPathKind;

typedef struct EwsPath
{
	EwsPathKind kind;
	const char *uri;			/* FIELD: as written (item:Subject, folder:DisplayName) */
	const EwsFieldDef *field;	/* FIELD of an item: the definition, NULL when not kept */
	EwsExtPath	ext;			/* EXTENDED */
} EwsPath;

/* ---- restrictions ---- */

typedef enum EwsRestrictOp
{
	EWS_R_AND,
	EWS_R_OR,
	EWS_R_NOT,
	EWS_R_EXISTS,
	EWS_R_EXCLUDES,
	EWS_R_EQ,
	EWS_R_NE,
	EWS_R_GT,
	EWS_R_GE,
	EWS_R_LT,
	EWS_R_LE,
	EWS_R_CONTAINS
} EwsRestrictOp;

typedef enum EwsContainMode
{
	EWS_CONTAIN_SUBSTRING,		/* Substring, ExactPhrase (the default) */
	EWS_CONTAIN_PREFIXED,
	EWS_CONTAIN_FULLSTRING,
	EWS_CONTAIN_PREFIX_ON_WORDS
} EwsContainMode;

typedef struct EwsRestriction
{
	EwsRestrictOp op;
	EwsPath		path;			/* every op but And, Or, Not */
	/* comparisons: the right side is a constant or another path */
	bool		rhs_is_path;
	EwsPath		rhs;
	char	   *constant;		/* Constant/@Value; Excludes' Bitmask/@Value */
	/* Contains */
	EwsContainMode mode;
	bool		ignore_case;
	/* And, Or, Not */
	struct EwsRestriction **children;
	int			nchildren;
} EwsRestriction;

/* most nodes a restriction may have (bounds the statement we build) */
#define EWS_MAX_RESTRICTION_NODES 4096
/* most t:FieldOrder elements of a m:SortOrder */
#define EWS_MAX_SORT_KEYS 16
/* the largest page FindItem answers, as Exchange's EWSFindCountLimit */
#define EWS_MAX_FIND_PAGE 1000

typedef struct EwsSortKey
{
	EwsPath		path;
	bool		descending;
} EwsSortKey;

/* ---- paging ---- */

typedef enum EwsViewKind
{
	EWS_VIEW_NONE,
	EWS_VIEW_INDEXED,
	EWS_VIEW_FRACTIONAL
} EwsViewKind;

typedef struct EwsPageView
{
	EwsViewKind kind;
	bool		has_max;
	int			max;			/* MaxEntriesReturned */
	int			offset;			/* Indexed: Offset; Fractional: Numerator */
	int			denominator;	/* Fractional */
	bool		from_end;		/* BasePoint="End" */
} EwsPageView;

/* the page a view selects of `total` rows, and what m:RootFolder says of it */
typedef struct EwsPage
{
	int			start;			/* rows [start, stop) in view order */
	int			stop;
	int			total;			/* TotalItemsInView */
	bool		includes_last;	/* IncludesLastItemInRange */
	int			next_offset;	/* IndexedPagingOffset (Indexed, None) */
	int			numerator_offset;	/* Fractional */
} EwsPage;

/*
 * Check a view (ErrorInvalidPagingMaxRows for MaxEntriesReturned <= 0,
 * ErrorInvalidIndexedPagingParameters for a negative offset,
 * ErrorInvalidFractionalPagingParameters for a fraction outside [0, 1]).
 */
extern bool ews_page_view_check(const EwsPageView *v, EwsStatus *st);
/* the page of `total` rows a (checked) view selects; at most `cap` rows */
extern void ews_page_window(const EwsPageView *v, int total, int cap, EwsPage *page);

/* ---- what an operation reads of each item ---- */

typedef struct EwsItemNeeds
{
	bool		cols[EWS_C_COUNT];	/* extracted columns */
	bool		blob;			/* the blob (blob properties, MIME) */
	bool		folder_change;	/* the parent folder's change number */
} EwsItemNeeds;

/* one item as the store hands it to a face */
typedef struct EwsItemRow
{
	const char *guid;			/* the mailbox's */
	int64		item_id;
	int64		change_number;
	int64		folder_id;
	int64		folder_change;
	Datum		vals[EWS_C_COUNT];
	bool		isnull[EWS_C_COUNT];	/* also true when not fetched */
	const uint8 *blob;			/* detoasted, NULL when not fetched */
	size_t		blob_len;
	/* the request's rights in the item's mailbox (EffectiveRights) */
	EwsAccess	access;
	bool		delegated;
} EwsItemRow;

/* ---- FindItem ---- */

typedef struct EwsItemQuery
{
	bool		associated;		/* Traversal Associated, else Shallow */
	EwsRestriction *restriction;	/* NULL: every item */
	EwsSortKey *sort;			/* NULL: DateTimeReceived descending */
	int			nsort;
	EwsPageView view;
	EwsItemNeeds needs;
} EwsItemQuery;

/*
 * FindItem in one folder.  On success page_cb is called once with the
 * page, then row_cb for each item of it in view order; each row's memory
 * (and its detoasted blob) is freed after row_cb returns, so a page of
 * large items never holds more than one of them.  On failure neither is
 * called and *st says why: the folder's errors, paging errors, and the
 * restriction's (ErrorUnsupportedPathForQuery, ErrorContainsFilterWrongType,
 * ErrorInvalidValueForProperty, ErrorUnsupportedPathForSortGroup).
 */
typedef void (*EwsFindPageCb) (void *arg, const EwsFolder *folder, const EwsPage *page);
typedef void (*EwsItemRowCb) (void *arg, int index, const EwsItemRow *row, const EwsStatus *st);
extern bool ews_item_find(EwsCtx *ctx, const EwsFolderRef *parent, const EwsItemQuery *q,
						  EwsFindPageCb page_cb, EwsItemRowCb row_cb, void *arg, EwsStatus *st);

/*
 * GetItem of a batch: for each ref, in input order, row_cb gets the item
 * (row NULL and *st an error for one that cannot be read).  One lookup per
 * mailbox for the whole batch; blobs are detoasted one at a time.
 */
struct EwsItemRef;
extern void ews_item_get_batch(EwsCtx *ctx, const struct EwsItemRef *refs, int n,
							   const EwsItemNeeds *needs, EwsItemRowCb row_cb, void *arg);

/*
 * FindFolder's m:Restriction as an SQL condition over ews.folder f, appended
 * to sql.  Its parameters are numbered from first_param; on success
 * (*types)[first_param - 1 ..] and (*values)[...] hold them and *nparams is
 * the highest number used (the arrays are palloc'd, with room for the
 * parameters before first_param, which the caller fills).  False with *st
 * set when the restriction cannot be applied.
 */
extern bool ews_folder_restriction_sql(const EwsRestriction *r, int first_param, StringInfo sql,
									   Oid **types, Datum **values, int *nparams, EwsStatus *st);

/* the columns and blob a path needs to be answered (by GetItem or FindItem) */
extern void ews_needs_add_path(EwsItemNeeds *needs, const EwsPath *path);

#endif
