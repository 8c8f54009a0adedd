// SPDX-License-Identifier: GPL-2.0
/*
 * top - the pure parts of ovcctl top (see top.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libovc.h"
#include "top.h"

int ovc_rate(uint64_t before, uint64_t after, double seconds, double *rate)
{
	if (!(seconds > 0) || after < before) {
		errno = EINVAL;
		return -1;
	}
	*rate = (double)(after - before) / seconds;
	return 0;
}

int ovc_merge_rate(uint64_t saved_before, uint64_t saved_after, uint64_t cow_before,
		   uint64_t cow_after, double seconds, double *rate)
{
	double cow, grown;

	if (ovc_rate(cow_before, cow_after, seconds, &cow))
		return -1;
	/* saved pages go down too (COW, unmerge): a signed difference */
	grown = ((double)saved_after - (double)saved_before) / seconds;
	*rate = grown + cow > 0 ? grown + cow : 0;
	return 0;
}

int ovc_parse_interval(const char *s, double *seconds)
{
	size_t digits = strspn(s, "0123456789");
	const char *p = s + digits;
	char *end;
	double v;

	if (*p == '.') {
		p++;
		digits += strspn(p, "0123456789");
		p += strspn(p, "0123456789");
	}
	if (!digits || *p) {
		errno = EINVAL;
		return -1;
	}
	v = strtod(s, &end);
	if (end != p) {		/* a locale with another decimal point */
		errno = EINVAL;
		return -1;
	}
	if (!(v > 0) || v > OVC_TOP_INTERVAL_MAX) {
		errno = ERANGE;
		return -1;
	}
	*seconds = v;
	return 0;
}

int ovc_parse_count(const char *s, uint32_t *count)
{
	uint64_t v;

	if (ovc_parse_u64(s, &v))
		return -1;	/* EINVAL, or ERANGE past 64 bits */
	if (v < 1 || v > UINT32_MAX) {
		errno = ERANGE;
		return -1;
	}
	*count = v;
	return 0;
}

void ovc_csv_field(FILE *f, const char *s)
{
	if (!s[strcspn(s, ",\"\r\n")]) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}
