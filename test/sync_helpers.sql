-- test/sync_helpers.sql: helpers of the sync tests (test/pgtap/sync_*.sql),
-- after test/blob_helpers.sql.  The functions go into pg_temp.

-- the local id inside an EWS id (README "Id and change key formats")
CREATE FUNCTION pg_temp.local_id(id text) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
	SELECT ('x' || encode(substring(decode(id, 'base64') FROM 45 FOR 8), 'hex'))::bit(64)::bigint
$$;

-- an id in the store's layout: kind 1 folder, 2 item
CREATE FUNCTION pg_temp.ews_id(guid text, kind int, local bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT encode('\x0003'::bytea || pg_temp.le(36, 2) || convert_to(guid, 'UTF8') || '\x00'::bytea
	              || pg_temp.le(9, 2) || set_byte('\x00'::bytea, 0, kind)
	              || decode(lpad(to_hex(local), 16, '0'), 'hex'), 'base64')
$$;

-- a message blob, read or not (PidTagMessageFlags)
CREATE FUNCTION pg_temp.msg(subject text, read boolean DEFAULT false) RETURNS bytea LANGUAGE sql AS $$
	SELECT pg_temp.blob(3, pg_temp.prop(x'001A001F'::bigint, 'IPM.Note')
	                    || pg_temp.prop(x'0037001F'::bigint, convert_to(subject, 'UTF8'))
	                    || pg_temp.prop(x'0E070003'::bigint, pg_temp.le(CASE WHEN read THEN 1 ELSE 0 END, 4)))
$$;

-- n new items in a folder, one call each; returns their ids in order
CREATE FUNCTION pg_temp.add(folder text, subjects text[], associated boolean DEFAULT false)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
	s text;
BEGIN
	FOREACH s IN ARRAY subjects LOOP
		RETURN QUERY SELECT item_id FROM ews_upload_items(ARRAY[folder], ARRAY[pg_temp.msg(s)],
		                                                  NULL, NULL, NULL, ARRAY[associated]);
	END LOOP;
END $$;

-- a content change through UploadItems Update (a new subject) of an item of folder
CREATE FUNCTION pg_temp.edit(folder text, item text, subject text) RETURNS text LANGUAGE sql AS $$
	SELECT response_code FROM ews_upload_items(ARRAY[folder], ARRAY[pg_temp.msg(subject)],
		ARRAY['Update'], ARRAY[item], ARRAY[(SELECT change_key FROM ews_export_items(ARRAY[item]))])
$$;

-- base64 on one line (encode() breaks lines at 76 characters)
CREATE FUNCTION pg_temp.b64(b bytea) RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT replace(encode(b, 'base64'), E'\n', '')
$$;

-- the 8 little-endian bytes of v
CREATE FUNCTION pg_temp.le8(v bigint) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT pg_temp.le(v, 8)
$$;

-- the int64 at byte pos of b (little-endian, two's complement)
CREATE FUNCTION pg_temp.ge8(b bytea, pos int) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
	SELECT ('x' || string_agg(lpad(to_hex(get_byte(b, pos + i)), 2, '0'), '' ORDER BY i DESC))::bit(64)::bigint
	  FROM generate_series(0, 7) i
$$;

-- a sync state as the server writes it (src/syncstate.h), built independently
-- in SQL with its CRC-32C: for states the server never made
CREATE FUNCTION pg_temp.state_make(kind int, flags int, mailbox uuid, folder bigint,
                                   w_cn bigint, w_id bigint DEFAULT 0, c_cn bigint DEFAULT 0,
                                   c_id bigint DEFAULT 0, r_cn bigint DEFAULT 0,
                                   version int DEFAULT 1) RETURNS text LANGUAGE sql AS $$
	WITH b AS (
		SELECT 'EWSS'::bytea || set_byte('\x00'::bytea, 0, version) || set_byte('\x00'::bytea, 0, kind)
		       || pg_temp.le(flags, 2) || decode(replace(mailbox::text, '-', ''), 'hex')
		       || pg_temp.le8(folder) || pg_temp.le8(w_cn)
		       || CASE WHEN kind = 1 THEN pg_temp.le8(w_id) || pg_temp.le8(c_cn) || pg_temp.le8(c_id)
		                                  || pg_temp.le8(r_cn) ELSE '' END AS raw
	)
	SELECT pg_temp.b64(raw || pg_temp.le(pg_temp.crc32c_update(4294967295, raw) # 4294967295, 4)) FROM b
$$;

-- the fields of a state the server made
CREATE FUNCTION pg_temp.state_w(st text) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
	SELECT pg_temp.ge8(decode(st, 'base64'), 32)
$$;
CREATE FUNCTION pg_temp.state_c(st text) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
	SELECT pg_temp.ge8(decode(st, 'base64'), 48)
$$;

-- a read-flag-only change and a removal the way item writes make them
-- (content.c): lock the folder, take the change number, write, count
CREATE FUNCTION pg_temp.set_read(it text, read boolean) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	f bigint;
	m uuid;
	cn bigint;
	was boolean;
BEGIN
	SELECT mailbox_id, folder_id INTO m, f FROM ews.item WHERE item_id = pg_temp.local_id(it);
	PERFORM 1 FROM ews.folder WHERE mailbox_id = m AND folder_id = f FOR NO KEY UPDATE;
	-- read again under the lock: another session may have removed it meanwhile
	SELECT is_read INTO was FROM ews.item WHERE mailbox_id = m AND item_id = pg_temp.local_id(it) AND folder_id = f FOR UPDATE;
	IF NOT FOUND THEN RETURN; END IF;
	cn := nextval('ews.change_seq');
	UPDATE ews.item SET is_read = read, change_number = cn WHERE mailbox_id = m AND item_id = pg_temp.local_id(it);
	UPDATE ews.folder SET content_cn = greatest(content_cn, cn),
	       unread_count = unread_count + (CASE WHEN was AND NOT read THEN 1 WHEN read AND NOT was THEN -1 ELSE 0 END)
	 WHERE mailbox_id = m AND folder_id = f;
END $$;

CREATE FUNCTION pg_temp.remove(it text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	r record;
	cn bigint;
BEGIN
	SELECT * INTO r FROM ews.item WHERE item_id = pg_temp.local_id(it);
	PERFORM 1 FROM ews.folder WHERE mailbox_id = r.mailbox_id AND folder_id = r.folder_id FOR NO KEY UPDATE;
	SELECT * INTO r FROM ews.item WHERE mailbox_id = r.mailbox_id AND item_id = r.item_id AND folder_id = r.folder_id FOR UPDATE;
	IF NOT FOUND THEN RETURN; END IF;
	cn := nextval('ews.change_seq');
	DELETE FROM ews.item WHERE mailbox_id = r.mailbox_id AND item_id = r.item_id;
	INSERT INTO ews.item_tombstone (mailbox_id, folder_id, item_id, change_number, created_cn, is_associated)
	VALUES (r.mailbox_id, r.folder_id, r.item_id, cn, r.created_cn, r.is_associated);
	UPDATE ews.folder SET content_cn = greatest(content_cn, cn),
	       total_count = total_count - (NOT r.is_associated)::int,
	       unread_count = unread_count - (NOT r.is_associated AND NOT r.is_read)::int,
	       assoc_count = assoc_count - r.is_associated::int
	 WHERE mailbox_id = r.mailbox_id AND folder_id = r.folder_id;
END $$;

-- an item moved to another folder of its mailbox the way MoveItem does it
-- (DESIGN 0.2: a new id, article number and created_cn in the target; a
-- tombstone in the source): both folders locked in (mailbox, folder) order;
-- returns the new id
CREATE FUNCTION pg_temp.move(it text, target text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r ews.item;
	t bigint := pg_temp.local_id(target);
	cn bigint;
	new_id bigint;
	art bigint;
BEGIN
	SELECT * INTO r FROM ews.item WHERE item_id = pg_temp.local_id(it);
	PERFORM 1 FROM ews.folder WHERE mailbox_id = r.mailbox_id AND folder_id IN (r.folder_id, t)
	  ORDER BY folder_id FOR NO KEY UPDATE;
	SELECT * INTO r FROM ews.item WHERE mailbox_id = r.mailbox_id AND item_id = r.item_id AND folder_id = r.folder_id FOR UPDATE;
	IF NOT FOUND THEN RETURN NULL; END IF;
	cn := nextval('ews.change_seq');
	new_id := nextval('ews.local_id_seq');
	DELETE FROM ews.item WHERE mailbox_id = r.mailbox_id AND item_id = r.item_id;
	INSERT INTO ews.item_tombstone (mailbox_id, folder_id, item_id, change_number, created_cn, is_associated)
	VALUES (r.mailbox_id, r.folder_id, r.item_id, cn, r.created_cn, r.is_associated);
	UPDATE ews.folder SET content_cn = greatest(content_cn, cn),
	       total_count = total_count - (NOT r.is_associated)::int,
	       unread_count = unread_count - (NOT r.is_associated AND NOT r.is_read)::int,
	       assoc_count = assoc_count - r.is_associated::int
	 WHERE mailbox_id = r.mailbox_id AND folder_id = r.folder_id;
	UPDATE ews.folder SET next_article = next_article + 1, content_cn = greatest(content_cn, cn),
	       total_count = total_count + (NOT r.is_associated)::int,
	       unread_count = unread_count + (NOT r.is_associated AND NOT r.is_read)::int,
	       assoc_count = assoc_count + r.is_associated::int
	 WHERE mailbox_id = r.mailbox_id AND folder_id = t
	RETURNING next_article - 1 INTO art;
	r.item_id := new_id; r.folder_id := t; r.change_number := cn; r.created_cn := cn;
	r.content_cn := cn; r.article_number := art;
	INSERT INTO ews.item SELECT r.*;
	RETURN pg_temp.ews_id(r.mailbox_id::text, 2, new_id);
END $$;

-- a whole sync as a client runs it: pages until IncludesLastItemInRange (or
-- the state comes back unchanged, where exchangelib stops), every change
-- with its page; the last row (change_type NULL) carries the final state
CREATE FUNCTION pg_temp.sync_items(folder text, state text, page_size int DEFAULT 512,
                                   scope text DEFAULT 'NormalItems', ign text[] DEFAULT NULL)
RETURNS TABLE (page int, change_type text, item_id text, subject text, is_read boolean,
               sync_state text, last boolean)
LANGUAGE plpgsql AS $$
DECLARE
	p int := 0;
	r record;
	next text;
	done boolean;
BEGIN
	LOOP
		p := p + 1;
		IF p > 10000 THEN RAISE EXCEPTION 'sync does not end'; END IF;
		FOR r IN SELECT * FROM ews_sync_folder_items(folder, state, page_size, scope, ign) LOOP
			IF r.response_code <> 'NoError' THEN
				RAISE EXCEPTION 'sync failed: % %', r.response_code, r.message_text;
			END IF;
			next := r.next_sync_state;
			done := r.includes_last_item_in_range;
			IF r.change_type IS NOT NULL THEN
				page := p; change_type := r.change_type; item_id := r.item_id; subject := r.subject;
				is_read := r.is_read; sync_state := NULL; last := NULL;
				RETURN NEXT;
			END IF;
		END LOOP;
		EXIT WHEN done OR next = state;
		state := next;
	END LOOP;
	page := p; change_type := NULL; item_id := NULL; subject := NULL; is_read := NULL;
	sync_state := next; last := done;
	RETURN NEXT;
END $$;
