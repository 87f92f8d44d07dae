/**
 * @file
 * Logging to stderr or syslog (see log.h).
 *
 * The settings are written once by log_setup() before any thread starts
 * and only read afterwards, so no lock guards them; each line is one
 * write, so lines from threads do not interleave.
 */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

static struct {
	const char *ident;
	bool syslog;
	enum log_level max;
} settings = { "computefs", false, LOG_LVL_INFO };

void log_setup(const char *ident, bool use_syslog, enum log_level max)
{
	settings.ident = ident;
	settings.syslog = use_syslog;
	settings.max = max;
	if (use_syslog)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

static int syslog_priority(enum log_level lvl)
{
	switch (lvl) {
	case LOG_LVL_ERROR:
		return LOG_ERR;
	case LOG_LVL_WARN:
		return LOG_WARNING;
	case LOG_LVL_INFO:
		return LOG_INFO;
	case LOG_LVL_DEBUG:
		return LOG_DEBUG;
	}
	return LOG_INFO;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (lvl > settings.max)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (settings.syslog)
		syslog(syslog_priority(lvl), "%s", line);
	else
		fprintf(stderr, "%s: %s%s\n", settings.ident,
			lvl == LOG_LVL_ERROR  ? "error: "
			: lvl == LOG_LVL_WARN ? "warning: "
					      : "",
			line);
}
