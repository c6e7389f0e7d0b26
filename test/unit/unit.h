/*
 * unit.h
 *	  A tiny TAP producer for the pure-C codec tests.
 *
 * Each test binary prints TAP lines ("ok N - what" / "not ok N - what") and,
 * last, the plain summary line "N passed, N failed" that CI reads.  The exit
 * status is non-zero when anything failed.
 */
#ifndef EWS_UNIT_H
#define EWS_UNIT_H

#include <stdio.h>
#include <string.h>

static int	unit_passed;
static int	unit_failed;

#define CHECK(cond, ...) \
	do { \
		int unit_ok_ = (cond) ? 1 : 0; \
		int unit_n_ = unit_passed + unit_failed + 1; \
		if (unit_ok_) { unit_passed++; printf("ok %d - ", unit_n_); } \
		else { unit_failed++; printf("not ok %d - ", unit_n_); } \
		printf(__VA_ARGS__); \
		printf("\n"); \
		if (!unit_ok_) printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	} while (0)

#define CHECK_EQ_INT(got, want, ...) \
	do { \
		long long unit_g_ = (long long) (got), unit_w_ = (long long) (want); \
		CHECK(unit_g_ == unit_w_, __VA_ARGS__); \
		if (unit_g_ != unit_w_) printf("#   got %lld, want %lld\n", unit_g_, unit_w_); \
	} while (0)

#define CHECK_MEM(got, want, len, ...) \
	CHECK(memcmp((got), (want), (len)) == 0, __VA_ARGS__)

static inline int
unit_done(void)
{
	printf("1..%d\n", unit_passed + unit_failed);
	printf("%d passed, %d failed\n", unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}

#endif
