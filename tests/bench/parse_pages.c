/**
 * @file
 * computefs-parse-pages: the CPU time of parsing a listing's pages once.
 *
 * The baseline tests/bench/scale.py compares a refresh against: every
 * page file given is read into memory first, then parsed with cJSON (the
 * library computefs's client parses with) and freed, REPEAT times; the
 * median process CPU time of one pass over all pages is printed in ms.
 *
 * Usage: computefs-parse-pages REPEAT PAGE.json ...
 */
#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char *argv[])
{
	int repeat = argc > 1 ? atoi(argv[1]) : 0;
	int n = argc - 2;
	char **text;
	size_t bytes = 0;
	double *t;

	if (repeat < 1 || n < 1) {
		fprintf(stderr, "usage: computefs-parse-pages REPEAT PAGE...\n");
		return 2;
	}
	text = calloc((size_t)n, sizeof(*text));
	t = calloc((size_t)repeat, sizeof(*t));
	if (!text || !t)
		return 1;
	for (int i = 0; i < n; i++) {
		FILE *f = fopen(argv[i + 2], "rb");
		long len;

		if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0)
			return 1;
		rewind(f);
		text[i] = malloc((size_t)len + 1);
		if (!text[i] || fread(text[i], 1, (size_t)len, f) != (size_t)len)
			return 1;
		text[i][len] = '\0';
		bytes += (size_t)len;
		fclose(f);
	}
	for (int r = 0; r < repeat; r++) {
		double t0 = cpu_ms();

		for (int i = 0; i < n; i++) {
			cJSON *j = cJSON_Parse(text[i]);

			if (!j) {
				fprintf(stderr, "%s: not JSON\n", argv[i + 2]);
				return 1;
			}
			cJSON_Delete(j);
		}
		t[r] = cpu_ms() - t0;
	}
	qsort(t, (size_t)repeat, sizeof(*t), cmp);
	printf("parse_cpu_ms=%.3f pages=%d bytes=%zu\n", t[repeat / 2], n,
	       bytes);
	return 0;
}
