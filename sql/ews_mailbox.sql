-- mailboxes: creation, the default tree, bad input
SELECT ews_create_mailbox('alice@example.com', 'Alice') IS NOT NULL AS created;
SELECT smtp_address, display_name, owner_role::text = current_user AS owned_by_caller
  FROM ews.mailbox ORDER BY 1;
-- the tree: (distinguished name, display name, class, parent's distinguished name)
SELECT f.distinguished, f.display_name, f.folder_class, p.distinguished AS parent
  FROM ews.folder f LEFT JOIN ews.folder p ON p.mailbox_id = f.mailbox_id AND p.folder_id = f.parent_id
 ORDER BY f.folder_id;
-- addresses are unique case-insensitively
SELECT ews_create_mailbox('ALICE@example.com');
-- malformed addresses
SELECT ews_create_mailbox('no-at-sign');
SELECT ews_create_mailbox('two@@example.com');
SELECT ews_create_mailbox('white space@example.com');
SELECT ews_create_mailbox('@example.com');
SELECT ews_create_mailbox(NULL);
-- nothing was written by the failures
SELECT count(*) AS mailboxes FROM ews.mailbox;
-- display name defaults to the address
SELECT ews_create_mailbox('bob@example.com') IS NOT NULL AS created;
SELECT display_name FROM ews.mailbox WHERE smtp_address = 'bob@example.com';
-- creating mailboxes is for superusers, ews_admin and roles they let:
-- a plain role (a member of ews_user, which uses mailboxes) may not
SET client_min_messages = warning;
DROP ROLE IF EXISTS ews_test_carol;
DROP ROLE IF EXISTS ews_test_dave;
RESET client_min_messages;
CREATE ROLE ews_test_carol IN ROLE ews_user;
CREATE ROLE ews_test_dave IN ROLE ews_user;
SET ROLE ews_test_carol;
SELECT ews_create_mailbox('carol@example.com', 'Carol') IS NOT NULL AS created_own;
RESET ROLE;
GRANT EXECUTE ON FUNCTION ews_create_mailbox TO ews_test_carol;
SET ROLE ews_test_carol;
-- then only for a role it is a member of
SELECT ews_create_mailbox('carol@example.com', 'Carol', 'ews_test_dave');
SELECT ews_create_mailbox('carol@example.com', 'Carol') IS NOT NULL AS created_own;
-- the tables stay closed to application roles
SELECT count(*) FROM ews.mailbox;
RESET ROLE;
REVOKE EXECUTE ON FUNCTION ews_create_mailbox FROM ews_test_carol;
SELECT owner_role FROM ews.mailbox WHERE smtp_address = 'carol@example.com';
-- ews_folder_id
SELECT ews_folder_id('alice@example.com', 'inbox') ~ '^AAMkA[A-Za-z0-9+/]{65}==$' AS looks_like_exchange;
SELECT ews_folder_id('Alice@Example.com', 'inbox') = ews_folder_id('alice@example.com', 'inbox') AS address_case_ignored;
SELECT ews_folder_id('nobody@example.com', 'inbox');
SELECT ews_folder_id('alice@example.com', 'nosuchfolder');
SELECT ews_folder_id('alice@example.com', NULL) IS NULL AS strict;
-- a stranger cannot learn that a mailbox exists
SET ROLE ews_test_dave;
SELECT ews_folder_id('alice@example.com', 'inbox');
RESET ROLE;
