/*
 * ewserr.c
 *	  Names and texts of EWS response codes.
 */
#include "ewserr.h"

static const char *const code_names[] = {
#define EWS_CODE_NAME(name, text) #name,
	EWS_CODES(EWS_CODE_NAME)
#undef EWS_CODE_NAME
};

static const char *const code_texts[] = {
#define EWS_CODE_TEXT(name, text) text,
	EWS_CODES(EWS_CODE_TEXT)
#undef EWS_CODE_TEXT
};

const char *
ews_code_name(EwsCode code)
{
	if ((int) code < 0 || code >= EWS_CODE_COUNT)
		return "ErrorInternalServerError";
	return code_names[code];
}

const char *
ews_code_text(EwsCode code)
{
	if ((int) code < 0 || code >= EWS_CODE_COUNT)
		return code_texts[EWS_ErrorInternalServerError];
	return code_texts[code];
}
