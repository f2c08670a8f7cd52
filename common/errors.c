/*
 * Names of error codes, from the table in errors.h.
 */
#include "errors.h"

const char *sl_error_name(int err)
{
	switch (err) {
#define KAFKA_ERROR_NAME(code, name, retriable)                                \
	case code:                                                             \
		return #name;
		KAFKA_ERRORS(KAFKA_ERROR_NAME)
#undef KAFKA_ERROR_NAME
	case SL_EIO: return "I/O error";
	case SL_ENOMEM: return "out of memory";
	case SL_ECORRUPT: return "corrupt data";
	case SL_EFULL: return "no space";
	case SL_EINVAL: return "invalid argument";
	case SL_ENOENT: return "not found";
	case SL_EEXIST: return "already exists";
	case SL_ECANCELED: return "canceled";
	case SL_ESTALE: return "refused: does not match the catalog";
	}
	return "unknown error";
}

int kafka_error_retriable(int code)
{
	switch (code) {
#define KAFKA_ERROR_RETRIABLE(code, name, retriable)                           \
	case code:                                                             \
		return retriable;
		KAFKA_ERRORS(KAFKA_ERROR_RETRIABLE)
#undef KAFKA_ERROR_RETRIABLE
	}
	return 0;
}
