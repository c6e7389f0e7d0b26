-- test/blob_helpers.sql: build item blobs (format v1) in SQL for the tests,
-- independently of the C codec, so a test can check the C side against it.
-- Included by sql/ews_item.sql and test/pgtap/items.sql; the functions go
-- into pg_temp and vanish with the session.

-- n little-endian bytes of v
CREATE FUNCTION pg_temp.le(v bigint, n int) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT substring(decode(string_agg(lpad(to_hex((v >> (8 * i)) & 255), 2, '0'), '' ORDER BY i), 'hex')
	                 FROM 1 FOR n)
	  FROM generate_series(0, 7) i
$$;

-- the uint32 at byte pos of b (little-endian).  Arithmetic, not | and <<:
-- SQL gives those the same precedence, so a | b << 8 means (a | b) << 8
CREATE FUNCTION pg_temp.le32(b bytea, pos int) RETURNS bigint LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT get_byte(b, pos) + 256::bigint * get_byte(b, pos + 1) + 65536::bigint * get_byte(b, pos + 2)
	       + 16777216::bigint * get_byte(b, pos + 3)
$$;

-- a FILETIME from a timestamptz
CREATE FUNCTION pg_temp.filetime(t timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
	SELECT (extract(epoch FROM t) * 10000000)::bigint + 116444736000000000
$$;

-- CRC-32C, reflected polynomial 0x82F63B78: the raw register (no final xor),
-- carried across calls so that long inputs can be fed in pieces
CREATE FUNCTION pg_temp.crc32c_table() RETURNS bigint[] LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	t bigint[] := '{}';
	c bigint;
BEGIN
	FOR n IN 0..255 LOOP
		c := n;
		FOR k IN 1..8 LOOP
			IF c & 1 = 1 THEN c := (c >> 1) # 2197175160; ELSE c := c >> 1; END IF;
		END LOOP;
		t := t || c;
	END LOOP;
	RETURN t;
END $$;

CREATE FUNCTION pg_temp.crc32c_update(reg bigint, data bytea) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	t bigint[] := pg_temp.crc32c_table();
BEGIN
	FOR i IN 0..length(data) - 1 LOOP
		reg := t[((reg # get_byte(data, i)) & 255) + 1] # (reg >> 8);
	END LOOP;
	RETURN reg;
END $$;

-- the register after feeding `block` k times, in O(|block| * 33 + log k):
-- feeding a block is an affine map over GF(2)^32, reg -> M reg + c, so it is
-- found from 33 evaluations and raised to the k-th power by squaring
CREATE FUNCTION pg_temp.apply(m bigint[], c bigint, v bigint) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	r bigint := c;
BEGIN
	FOR j IN 0..31 LOOP
		IF (v >> j) & 1 = 1 THEN r := r # m[j + 1]; END IF;
	END LOOP;
	RETURN r;
END $$;

CREATE FUNCTION pg_temp.crc32c_repeat(reg bigint, block bytea, k bigint) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	c bigint := pg_temp.crc32c_update(0, block);	-- f(0)
	m bigint[] := '{}';								-- columns of M: f(e_j) + f(0)
	m2 bigint[];
	c2 bigint;
BEGIN
	FOR j IN 0..31 LOOP
		m := m || (pg_temp.crc32c_update(1::bigint << j, block) # c);
	END LOOP;
	WHILE k > 0 LOOP
		IF k & 1 = 1 THEN reg := pg_temp.apply(m, c, reg); END IF;
		-- square: (M, c) o (M, c) = (M M, M c + c)
		m2 := '{}';
		FOR j IN 0..31 LOOP
			m2 := m2 || pg_temp.apply(m, 0, m[j + 1]);
		END LOOP;
		c2 := pg_temp.apply(m, c, c);
		m := m2;
		c := c2;
		k := k >> 1;
	END LOOP;
	RETURN reg;
END $$;

-- one encoded property: tag, then the value (fixed types: the bytes given;
-- PT_UNICODE and PT_BINARY: uint32 length, then the bytes)
CREATE FUNCTION pg_temp.prop(tag bigint, value bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT pg_temp.le(tag, 4) ||
	       CASE WHEN tag & 65535 IN (31, 258) THEN pg_temp.le(length(value), 4) ELSE ''::bytea END ||
	       value
$$;

-- a whole blob from encoded properties (already in tag order), with the CRC
CREATE FUNCTION pg_temp.blob(nprops int, props bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT b || pg_temp.le(pg_temp.crc32c_update(4294967295, b) # 4294967295, 4)
	  FROM (SELECT 'EWSB'::bytea || '\x01000000'::bytea || pg_temp.le(nprops, 4) || props AS b) x
$$;

-- a blob holding PidTagMessageClass, then one PT_BINARY property 0x7E010102
-- of `block` repeated k times: how the tests build large items quickly
CREATE FUNCTION pg_temp.big_blob(class text, block bytea, k int) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	WITH parts AS (
		SELECT 'EWSB'::bytea || '\x01000000'::bytea || pg_temp.le(2, 4)
		       || pg_temp.prop(x'001A001F'::bigint, convert_to(class, 'UTF8'))
		       || pg_temp.le(x'7E010102'::bigint, 4) || pg_temp.le(length(block)::bigint * k, 4) AS head
	)
	SELECT head || decode(repeat(encode(block, 'hex'), k), 'hex')
	       || pg_temp.le(pg_temp.crc32c_repeat(pg_temp.crc32c_update(4294967295, head), block, k)
	                     # 4294967295, 4)
	  FROM parts
$$;

-- a blob with the two store-maintained properties (PidTagLastModification-
-- Time 0x30080040, PidTagChangeKey 0x65E20102) and the CRC masked: header
-- (with the count of the properties kept) and the other properties, byte
-- for byte as they stand.  Two blobs that differ only in the store's
-- properties give the same bytes.
CREATE FUNCTION pg_temp.unstamped(b bytea) RETURNS bytea LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
	n int := pg_temp.le32(b, 8);
	pos int := 12;
	tag bigint;
	typ int;
	vlen int;
	plen int;
	kept bytea := '';
	nkept int := 0;
BEGIN
	FOR i IN 1..n LOOP
		tag := pg_temp.le32(b, pos);
		typ := tag & 65535;
		IF typ IN (31, 258) THEN
			vlen := pg_temp.le32(b, pos + 4);
			plen := 8 + vlen;
		ELSE
			plen := 4 + CASE typ WHEN 2 THEN 2 WHEN 3 THEN 4 WHEN 11 THEN 1 ELSE 8 END;
		END IF;
		IF tag NOT IN (x'30080040'::bigint, x'65E20102'::bigint) THEN
			kept := kept || substring(b FROM pos + 1 FOR plen);
			nkept := nkept + 1;
		END IF;
		pos := pos + plen;
	END LOOP;
	RETURN 'EWSB'::bytea || '\x01000000'::bytea || pg_temp.le(nkept, 4) || kept;
END $$;

-- the value bytes of property `want` in blob b (NULL when absent)
CREATE FUNCTION pg_temp.prop_value(b bytea, want bigint) RETURNS bytea LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
	n int := pg_temp.le32(b, 8);
	pos int := 12;
	tag bigint;
	typ int;
	vlen int;
	hdr int;
BEGIN
	FOR i IN 1..n LOOP
		tag := pg_temp.le32(b, pos);
		typ := tag & 65535;
		IF typ IN (31, 258) THEN
			hdr := 8;
			vlen := pg_temp.le32(b, pos + 4);
		ELSE
			hdr := 4;
			vlen := CASE typ WHEN 2 THEN 2 WHEN 3 THEN 4 WHEN 11 THEN 1 ELSE 8 END;
		END IF;
		IF tag = want THEN
			RETURN substring(b FROM pos + hdr + 1 FOR vlen);
		END IF;
		pos := pos + hdr + vlen;
	END LOOP;
	RETURN NULL;
END $$;

-- a little-endian int64 from 8 bytes
CREATE FUNCTION pg_temp.le64(b bytea) RETURNS bigint LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT ('x' || encode(decode(string_agg(lpad(to_hex(get_byte(b, i)), 2, '0'), '' ORDER BY i DESC), 'hex'), 'hex'))::bit(64)::bigint
	  FROM generate_series(0, 7) i
$$;
