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
	X(ErrorInternalServerError, "An internal server error occurred. The operation failed.")

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

/* "Success" or "Error" */
static inline const char *
ews_code_class(EwsCode code)
{
	return code == EWS_NoError ? "Success" : "Error";
}

#endif
