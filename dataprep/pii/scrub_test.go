package pii

import (
	"strings"
	"testing"
)

func TestScrubTable(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"email", "write to john.smith+news@example.co.uk today", "write to <EMAIL> today"},
		{"email in chinese", "请发邮件至zhang.san@163.com联系我", "请发邮件至<EMAIL>联系我"},
		{"email end of sentence", "Mail bob@mail.example.org.", "Mail <EMAIL>."},
		{"not email", "meet @ noon, user@localhost, a@b", "meet @ noon, user@localhost, a@b"},
		{"na phone dashes", "Call 555-123-4567 now", "Call <PHONE> now"},
		{"na phone parens", "Call (555) 123-4567 or 1 (800) 555-0199.", "Call <PHONE> or <PHONE>."},
		{"na phone dots ext", "tel 555.123.4567 x204, thanks", "tel <PHONE>, thanks"},
		{"na phone bare with context", "phone: 5551234567", "phone: <PHONE>"},
		{"e164", "UK +44 20 7946 0958, DE +49-30-1234567", "UK <PHONE>, DE <PHONE>"},
		{"cn mobile", "我的手机13812345678，或+86 139-1234-5678", "我的手机<PHONE>，或<PHONE>"},
		{"cn mobile parens", "电话(+86)13912345678", "电话<PHONE>"},
		{"ipv4", "server 192.168.1.20:8080 and 10.0.0.1.", "server <IP_ADDRESS>:8080 and <IP_ADDRESS>."},
		{"ipv6", "addr 2001:db8:85a3::8a2e:370:7334 and fe80::1%eth0", "addr <IP_ADDRESS> and <IP_ADDRESS>%eth0"},
		{"ipv6 full", "2001:0db8:0000:0000:0000:ff00:0042:8329", "<IP_ADDRESS>"},
		{"card", "card 4111 1111 1111 1111 exp", "card <CREDIT_CARD> exp"},
		{"card dashes amex", "amex 3782-822463-10005.", "amex <CREDIT_CARD>."},
		{"card bare in chinese", "卡号4111111111111111已冻结", "卡号<CREDIT_CARD>已冻结"},
		{"card luhn invalid", "card 4111 1111 1111 1112", "card 4111 1111 1111 1112"},
		{"iban", "IBAN DE89 3704 0044 0532 0130 00 ok", "IBAN <IBAN> ok"},
		{"iban compact", "GB82WEST12345698765432", "<IBAN>"},
		{"iban bad checksum", "GB82WEST12345698765433", "GB82WEST12345698765433"},
		{"ssn", "SSN 123-45-6789.", "SSN <US_SSN>."},
		{"ssn invalid area", "id 666-45-6789", "id 666-45-6789"},
		{"cn id", "身份证号11010519491231002X。", "身份证号<CN_ID>。"},
		{"cn id wrong check", "身份证号110105194912310021。", "身份证号110105194912310021。"},
		{"aws", "key=AKIAIOSFODNN7EXAMPLE", "key=<SECRET>"},
		{"github", "token ghp_abcdefghijklmnopqrstuvwxyz0123456789 end", "token <SECRET> end"},
		{"assignment", `OPENAI_API_KEY="sk-proj-abc123XYZ" and password: hunter2!`, `OPENAI_API_KEY="<SECRET>" and password: <SECRET>`},
		{"json", `{"api_key": "a1b2c3d4e5f6"}`, `{"api_key": "<SECRET>"}`},
		{"prose password", "password: required", "password: required"},
		{"pem", "x\n-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----\ny", "x\n<SECRET>\ny"},
		{"cidr", "allow 10.0.0.0/8 and 2001:db8::/32", "allow <IP_ADDRESS>/8 and <IP_ADDRESS>/32"},
		{"001 prefix", "dial 001-555-123-4567", "dial <PHONE>"},
		{"token prefixes", "sk-proj-Ab3dEf6hIj9kLm2nOp5q and xoxb-123456789012-abcdefABCDEF and AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW", "<SECRET> and <SECRET> and <SECRET>"},
		{"not token", "a well-known sk-ill and task-oriented", "a well-known sk-ill and task-oriented"},
		{"landline", "电话：010-62345678，传真0755-1234567", "电话：<PHONE>，传真<PHONE>"},
		{"bearer", "Authorization: Bearer abcdef123456", "Authorization: Bearer <SECRET>"},
		{"python version", "Python 3.10.12.1 and 第1.2.3.4节", "Python 3.10.12.1 and 第1.2.3.4节"},
		{"local number", "reach MASA at 262-3773 or page 12-34, pages 123-4567", "reach MASA at <PHONE> or page 12-34, pages 123-4567"},
		{"year then phone", "since 2019 555-123-4567 rings", "since 2019 <PHONE> rings"},
		{"date", "on 2023-11-29 at 12:30:45", "on 2023-11-29 at 12:30:45"},
		{"version", "version 1.2.3.4 and v2.0.1", "version 1.2.3.4 and v2.0.1"},
		{"isbn", "ISBN 978-3-16-148410-0 and 9783161484100", "ISBN 978-3-16-148410-0 and 9783161484100"},
		{"price", "$1,234.56 or ¥12345678", "$1,234.56 or ¥12345678"},
		{"hash", "sha 3f786850e387550fdab836ed7e6dc881de23001b", "sha 3f786850e387550fdab836ed7e6dc881de23001b"},
		{"order", "Order #4111111111111111 shipped", "Order #4111111111111111 shipped"},
		{"mac", "mac 00:1A:2B:3C:4D:5E", "mac 00:1A:2B:3C:4D:5E"},
		{"cpp", "std::vector and Foo::Bar", "std::vector and Foo::Bar"},
		{"pi", "pi is 3.14159265358979323", "pi is 3.14159265358979323"},
		{"cn id then letters", "身份证号码：11010519491231002Xabc", "身份证号码：<CN_ID>abc"},
		{"cn id then digits", "身份证号：440304199001011233 2020年", "身份证号：<CN_ID> 2020年"},
		{"cn id run on digits", "身份证号码：4403041990010112330086", "身份证号码：<CN_ID>0086"},
		{"cn id run on wrong check", "身份证号码：110105194912310021more", "身份证号码：110105194912310021more"},
		{"unlabelled id run on", "编码4403041990010112330086", "编码4403041990010112330086"},
		{"cn mobile then letters", "手机：13812345678abc", "手机：<PHONE>abc"},
		{"cn mobile then digits", "联系电话13812345678转123", "联系电话<PHONE>转123"},
		{"cn mobile run on digits", "手机号13812345678123", "手机号<PHONE>123"},
		{"unlabelled mobile run on", "编号13812345678abc", "编号13812345678abc"},
		{"github then isbn", "token ghp_abcdefghijklmnopqrstuvwxyz0123456789978-0-306-40615-7", "token <SECRET>978-0-306-40615-7"},
		{"github then digits", "ghp_abcdefghijklmnopqrstuvwxyz01234567899780306406157", "<SECRET>9780306406157"},
		{"github longer token", "ghp_abcdefghijklmnopqrstuvwxyz0123456789abcdef12", "<SECRET>"},
		{"prose dash after secret", "Hath told me in secret:--nurse, come back again", "Hath told me in secret:--nurse, come back again"},
		{"option after password", "password: --stdin", "password: --stdin"},
		{"secret after dash", "password: -Xy9z!kQ2", "password: <SECRET>"},
	}
	p, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := p.Scrub(tc.in)
			if got != tc.want {
				t.Errorf("\n in: %q\ngot: %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestReplaceModes(t *testing.T) {
	in := "a bob@example.com b"
	cfg := DefaultConfig()
	cfg.Replace = ReplaceMask
	p, _ := New(cfg)
	if got, c := p.Scrub(in); got != "a *************** b" || c[Email] != 1 {
		t.Errorf("mask: %q %v", got, c)
	}
	cfg.Replace, cfg.Salt = ReplaceHash, "s1"
	p, _ = New(cfg)
	h1, _ := p.Scrub(in)
	h2, _ := p.Scrub(in)
	cfg.Salt = "s2"
	p, _ = New(cfg)
	h3, _ := p.Scrub(in)
	if h1 != h2 || h1 == h3 || !strings.HasPrefix(h1, "a <EMAIL:") || len(h1) != len("a <EMAIL:0123456789abcdef> b") {
		t.Errorf("hash: %q %q %q", h1, h2, h3)
	}
}

func TestEntityList(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Entities = []string{"email", "ip"}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, c := p.Scrub("bob@example.com 10.1.2.3 555-123-4567")
	if got != "<EMAIL> <IP_ADDRESS> 555-123-4567" || c[Email] != 1 || c[IPAddress] != 1 || c.Total() != 2 {
		t.Errorf("%q %v", got, c)
	}
	cfg.Entities = []string{"emial"}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "entities[0]") {
		t.Errorf("got %v", err)
	}
}
