-- test/blob_helpers.sql: build item blobs (format v1, with the 0.2 types and
-- the named-property table) in SQL for the tests, independently of the C
-- codec, so a test can check the C side against it.
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

-- the value size of a fixed-size type (PT_SHORT 2 ... PT_CLSID 16)
CREATE FUNCTION pg_temp.fixed_size(typ int) RETURNS int LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT CASE typ WHEN 2 THEN 2 WHEN 3 THEN 4 WHEN 4 THEN 4 WHEN 5 THEN 8 WHEN 6 THEN 8 WHEN 7 THEN 8
	                WHEN 10 THEN 4 WHEN 11 THEN 1 WHEN 20 THEN 8 WHEN 64 THEN 8 WHEN 72 THEN 16 END
$$;

-- one encoded single-valued property: tag, then the value (fixed types: the
-- bytes given; PT_UNICODE and PT_BINARY: uint32 length, then the bytes)
CREATE FUNCTION pg_temp.prop(tag bigint, value bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT pg_temp.le(tag, 4) ||
	       CASE WHEN tag & 65535 IN (31, 258) THEN pg_temp.le(length(value), 4) ELSE ''::bytea END ||
	       value
$$;

-- one encoded multi-valued property (type 0x1000 | base): tag, uint32 count,
-- then each value in its single-valued form
CREATE FUNCTION pg_temp.mv(tag bigint, vals bytea[]) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT pg_temp.le(tag, 4) || pg_temp.le(coalesce(cardinality(vals), 0), 4) ||
	       coalesce((SELECT string_agg(CASE WHEN tag & 4095 IN (31, 258) THEN pg_temp.le(length(v), 4) ELSE ''::bytea END
	                                   || v, ''::bytea ORDER BY o)
	                   FROM unnest(vals) WITH ORDINALITY u(v, o)), ''::bytea)
$$;

-- a GUID as MAPI stores it: Data1, Data2, Data3 little-endian, Data4 as written
CREATE FUNCTION pg_temp.guid(t text) RETURNS bytea LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT decode(substr(h, 7, 2) || substr(h, 5, 2) || substr(h, 3, 2) || substr(h, 1, 2)
	              || substr(h, 11, 2) || substr(h, 9, 2) || substr(h, 15, 2) || substr(h, 13, 2)
	              || substr(h, 17, 16), 'hex')
	  FROM (SELECT replace(t, '-', '') AS h) x
$$;

-- named-property table entries: local tag, property-set GUID, kind 0 + LID,
-- or kind 1 + byte length + UTF-8 name
CREATE FUNCTION pg_temp.name_lid(tag bigint, g text, lid bigint) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT pg_temp.le(tag, 4) || pg_temp.guid(g) || '\x00'::bytea || pg_temp.le(lid, 4)
$$;
CREATE FUNCTION pg_temp.name_str(tag bigint, g text, name bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT pg_temp.le(tag, 4) || pg_temp.guid(g) || '\x01'::bytea || pg_temp.le(length(name), 4) || name
$$;

-- a whole blob from the flags, the property count, the table's bytes (its
-- count and entries, or nothing) and the encoded properties, with the CRC;
-- any of them may break the rules, for the refusal tests
CREATE FUNCTION pg_temp.blob_raw(flags int, nprops int, tbl bytea, props bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT b || pg_temp.le(pg_temp.crc32c_update(4294967295, b) # 4294967295, 4)
	  FROM (SELECT 'EWSB'::bytea || '\x0100'::bytea || pg_temp.le(flags, 2) || pg_temp.le(nprops, 4)
	               || tbl || props AS b) x
$$;

-- a whole blob from encoded properties (already in tag order) and, when
-- there are named properties, the table's entries (in tag order): flag bit 0
-- and the table exactly when there are entries, as the format wants
CREATE FUNCTION pg_temp.blob(nprops int, props bytea, names bytea[] DEFAULT NULL) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN coalesce(cardinality(names), 0) = 0 THEN pg_temp.blob_raw(0, nprops, ''::bytea, props)
	            ELSE pg_temp.blob_raw(1, nprops,
	                                  pg_temp.le(cardinality(names), 4)
	                                  || (SELECT string_agg(e, ''::bytea ORDER BY o) FROM unnest(names) WITH ORDINALITY u(e, o)),
	                                  props) END
$$;

-- where the properties of blob b start: after the header, or after the
-- named-property table when flag bit 0 is set (0-based offset)
CREATE FUNCTION pg_temp.props_start(b bytea) RETURNS int LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
	pos int := 16;
BEGIN
	IF get_byte(b, 6) & 1 = 0 THEN
		RETURN 12;
	END IF;
	FOR i IN 1..pg_temp.le32(b, 12) LOOP
		pos := pos + 25 + CASE get_byte(b, pos + 20) WHEN 1 THEN pg_temp.le32(b, pos + 21)::int ELSE 0 END;
	END LOOP;
	RETURN pos;
END $$;

-- the encoded length of the property at byte pos of b: tag and value, for
-- every type, multi-valued ones included
CREATE FUNCTION pg_temp.prop_len(b bytea, pos int) RETURNS int LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
	typ int := pg_temp.le32(b, pos) & 65535;
	base int := typ & 4095;
	n int;
	p int;
BEGIN
	IF typ & 4096 = 0 THEN
		IF typ IN (31, 258) THEN
			RETURN 8 + pg_temp.le32(b, pos + 4)::int;
		END IF;
		RETURN 4 + pg_temp.fixed_size(typ);
	END IF;
	n := pg_temp.le32(b, pos + 4);
	IF base IN (31, 258) THEN
		p := pos + 8;
		FOR i IN 1..n LOOP
			p := p + 4 + pg_temp.le32(b, p)::int;
		END LOOP;
		RETURN p - pos;
	END IF;
	RETURN 8 + n * pg_temp.fixed_size(base);
END $$;

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
-- (its flags, and the count of the properties kept), the named-property
-- table and the other properties, byte for byte as they stand.  Two blobs
-- that differ only in the store's properties give the same bytes.
CREATE FUNCTION pg_temp.unstamped(b bytea) RETURNS bytea LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
	n int := pg_temp.le32(b, 8);
	start int := pg_temp.props_start(b);
	pos int := start;
	tag bigint;
	plen int;
	kept bytea := '';
	nkept int := 0;
BEGIN
	FOR i IN 1..n LOOP
		tag := pg_temp.le32(b, pos);
		plen := pg_temp.prop_len(b, pos);
		IF tag NOT IN (x'30080040'::bigint, x'65E20102'::bigint) THEN
			kept := kept || substring(b FROM pos + 1 FOR plen);
			nkept := nkept + 1;
		END IF;
		pos := pos + plen;
	END LOOP;
	RETURN substring(b FROM 1 FOR 8) || pg_temp.le(nkept, 4) || substring(b FROM 13 FOR start - 12) || kept;
END $$;

-- the value bytes of property `want` in blob b (NULL when absent): for
-- PT_UNICODE and PT_BINARY what follows the length, for multi-valued ones
-- the count and the values
CREATE FUNCTION pg_temp.prop_value(b bytea, want bigint) RETURNS bytea LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
	n int := pg_temp.le32(b, 8);
	pos int := pg_temp.props_start(b);
	tag bigint;
	plen int;
	hdr int;
BEGIN
	FOR i IN 1..n LOOP
		tag := pg_temp.le32(b, pos);
		plen := pg_temp.prop_len(b, pos);
		IF tag = want THEN
			hdr := CASE WHEN tag & 65535 IN (31, 258) THEN 8 ELSE 4 END;
			RETURN substring(b FROM pos + hdr + 1 FOR plen - hdr);
		END IF;
		pos := pos + plen;
	END LOOP;
	RETURN NULL;
END $$;

-- a little-endian int64 from 8 bytes
CREATE FUNCTION pg_temp.le64(b bytea) RETURNS bigint LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT ('x' || encode(decode(string_agg(lpad(to_hex(get_byte(b, i)), 2, '0'), '' ORDER BY i DESC), 'hex'), 'hex'))::bit(64)::bigint
	  FROM generate_series(0, 7) i
$$;
