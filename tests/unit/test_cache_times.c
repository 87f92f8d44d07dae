/**
 * @file
 * Unit tests of cache/'s change times (what st_mtime shows): kept across a
 * refresh or re-read that brings the same content, moved by a change,
 * first sight from lastOperation or createdOn, the set's time moved when
 * an instance comes or goes. And of reuse: a refresh shares the items of
 * computes Azure sent unchanged, copies one before an operation record
 * changes it. Against the fake backend of cache_fake.h, with a fake wall
 * clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/cache.h"
#include "cache/internal.h"
#include "cache_fake.h"

#define WALL0 1800000000 /* the fake wall clock: WALL0 + the fake clock */

static void fake_wall(void *ctx, struct timespec *out)
{
	out->tv_sec = WALL0 + (time_t)fake_now(ctx);
	out->tv_nsec = 0;
}

static struct cache *times_cache(void)
{
	struct cache_backend be = {
		.list = fake_list, .get = fake_get, .now = fake_now,
		.wall = fake_wall, .ctx = &fk,
	};
	struct cache_config cfg = { .ttl = 10 };

	return cache_new(&be, &cfg);
}

/* times_cache() whose listings reuse unchanged computes, with writes. */
static struct cache *reuse_cache(void)
{
	struct cache_backend be = fake_backend();
	struct cache_config cfg = { .ttl = 10 };

	be.list_prev = fake_list_prev;
	be.wall = fake_wall;
	return cache_new(&be, &cfg);
}

/* The listing after a refresh at fake time @t (stale, then revalidated). */
static struct cache_listing *refreshed(struct cache *c, double t)
{
	struct cache_listing *l;

	set_now(t);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	cache_listing_put(l);
	settle(c);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_true(cache_listing_time(l) == t);
	return l;
}

static time_t changed(const struct cache_listing *l, const char *name)
{
	long i = cache_listing_find(l, name);

	assert_true(i >= 0);
	return cache_compute_changed(cache_listing_at(l, (size_t)i)).tv_sec;
}

static void test_times_follow_content(void **state)
{
	struct cache *c = times_cache();
	struct cache_listing *l;

	(void)state;
	l = refreshed(c, 1); /* first sight, no Azure times: now */
	assert_int_equal(changed(l, "ci-bob"), WALL0 + 1);
	assert_int_equal(cache_listing_set_changed(l).tv_sec, WALL0 + 1);
	cache_listing_put(l);

	l = refreshed(c, 20); /* nothing changed: nothing moves */
	assert_int_equal(changed(l, "ci-bob"), WALL0 + 1);
	assert_int_equal(changed(l, "Ci-Alice"), WALL0 + 1);
	assert_int_equal(cache_listing_set_changed(l).tv_sec, WALL0 + 1);
	cache_listing_put(l);

	set_state("ci-bob", "Stopped"); /* only ci-bob's moves */
	l = refreshed(c, 40);
	assert_int_equal(changed(l, "ci-bob"), WALL0 + 40);
	assert_int_equal(changed(l, "Ci-Alice"), WALL0 + 1);
	assert_int_equal(changed(l, "ci-carol"), WALL0 + 1);
	assert_int_equal(cache_listing_set_changed(l).tv_sec, WALL0 + 1);
	cache_listing_put(l);

	pthread_mutex_lock(&fk.lock); /* ci-carol goes: the set moves */
	az_compute_free(&fk.computes[4]);
	fk.n--;
	pthread_mutex_unlock(&fk.lock);
	l = refreshed(c, 60);
	assert_int_equal(cache_listing_count(l), 2);
	assert_int_equal(changed(l, "ci-bob"), WALL0 + 40);
	assert_int_equal(cache_listing_set_changed(l).tv_sec, WALL0 + 60);
	cache_listing_put(l);
	cache_free(c);
}

static void test_times_first_sight(void **state)
{
	struct cache *c = times_cache();
	struct cache_listing *l;
	long i;

	(void)state;
	/* script fields, set while no call is in flight */
	fk.computes[0].op_time = strdup("2024-05-01T10:00:00.1234567Z");
	fk.computes[0].created_on = strdup("2021-04-01T22:00:00+00:00");
	fk.computes[2].created_on = strdup("2024-04-01T12:00:00+02:00");
	fk.computes[4].op_time = strdup("2999-01-01T00:00:00Z"); /* future */
	l = refreshed(c, 5);
	assert_int_equal(changed(l, "ci-bob"), 1714557600);
	i = cache_listing_find(l, "ci-bob");
	assert_int_equal(cache_compute_changed(cache_listing_at(l, (size_t)i))
				 .tv_nsec, 123456700);
	assert_int_equal(changed(l, "Ci-Alice"), 1711965600);
	assert_int_equal(changed(l, "ci-carol"), WALL0 + 5);
	cache_listing_put(l);
	cache_free(c);
}

static void test_times_reread(void **state)
{
	struct cache *c = times_cache();
	struct cache_listing *l;

	(void)state;
	cache_listing_put(refreshed(c, 1));
	set_state("ci-bob", "Stopped");
	set_now(3);
	cache_reread(c, "ci-bob"); /* changed: moves */
	cache_reread(c, "Ci-Alice"); /* the same: keeps */
	l = cache_peek(c);
	assert_string_equal(cache_listing_at(l, 1)->state, "Stopped");
	assert_int_equal(changed(l, "ci-bob"), WALL0 + 3);
	assert_int_equal(changed(l, "Ci-Alice"), WALL0 + 1);
	assert_int_equal(cache_listing_set_changed(l).tv_sec, WALL0 + 1);
	cache_listing_put(l);

	/* the next refresh brings the same: nothing moves */
	l = refreshed(c, 30);
	assert_int_equal(changed(l, "ci-bob"), WALL0 + 3);
	assert_int_equal(cache_listing_set_changed(l).tv_sec, WALL0 + 1);
	cache_listing_put(l);
	cache_free(c);
}

static const struct az_compute *at(const struct cache_listing *l,
				   const char *name)
{
	long i = cache_listing_find(l, name);

	assert_true(i >= 0);
	return cache_listing_at(l, (size_t)i);
}

static void test_reuse_shares_unchanged(void **state)
{
	struct cache *c = reuse_cache();
	struct cache_listing *l1, *l2, *l3;

	(void)state;
	l1 = refreshed(c, 1);
	l2 = refreshed(c, 20); /* nothing changed: the very same items */
	assert_ptr_equal(at(l1, "ci-bob"), at(l2, "ci-bob"));
	assert_ptr_equal(at(l1, "Ci-Alice"), at(l2, "Ci-Alice"));
	assert_ptr_equal(at(l1, "ci-carol"), at(l2, "ci-carol"));

	set_state("ci-bob", "Stopped"); /* only ci-bob's is new */
	l3 = refreshed(c, 40);
	assert_ptr_not_equal(at(l2, "ci-bob"), at(l3, "ci-bob"));
	assert_string_equal(at(l3, "ci-bob")->state, "Stopped");
	assert_string_equal(at(l2, "ci-bob")->state, "Running");
	assert_ptr_equal(at(l2, "Ci-Alice"), at(l3, "Ci-Alice"));
	assert_int_equal(changed(l3, "ci-bob"), WALL0 + 40);
	assert_int_equal(changed(l3, "Ci-Alice"), WALL0 + 1);
	cache_listing_put(l1);
	cache_listing_put(l2);
	cache_listing_put(l3);
	cache_free(c);
}

/*
 * An operation accepted whose re-read failed, while Azure still lists
 * the instance as before (as it does for a while): the next listing
 * reuses ci-carol's item, and the running start must show in a copy,
 * never in the item an older listing still shows.
 */
static void test_reuse_copies_before_overlay(void **state)
{
	struct cache *c = reuse_cache();
	struct cache_listing *l1, *l2;
	struct az_error err;

	(void)state;
	fk.op_seconds = 1000;
	l1 = refreshed(c, 1);
	fk.get_rc = AZ_ERR_SERVER;
	/* ci-carol is Starting already: the fake's bytes do not move */
	assert_int_equal(cache_operate(c, "ci-carol", CACHE_START, NULL,
				       &err), AZ_OK);
	l2 = refreshed(c, 20);
	assert_string_equal(at(l2, "ci-carol")->op_name, "Start");
	assert_int_equal(at(l2, "ci-carol")->raw_hash, 0);
	assert_null(at(l1, "ci-carol")->op_name);
	assert_true(at(l1, "ci-carol")->raw_hash != 0);
	assert_ptr_equal(at(l1, "Ci-Alice"), at(l2, "Ci-Alice"));
	assert_int_equal(changed(l2, "ci-carol"), WALL0 + 20);
	assert_int_equal(changed(l1, "ci-carol"), WALL0 + 1);
	cache_listing_put(l1);
	cache_listing_put(l2);
	cache_free(c);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_times_follow_content),
		T(test_times_first_sight),
		T(test_times_reread),
		T(test_reuse_shares_unchanged),
		T(test_reuse_copies_before_overlay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
