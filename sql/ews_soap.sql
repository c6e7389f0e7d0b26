-- the SOAP adapter: exact responses where they hold no random ids, and the
-- rest with ids and change keys masked
CREATE FUNCTION soap_masked(response text) RETURNS text LANGUAGE sql AS $$
  SELECT regexp_replace(regexp_replace(response, ' Id="[A-Za-z0-9+/=]{72}"', ' Id="(id)"', 'g'),
                        ' ChangeKey="[A-Za-z0-9+/=]{16}"', ' ChangeKey="(ck)"', 'g')
$$;
\pset format unaligned
SELECT ews_folder_id('alice@example.com', 'inbox') AS inbox \gset

-- not XML, not SOAP, an operation this server lacks: HTTP 500 with a fault
SELECT status, response FROM ews_soap('hello');
SELECT status, response FROM ews_soap('<Envelope/>');
SELECT status, response FROM ews_soap(
'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"
             xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">
  <s:Body><m:ResolveNames/></s:Body></s:Envelope>');
-- a DOCTYPE is refused before parsing
SELECT status, response FROM ews_soap(
'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>');

-- GetFolder: the inbox (IdOnly), a malformed id and a folder of an unknown mailbox
SELECT status, soap_masked(response) FROM ews_soap(format(
'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"
    xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">
  <soap:Header><t:RequestServerVersion Version="Exchange2010_SP1"/></soap:Header>
  <soap:Body>
    <m:GetFolder>
      <m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>
      <m:FolderIds>
        <t:FolderId Id="%s"/>
        <t:FolderId Id="AAMkAGYzZjZmRiUsidkC+NAAAAY89GAAA="/>
        <t:FolderId Id="AAMkADAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMAAJAAEAAAAAAAAAAQ=="/>
      </m:FolderIds>
    </m:GetFolder>
  </soap:Body>
</soap:Envelope>', :'inbox'), 'alice@example.com');

-- CreateFolder: a calendar folder gets IPF.Appointment; then Default shape of it
SELECT status, soap_masked(response) AS response,
       substring(response from 'FolderId Id="([^"]*)"') AS cal
  FROM ews_soap(
'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"
    xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">
  <soap:Body>
    <m:CreateFolder>
      <m:ParentFolderId><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderId>
      <m:Folders><t:CalendarFolder><t:DisplayName>SOAP &amp; Calendar</t:DisplayName></t:CalendarFolder></m:Folders>
    </m:CreateFolder>
  </soap:Body>
</soap:Envelope>', 'alice@example.com') \gset
SELECT :status, :'response';
SELECT display_name, folder_class FROM ews_get_folder(ARRAY[:'cal']);
SELECT status, soap_masked(response) FROM ews_soap(format(
'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"
    xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">
  <soap:Body>
    <m:FindFolder Traversal="Shallow">
      <m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>
      <m:ParentFolderIds><t:FolderId Id="%s"/></m:ParentFolderIds>
    </m:FindFolder>
  </soap:Body>
</soap:Envelope>', :'cal'));

-- a NULL request is a programming error
SELECT * FROM ews_soap(NULL);
