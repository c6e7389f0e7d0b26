-- install, check what was made, and the guard against running the script by hand
CREATE EXTENSION ews;
SELECT extname, extversion FROM pg_extension WHERE extname = 'ews';
SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'ews' AND c.relkind IN ('r', 'S') ORDER BY 1;
-- every table and sequence is dumped with the database, but ews.admin_role, which
-- the install script makes (sql/ews--0.1--0.2.sql, Access)
SELECT unnest(extconfig)::regclass::text AS dumped FROM pg_extension WHERE extname = 'ews' ORDER BY 1;
-- every function has a comment and pins search_path
SELECT p.proname, obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented,
       p.proconfig
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
  JOIN pg_extension e ON e.oid = d.refobjid
 WHERE e.extname = 'ews' ORDER BY 1;
-- DROP removes everything it made; a second CREATE works
DROP EXTENSION ews;
SELECT count(*) AS ews_schemas FROM pg_namespace WHERE nspname = 'ews';
SELECT count(*) AS ews_functions FROM pg_proc WHERE proname LIKE 'ews\_%';
CREATE EXTENSION ews;
SELECT count(*) AS ews_schemas FROM pg_namespace WHERE nspname = 'ews';
