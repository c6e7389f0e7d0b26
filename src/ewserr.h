/*
 * ewserr.h
 *	  EWS response codes and their default message texts, pure C.
 *
 * The names are values of ResponseCodeType in Microsoft's messages.xsd; the
 * texts are Exchange's where the seeds show them ("The change key is
 * invalid.", "No mailbox with such guid.", "Cannot move distinguished
 * folder.").  Both faces (SQL rows, SOAP messages) print from this table.
 */
#ifndef EWS_EWSERR_H
#define EWS_EWSERR_H

#define EWS_CODES(X) \
	X(NoError, "") \
	X(ErrorInvalidIdMalformed, "Id is malformed.") \
	X(ErrorCannotUseItemIdForFolderId, "Item id can't be used as a folder id.") \
	X(ErrorCannotUseFolderIdForItemId, "Folder id can't be used as an item id.") \
	X(ErrorNonExistentMailbox, "No mailbox with such guid.") \
	X(ErrorFolderNotFound, "The specified folder could not be found in the store.") \
	X(ErrorItemNotFound, "The specified object was not found in the store.") \
	X(ErrorParentFolderNotFound, "The parent folder could not be found in the store.") \
	X(ErrorAccessDenied, "Access is denied. Check credentials and try again.") \
	X(ErrorInvalidChangeKey, "The change key is invalid.") \
	X(ErrorIrresolvableConflict, "The update could not be performed because the change key passed in the request does not match the current change key for the item.") \
	X(ErrorChangeKeyRequiredForWriteOperations, "A change key is required to update an existing item.") \
	X(ErrorFolderExists, "A folder with the specified name already exists.") \
	X(ErrorFolderSavePropertyError, "The folder save operation failed due to invalid property values.") \
	X(ErrorDeleteDistinguishedFolder, "Distinguished folders cannot be deleted.") \
	X(ErrorMoveDistinguishedFolder, "Cannot move distinguished folder.") \
	X(ErrorToFolderNotFound, "The destination folder could not be found.") \
	X(ErrorMoveCopyFailed, "The move or copy operation failed.") \
	X(ErrorCrossMailboxMoveCopy, "Cross-mailbox moves and copies are not supported.") \
	X(ErrorCorruptData, "The item data is corrupt.") \
	X(ErrorDataSizeLimitExceeded, "The item data exceeds the size limit.") \
	X(ErrorInvalidRequest, "The request is invalid.") \
	X(ErrorSchemaValidation, "The request failed schema validation.") \
	X(ErrorInvalidOperation, "The operation is not valid.") \
	X(ErrorImpersonateUserDenied, "The account does not have permission to impersonate the requested user.") \
	X(ErrorInvalidServerVersion, "The specified server version is invalid.") \
	X(ErrorInvalidSyncStateData, "Synchronization state data is corrupt or otherwise invalid.") \
	X(ErrorSyncFolderNotFound, "The specified synchronization folder could not be found.") \
	X(ErrorInternalServerError, "An internal server error occurred. The operation failed.") \
	X(ErrorBatchProcessingStopped, "The batch was stopped before this input was processed.") \
	X(ErrorExceededFindCountLimit, "The find count limit was exceeded; use paging to get the results in smaller pages.") \
	X(ErrorMessageSizeExceeded, "The response to this input would be larger than the server allows.") \
	/* FindItem, GetItem and restrictions (issue 13) */ \
	X(ErrorInvalidPagingMaxRows, "The MaxEntriesReturned value of the paging view is invalid.") \
	X(ErrorInvalidIndexedPagingParameters, "The offset of the indexed paging view is invalid.") \
	X(ErrorInvalidFractionalPagingParameters, "The fraction of the fractional paging view is invalid.") \
	X(ErrorInvalidRestriction, "The restriction is invalid.") \
	X(ErrorUnsupportedPathForQuery, "The property path is not supported in a restriction.") \
	X(ErrorUnsupportedPathForSortGroup, "The property path is not supported in a sort order.") \
	X(ErrorUnsupportedQueryFilter, "The restriction is not supported.") \
	X(ErrorContainsFilterWrongType, "The Contains filter needs a string property.") \
	X(ErrorInvalidValueForProperty, "The value is invalid for the property.") \
	/* item writes (issue 14) */ \
	X(ErrorInvalidPropertySet, "Set action is invalid for property.") \
	X(ErrorInvalidPropertyDelete, "Object cannot be deleted.") \
	X(ErrorInvalidPropertyAppend, "Append action is invalid for property.") \
	X(ErrorInvalidExtendedPropertyValue, "The extended property value is invalid.") \
	X(ErrorIncorrectUpdatePropertyCount, "An object within a change description must contain one and only one property to modify.") \
	X(ErrorUpdatePropertyMismatch, "The property in the change description does not match the property in the object.") \
	X(ErrorMessageSubmissionBlocked, "This store has no mail transport: messages cannot be sent.") \
	X(ErrorInvalidItemForOperationCreateItem, "The CreateItem operation cannot create an item of this kind.") \
	X(ErrorCannotEmptyFolder, "The folder cannot be emptied.") \
	X(ErrorMailboxMoveInProgress, "The mailbox is being moved to another node; try again when the move is done.") \
	X(ErrorCrossSiteRequest, "The request names mailboxes held by different nodes; send a separate request for each node's mailboxes.")

typedef enum EwsCode
{
#define EWS_CODE_ENUM(name, text) EWS_##name,
	EWS_CODES(EWS_CODE_ENUM)
#undef EWS_CODE_ENUM
	EWS_CODE_COUNT
} EwsCode;

/* "ErrorFolderNotFound" */
const char *ews_code_name(EwsCode code);

/* Exchange's MessageText for the code */
const char *ews_code_text(EwsCode code);

/*
 * "Success", "Warning" or "Error".  A Warning, in EWS, is an input that was
 * not processed because the batch stopped before it (Exchange answers the
 * rest of a batch so after an error that stops batch processing).
 */
static inline const char *
ews_code_class(EwsCode code)
{
	return code == EWS_NoError ? "Success" :
		code == EWS_ErrorBatchProcessingStopped ? "Warning" : "Error";
}

#endif
