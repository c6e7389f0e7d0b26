#!/usr/bin/env python3
"""Writes the seeds of fuzz_mimemsg (messages in the shapes real mailers send,
and broken ones) and fuzz_mimegen (byte strings that choose field sets).
Run from test/fuzz; the output is committed, this script documents it."""
import hashlib, os

MSG = {
"thunderbird-alternative.eml": b"""Message-ID: <4a2f@example.org>\r
Date: Wed, 6 Mar 2024 10:15:42 +0100\r
MIME-Version: 1.0\r
To: Alice <alice@example.com>, "Smith, Bob" <bob@example.com>\r
Cc: Team: c@x.test, d@y.test;\r
From: =?UTF-8?Q?Bj=C3=B6rn_Berg?= <bjoern@example.org>\r
Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus =?ISO-8859-1?Q?K=F6ln?=\r
In-Reply-To: <a@b>\r
References: <1@x>\r
 <2@x>\r
Content-Type: multipart/alternative;\r
 boundary="------------0xS8mN"\r
\r
This is a multi-part message in MIME format.\r
--------------0xS8mN\r
Content-Type: text/plain; charset=UTF-8; format=flowed\r
Content-Transfer-Encoding: 8bit\r
\r
Hallo Alice,\r
viele Gr\xc3\xbc\xc3\x9fe!\r
\r
--------------0xS8mN\r
Content-Type: text/html; charset=UTF-8\r
Content-Transfer-Encoding: 8bit\r
\r
<html><head><style>p{}</style></head><body><p>Hallo&nbsp;Alice,</p><br>&euro;&#x1F600;</body></html>\r
--------------0xS8mN--\r
""",
"outlook-mixed.eml": b"""From: "Meier, Hans" <hans@contoso.example>\r
To: "Team" <team@contoso.example>\r
CC: =?iso-8859-1?Q?J=F6rg?= <joerg@contoso.example>\r
Subject: Bericht\r
Importance: high\r
Sensitivity: Company-Confidential\r
Keywords: Rote Kategorie, "Blau, dunkel"\r
Content-Type: multipart/mixed;\r
\tboundary="_004_X_"\r
MIME-Version: 1.0\r
\r
--_004_X_\r
Content-Type: multipart/alternative;\r
\tboundary="_000_X_"\r
\r
--_000_X_\r
Content-Type: text/plain; charset="iso-8859-1"\r
Content-Transfer-Encoding: quoted-printable\r
\r
Hallo =96 bitte pr=\r
=FCfen.=20\r
\r
--_000_X_\r
Content-Type: text/html; charset="windows-1252"\r
Content-Transfer-Encoding: quoted-printable\r
\r
<p class=3D"MsoNormal">Hallo =96</p>\r
--_000_X_--\r
\r
--_004_X_\r
Content-Type: application/pdf; name="=?utf-8?B?w5xiZXJzaWNodC5wZGY=?="\r
Content-Disposition: attachment; filename*0*=UTF-8''%C3%9C; filename*1="bersicht.pdf"\r
Content-Transfer-Encoding: base64\r
\r
JVBERi0xLjQK\r
--_004_X_\r
Content-Type: message/rfc822\r
\r
Subject: inner\r
\r
inner\r
--_004_X_--\r
""",
"apple-related.eml": b"""From: Carol <carol@example.net>\n\
Content-Type: multipart/alternative; boundary="Apple-Mail=_1"\n\
Mime-Version: 1.0\n\
Subject: Photo\n\
\n\
--Apple-Mail=_1\n\
Content-Type: text/plain; charset=us-ascii\n\
\n\
Look\n\
--Apple-Mail=_1\n\
Content-Type: multipart/related; type="text/html"; boundary="Apple-Mail=_2"\n\
\n\
--Apple-Mail=_2\n\
Content-Type: text/html; charset=us-ascii\n\
\n\
<img src="cid:5E6F@example.net">\n\
--Apple-Mail=_2\n\
Content-Transfer-Encoding: base64\n\
Content-Type: image/png; name="photo.png"\n\
Content-Id: <5E6F@example.net>\n\
\n\
iVBORw0KGgo=\n\
--Apple-Mail=_2--\n\
--Apple-Mail=_1--\n\
""",
"broken-multipart.eml": b"""Subject: broken\r
Content-Type: multipart/mixed; boundary=b\r
\r
--b\r
not a header\r
\r
text\r
--bx\r
--b\r
Content-Type: multipart/mixed\r
\r
no boundary\r
--b\r
Content-Type: text/plain; charset=x-unknown\r
Content-Transfer-Encoding: base64\r
\r
SGVs*bG8=garbage\r
--b\r
Content-Type: text/plain; charset=koi8-r\r
Content-Disposition: attachment; filename*=koi8-r'ru'%F0%D2%C9\r
\r
\xf0\xd2\xc9\r
""",
"digest-deep.eml": b"Subject: deep\r\nContent-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: one\r\n\r\n1\r\n--d\r\nContent-Type: multipart/mixed; boundary=e\r\n\r\n--e\r\nContent-Type: multipart/mixed; boundary=f\r\n\r\n--f\r\n\r\nx\r\n--f--\r\n--e--\r\n--d--\r\n",
"addresses.eml": b"From: john@example.org (John Smith)\r\nTo: <@r1,@r2:u@example.com>, \"\\\"q\\\"\" <q@x>, undisclosed-recipients:;, Broken <b@x, J\xfcrgen <j@x>; k@y\r\nBcc: \"john doe\"@example.com, user@[192.0.2.1]\r\nReply-To: A Group:a@b,c@d;\r\nSender: =?utf-8?B?5bGx55Sw?= =?utf-8?B?5aSq6YOO?= <t@example.jp>\r\n\r\n",
}

os.makedirs("seeds-fuzz_mimemsg", exist_ok=True)
for name, data in MSG.items():
    with open(os.path.join("seeds-fuzz_mimemsg", name), "wb") as f:
        f.write(data)

os.makedirs("seeds-fuzz_mimegen", exist_ok=True)
for i in range(8):
    data = b"".join(hashlib.sha256(b"ews mimegen seed %d %d" % (i, k)).digest() for k in range(4 + 4 * i))
    with open(os.path.join("seeds-fuzz_mimegen", "seed%02d.bin" % i), "wb") as f:
        f.write(data)
