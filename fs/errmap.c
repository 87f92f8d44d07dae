/**
 * @file
 * client errors -> errno, with no default case: a new enum az_err value
 * that nobody mapped is a compiler warning (-Wswitch).
 */
#include <errno.h>

#include "fs/fs.h"

int cfs_errno(enum az_err e)
{
	switch (e) {
	case AZ_OK:
		return 0;
	case AZ_ERR_NOT_FOUND:
		return ENOENT;
	case AZ_ERR_CONFLICT:
		return EBUSY;
	case AZ_ERR_UNAUTHORIZED:
	case AZ_ERR_FORBIDDEN:
		return EACCES;
	case AZ_ERR_BAD_REQUEST:
	case AZ_ERR_INVALID:
		return EINVAL;
	case AZ_ERR_THROTTLED:
		return EAGAIN;
	case AZ_ERR_TIMEOUT:
		return ETIMEDOUT;
	case AZ_ERR_SERVER:
	case AZ_ERR_UNREACHABLE:
	case AZ_ERR_TLS:
	case AZ_ERR_PROTOCOL:
	case AZ_ERR_NO_CREDENTIAL:
		return EIO;
	case AZ_ERR_NOMEM:
		return ENOMEM;
	case AZ_ERR_CANCELED:
		return EINTR;
	}
	return EIO;
}
