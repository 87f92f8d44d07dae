/**
 * @file
 * Logging for every layer: one line a message, to stderr while the
 * process is in the foreground and to syslog once it is a daemon.
 *
 * Messages follow git's rule: lowercase, failure first
 * ("cannot reach %s: %s"). Never pass a token or secret to these.
 */
#ifndef COMPUTEFS_LOG_H
#define COMPUTEFS_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Set where lines go and how much is said. Call before threads start. */
void log_setup(const char *ident, bool use_syslog, enum log_level max);

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
