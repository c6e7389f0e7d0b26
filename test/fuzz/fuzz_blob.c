/*
 * fuzz_blob.c
 *	  libFuzzer harness for the item blob reader, iterator and merger.
 *
 * Any input: validate must not read outside the input and must report an
 * offset inside it; the iterator and the merger must stay in bounds even on
 * input validate refused.  Accepted input: iterating, re-encoding and
 * merging must agree with each other: re-encoding the iterated properties
 * gives the same bytes (the format is canonical), and merging in the two
 * store-maintained properties gives a blob that validates and keeps every
 * other property's bytes.  Each input is also tried with its CRC fixed up,
 * so mutations reach the checks behind the CRC.
 */
#include "blob.h"

#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond) do { if (!(cond)) __builtin_trap(); } while (0)

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walk whatever the iterator yields; it must only hand out in-bounds values */
static uint32_t
walk(const uint8_t *data, size_t size, EwsBlobProp *props, uint32_t max)
{
	EwsBlobIter it;
	EwsBlobProp p;
	uint32_t	n = 0;

	ews_blob_iter_init(&it, data, size);
	while (ews_blob_iter_next(&it, &p))
	{
		REQUIRE(p.value >= data && p.len <= size && (size_t) (p.value - data) <= size - p.len);
		if (props && n < max)
			props[n] = p;
		n++;
	}
	return n;
}

static void
check_blob(const uint8_t *data, size_t size)
{
	uint32_t	nprops = 0;
	size_t		off = 0;
	EwsBlobStatus st;
	EwsBlobProp *props;
	uint8_t    *out;
	size_t		outlen;
	uint8_t		t_new[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	uint8_t		ck_new[12] = {9, 0, 0, 0, 42};
	EwsBlobProp over[2] = {
		{EWS_TAG_LAST_MODIFICATION_TIME, 8, t_new},
		{EWS_TAG_CHANGE_KEY, sizeof(ck_new), ck_new},
	};

	st = ews_blob_validate(data, size, 0, &nprops, NULL);
	REQUIRE(ews_blob_status_text(st) != NULL);
	/* a limit below the size wins over every other fault */
	if (size > 1)
		REQUIRE(ews_blob_validate(data, size, size - 1, NULL, &off) == EWS_BLOB_TOO_LARGE &&
				off == size - 1);
	if (st != EWS_BLOB_OK)
	{
		REQUIRE(st != EWS_BLOB_TOO_LARGE);	/* no limit was given */
		REQUIRE(ews_blob_validate(data, size, 0, NULL, &off) == st && off <= size);
		/* refused input must still be safe to hand to the other entry points */
		walk(data, size, NULL, 0);
		outlen = ews_blob_merged_size(data, size, over, 2);
		if (outlen > 0)
		{
			out = malloc(outlen);
			REQUIRE(out != NULL);
			ews_blob_merge(data, size, over, 2, out);
			free(out);
		}
		return;
	}

	/* Accepted: the iterator sees exactly the properties validate counted */
	props = malloc(sizeof(EwsBlobProp) * (nprops ? nprops : 1));
	REQUIRE(props != NULL);
	REQUIRE(walk(data, size, props, nprops) == nprops);
	for (uint32_t i = 0; i < nprops; i++)
	{
		EwsBlobProp f;

		REQUIRE(ews_blob_find(data, size, props[i].tag, &f));
		REQUIRE(f.value == props[i].value && f.len == props[i].len);
	}
	REQUIRE(ews_blob_find(data, size, EWS_TAG_MESSAGE_CLASS, NULL));

	/* Canonical form: re-encoding the iterated properties gives the same bytes */
	outlen = ews_blob_encoded_size(props, nprops);
	REQUIRE(outlen == size);
	out = malloc(outlen);
	REQUIRE(out != NULL);
	REQUIRE(ews_blob_encode(props, nprops, out, outlen) == EWS_BLOB_OK);
	REQUIRE(memcmp(out, data, size) == 0);
	free(out);

	/* An empty merge copies */
	outlen = ews_blob_merged_size(data, size, NULL, 0);
	REQUIRE(outlen == size);
	out = malloc(outlen);
	REQUIRE(out != NULL);
	ews_blob_merge(data, size, NULL, 0, out);
	REQUIRE(memcmp(out, data, size) == 0);
	free(out);

	/* Merging the store-maintained properties, as every write does */
	outlen = ews_blob_merged_size(data, size, over, 2);
	REQUIRE(outlen > 0);
	out = malloc(outlen);
	REQUIRE(out != NULL);
	ews_blob_merge(data, size, over, 2, out);
	{
		uint32_t	mcount = 0;
		uint32_t	replaced = 0;
		EwsBlobProp p;

		REQUIRE(ews_blob_validate(out, outlen, 0, &mcount, NULL) == EWS_BLOB_OK);
		for (uint32_t i = 0; i < nprops; i++)
		{
			if (props[i].tag == over[0].tag || props[i].tag == over[1].tag)
			{
				replaced++;
				continue;
			}
			/* every other property kept, byte for byte */
			REQUIRE(ews_blob_find(out, outlen, props[i].tag, &p));
			REQUIRE(p.len == props[i].len && memcmp(p.value, props[i].value, p.len) == 0);
		}
		REQUIRE(mcount == nprops - replaced + 2);
		for (int k = 0; k < 2; k++)
		{
			REQUIRE(ews_blob_find(out, outlen, over[k].tag, &p));
			REQUIRE(p.len == over[k].len && memcmp(p.value, over[k].value, p.len) == 0);
		}
	}
	free(out);
	free(props);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t    *fixed;

	check_blob(data, size);

	/*
	 * Random mutations almost never carry a matching CRC, which would leave
	 * everything after the CRC check (re-encoding, merging) to the seeds
	 * alone.  So check a copy with the CRC made right as well.
	 */
	if (size >= EWS_BLOB_MIN_SIZE)
	{
		fixed = malloc(size);
		REQUIRE(fixed != NULL);
		memcpy(fixed, data, size);
		ews_put_le32(fixed + size - 4, ews_blob_checksum(fixed, size - 4));
		check_blob(fixed, size);
		free(fixed);
	}
	return 0;
}
