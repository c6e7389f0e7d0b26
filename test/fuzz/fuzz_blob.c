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

/* the editor's allocations, freed after each input */
static void *arena[64];
static int	narena;

static void *
fuzz_alloc(void *ctx, size_t size)
{
	void	   *p;

	(void) ctx;
	REQUIRE(narena < 64);
	p = malloc(size ? size : 1);
	REQUIRE(p != NULL);
	arena[narena++] = p;
	return p;
}

static void
arena_free(void)
{
	while (narena > 0)
		free(arena[--narena]);
}

static const uint8_t fuzz_guid[16] = {0x29, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0, 0, 0, 0, 0, 0, 0x46};

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

/* Accepted input: names, multi-valued values, and the editor against the merger */
static void
check_names_and_edits(const uint8_t *data, size_t size, const EwsBlobProp *props, uint32_t nprops,
					  const EwsBlobProp *over)
{
	EwsBlobNameIter nit;
	EwsBlobName n;
	size_t		m = 0;
	uint8_t    *out;
	size_t		outlen;
	uint32_t	tags[2];
	EwsBlobEdit stamp[2] = {
		{EWS_BLOB_SET, NULL, over[0]},
		{EWS_BLOB_SET, NULL, over[1]},
	};

	/* every name is found by its name and by its tag, and names a property */
	ews_blob_names_init(&nit, data, size);
	while (ews_blob_names_next(&nit, &n))
	{
		uint32_t	tag = 0;
		EwsBlobName again;

		if (n.kind == EWS_NAME_KIND_ID)
			REQUIRE(ews_blob_find_named_id(data, size, n.guid, n.lid, &tag) && tag == n.tag);
		else
			REQUIRE(ews_blob_find_named_string(data, size, n.guid, n.name, n.name_len, &tag) && tag == n.tag);
		REQUIRE(ews_blob_name_of(data, size, n.tag, &again) && again.guid == n.guid);
		REQUIRE(ews_blob_find(data, size, n.tag, NULL));
		m++;
	}

	/* every multi-valued value rebuilds from its values */
	for (uint32_t i = 0; i < nprops; i++)
	{
		EwsBlobMvIter mi;
		EwsBlobProp v;
		EwsBlobProp *vals;
		uint32_t	k = 0,
					c;
		uint8_t    *buf;

		if (!EWS_PROP_IS_MV(props[i].tag))
			continue;
		c = ews_blob_mv_count(&props[i]);
		vals = malloc(sizeof(EwsBlobProp) * (c ? c : 1));
		REQUIRE(vals != NULL);
		ews_blob_mv_init(&mi, &props[i]);
		while (ews_blob_mv_next(&mi, &v))
			vals[k++] = v;
		REQUIRE(k == c);
		REQUIRE(ews_blob_mv_size(EWS_PROP_TYPE(props[i].tag), vals, k) == props[i].len);
		buf = malloc(props[i].len);
		REQUIRE(buf != NULL);
		REQUIRE(ews_blob_mv_encode(EWS_PROP_TYPE(props[i].tag), vals, k, buf, props[i].len) == props[i].len);
		REQUIRE(memcmp(buf, props[i].value, props[i].len) == 0);
		free(buf);
		free(vals);
	}

	/* no edits: the same bytes */
	REQUIRE(ews_blob_edit(data, size, NULL, 0, fuzz_alloc, NULL, &out, &outlen, NULL) == EWS_BLOB_OK);
	REQUIRE(outlen == size && memcmp(out, data, size) == 0);

	/* stamping by edit is stamping by merge */
	REQUIRE(ews_blob_edit(data, size, stamp, 2, fuzz_alloc, NULL, &out, &outlen, tags) == EWS_BLOB_OK);
	REQUIRE(tags[0] == over[0].tag && tags[1] == over[1].tag);
	{
		size_t		ml = ews_blob_merged_size(data, size, over, 2);
		uint8_t    *mb = malloc(ml);

		REQUIRE(mb != NULL && ml == outlen);
		ews_blob_merge(data, size, over, 2, mb);
		REQUIRE(memcmp(mb, out, ml) == 0);
		free(mb);
	}

	/* delete every named property by its name: no table left */
	if (m > 0)
	{
		EwsBlobEdit *del = malloc(sizeof(EwsBlobEdit) * m);
		EwsBlobName *keys = malloc(sizeof(EwsBlobName) * m);
		size_t		k = 0;

		REQUIRE(del != NULL && keys != NULL);
		ews_blob_names_init(&nit, data, size);
		while (k < m && ews_blob_names_next(&nit, &keys[k]))
		{
			del[k] = (EwsBlobEdit) {EWS_BLOB_DELETE, &keys[k], {0, 0, NULL}};
			k++;
		}
		REQUIRE(ews_blob_edit(data, size, del, m, fuzz_alloc, NULL, &out, &outlen, NULL) == EWS_BLOB_OK);
		REQUIRE(ews_blob_validate(out, outlen, 0, NULL, NULL) == EWS_BLOB_OK);
		REQUIRE(ews_le16(out + 6) == 0);
		free(del);
		free(keys);
	}

	/* a new name: found afterwards at the tag the editor reports, or the table is full */
	{
		static const uint8_t nm[] = "fuzz-new-name";
		EwsBlobName key = {0, fuzz_guid, EWS_NAME_KIND_STRING, 0, sizeof(nm) - 1, nm};
		EwsBlobEdit add = {EWS_BLOB_SET, &key, {EWS_PT_UNICODE, 2, (const uint8_t *) "ok"}};
		EwsBlobStatus st = ews_blob_edit(data, size, &add, 1, fuzz_alloc, NULL, &out, &outlen, tags);

		if (st == EWS_BLOB_OK)
		{
			uint32_t	tag = 0;

			REQUIRE(ews_blob_validate(out, outlen, 0, NULL, NULL) == EWS_BLOB_OK);
			REQUIRE(ews_blob_find_named_string(out, outlen, fuzz_guid, nm, sizeof(nm) - 1, &tag));
			REQUIRE(tag == tags[0] && EWS_PROP_IS_NAMED(tag));
		}
		else
			REQUIRE(st == EWS_BLOB_NAMES_COUNT || st == EWS_BLOB_NO_MESSAGE_CLASS);
	}
	arena_free();
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
		/* a stored 0.1 blob with unnamed ids from 0x8000 up: only that leeway, and it edits */
		{
			uint32_t	sn = 0;

			if (ews_blob_validate_stored(data, size, &sn, &off) == EWS_BLOB_OK)
			{
				EwsBlobEdit e = {EWS_BLOB_SET, NULL, over[1]};

				REQUIRE(st == EWS_BLOB_NAME_MISSING && (ews_le16(data + 6) & EWS_BLOB_FLAG_NAMES) == 0);
				REQUIRE(ews_blob_edit(data, size, &e, 1, fuzz_alloc, NULL, &out, &outlen, NULL) == EWS_BLOB_OK);
				REQUIRE(ews_blob_validate_stored(out, outlen, NULL, NULL) == EWS_BLOB_OK);
				arena_free();
			}
		}
		/* the name iterator and the editor stay in bounds too; what the editor makes is valid */
		{
			EwsBlobNameIter nit;
			EwsBlobName n;
			EwsBlobEdit e = {EWS_BLOB_SET, NULL, over[1]};

			ews_blob_names_init(&nit, data, size);
			while (ews_blob_names_next(&nit, &n))
				REQUIRE(n.guid >= data && n.guid + 16 <= data + size);
			/* (with a 0.1 blob's unnamed ids kept, so by the stored reader) */
			if (ews_blob_edit(data, size, &e, 1, fuzz_alloc, NULL, &out, &outlen, NULL) == EWS_BLOB_OK)
				REQUIRE(ews_blob_validate_stored(out, outlen, NULL, NULL) == EWS_BLOB_OK);
			arena_free();
		}
		return;
	}

	REQUIRE(ews_blob_validate_stored(data, size, NULL, NULL) == EWS_BLOB_OK);

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

	/* Canonical form: re-encoding the iterated properties and names gives the same bytes */
	{
		EwsBlobName *names = malloc(sizeof(EwsBlobName) * EWS_BLOB_MAX_NAMES);
		EwsBlobNameIter nit;
		size_t		m = 0;

		REQUIRE(names != NULL);
		ews_blob_names_init(&nit, data, size);
		while (ews_blob_names_next(&nit, &names[m]))
		{
			REQUIRE(m < EWS_BLOB_MAX_NAMES);
			m++;
		}
		REQUIRE(!nit.bad);
		REQUIRE((m > 0) == ((ews_le16(data + 6) & EWS_BLOB_FLAG_NAMES) != 0));
		outlen = ews_blob_encoded_size_named(props, nprops, names, m);
		REQUIRE(outlen == size);
		out = malloc(outlen);
		REQUIRE(out != NULL);
		REQUIRE(ews_blob_encode_named(props, nprops, names, m, out, outlen) == EWS_BLOB_OK);
		REQUIRE(memcmp(out, data, size) == 0);
		if (m == 0)
			REQUIRE(ews_blob_encoded_size(props, nprops) == size);
		free(out);
		free(names);
	}

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

	check_names_and_edits(data, size, props, nprops, over);
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
