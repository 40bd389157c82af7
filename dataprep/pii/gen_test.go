package pii

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// gen makes labelled values for the quality tests: planted values of each
// entity in the formats people write them, and look-alikes that must stay.
type gen struct{ r *rand.Rand }

func (g gen) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.r.IntN(10))
	}
	return string(b)
}

func (g gen) pick(s ...string) string { return s[g.r.IntN(len(s))] }

func luhnDigit(d string) byte {
	for c := byte('0'); c <= '9'; c++ {
		if luhn([]byte(d + string(c))) {
			return c
		}
	}
	return '0'
}

// cardDigits returns a Luhn-valid card number of a real network's shape.
func (g gen) cardDigits() string {
	var pre string
	n := 16
	switch g.r.IntN(7) {
	case 0:
		pre = "4"
		n = []int{13, 16, 16, 16, 19}[g.r.IntN(5)]
	case 1:
		pre = fmt.Sprint(51 + g.r.IntN(5))
	case 2:
		pre = fmt.Sprint(2221 + g.r.IntN(500))
	case 3:
		pre, n = g.pick("34", "37"), 15
	case 4:
		pre = g.pick("6011", "65", "644", "649")
	case 5:
		pre, n = "35"+fmt.Sprint(28+g.r.IntN(62)), 16+g.r.IntN(4)
	default:
		pre, n = "62", 16+g.r.IntN(4)
	}
	d := pre + g.digits(n-1-len(pre))
	return d + string(luhnDigit(d))
}

func (g gen) formatCard(d string) string {
	sep := g.pick(" ", "-", "")
	if sep == "" {
		return d
	}
	if len(d) == 15 && (d[:2] == "34" || d[:2] == "37") {
		return d[:4] + sep + d[4:10] + sep + d[10:]
	}
	var parts []string
	for i := 0; i < len(d); i += 4 {
		parts = append(parts, d[i:min(i+4, len(d))])
	}
	return strings.Join(parts, sep)
}

func (g gen) cnID(valid bool) string {
	region := g.pick("110105", "310104", "440305", "510107", "330106", "420102", "610113", "350203")
	date := fmt.Sprintf("%04d%02d%02d", 1950+g.r.IntN(60), 1+g.r.IntN(12), 1+g.r.IntN(28))
	body := region + date + g.digits(3)
	sum := 0
	for i, w := range cnIDWeights {
		sum += int(body[i]-'0') * w
	}
	check := "10X98765432"[sum%11]
	if !valid {
		bad := "0123456789X"[g.r.IntN(11)]
		for bad == check {
			bad = "0123456789X"[g.r.IntN(11)]
		}
		check = bad
	}
	return body + string(check)
}

func (g gen) iban() string {
	type c struct {
		cc   string
		bban int
	}
	cs := []c{{"DE", 18}, {"FR", 23}, {"ES", 20}, {"NL", 14}, {"IT", 23}, {"BE", 12}, {"CH", 17}, {"AT", 16}, {"PL", 24}, {"SE", 20}}
	x := cs[g.r.IntN(len(cs))]
	bban := g.digits(x.bban)
	if x.cc == "NL" {
		bban = g.pick("ABNA", "RABO", "INGB") + g.digits(10)
	}
	// Check digits: 98 - mod97(bban + cc + "00").
	b := []byte(bban + x.cc + "00")
	r := 0
	for _, ch := range b {
		if isDigit(ch) {
			r = (r*10 + int(ch-'0')) % 97
		} else {
			r = (r*100 + int(ch-'A'+10)) % 97
		}
	}
	s := fmt.Sprintf("%s%02d%s", x.cc, 98-r, bban)
	if g.r.IntN(2) == 0 {
		var parts []string
		for i := 0; i < len(s); i += 4 {
			parts = append(parts, s[i:min(i+4, len(s))])
		}
		s = strings.Join(parts, " ")
	}
	return s
}

func (g gen) ipv6() string {
	gr := make([]string, 8)
	for i := range gr {
		if g.r.IntN(3) == 0 {
			gr[i] = "0"
		} else {
			gr[i] = fmt.Sprintf("%x", g.r.IntN(0x10000))
		}
	}
	gr[0] = g.pick("2001", "2a02", "fe80", "2607", "2409")
	switch g.r.IntN(3) {
	case 0:
		return strings.Join(gr, ":")
	case 1:
		a := 1 + g.r.IntN(5)
		b := a + 1 + g.r.IntN(7-a)
		return strings.Join(gr[:a], ":") + "::" + strings.Join(gr[b:], ":")
	}
	return gr[0] + ":" + gr[1] + "::" + gr[7]
}

func (g gen) nxx() string { return fmt.Sprint(2+g.r.IntN(8)) + g.digits(2) }

// planted returns a value of entity e and a template label for context.
func (g gen) planted(e Entity) string {
	switch e {
	case Email:
		local := g.pick("john.smith", "li.wei", "mary_jones", "zhang3", "a.b-c", "support", "x") + g.pick("", fmt.Sprint(g.r.IntN(1000)), "+news")
		return local + "@" + g.pick("gmail.com", "example.co.uk", "163.com", "qq.com", "mail.company.io", "uni-hamburg.de")
	case Phone:
		a, b, c := g.nxx(), g.nxx(), g.digits(4)
		cn := "1" + string(byte('3'+g.r.IntN(7))) + g.digits(9)
		switch g.r.IntN(16) {
		case 15:
			return "001-" + a + "-" + b + "-" + c
		case 0:
			return "(" + a + ") " + b + "-" + c
		case 1:
			return a + "-" + b + "-" + c
		case 2:
			return a + "." + b + "." + c
		case 3:
			return "+1 " + a + " " + b + " " + c
		case 4:
			return "+1-" + a + "-" + b + "-" + c
		case 5:
			return a + "-" + b + "-" + c + "x" + g.digits(3)
		case 6:
			return "+44 20 " + g.digits(4) + " " + g.digits(4)
		case 7:
			return "+49 30 " + g.digits(8)
		case 8:
			return "+33 1 " + g.digits(2) + " " + g.digits(2) + " " + g.digits(2) + " " + g.digits(2)
		case 9:
			return cn
		case 10:
			return cn[:3] + " " + cn[3:7] + " " + cn[7:]
		case 11:
			return cn[:3] + "-" + cn[3:7] + "-" + cn[7:]
		case 12:
			return "+86 " + cn
		case 13:
			return "+86-" + cn[:3] + "-" + cn[3:7] + "-" + cn[7:]
		default:
			return "(+86)" + cn
		}
	case IPAddress:
		if g.r.IntN(3) == 0 {
			return g.ipv6()
		}
		return fmt.Sprintf("%d.%d.%d.%d", 1+g.r.IntN(223), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
	case CreditCard:
		return g.formatCard(g.cardDigits())
	case IBAN:
		return g.iban()
	case USSSN:
		area := 1 + g.r.IntN(899)
		if area == 666 {
			area = 667
		}
		sep := g.pick("-", "-", " ")
		return fmt.Sprintf("%03d%s%02d%s%04d", area, sep, 1+g.r.IntN(99), sep, 1+g.r.IntN(9999))
	case CNID:
		return g.cnID(true)
	default:
		switch g.r.IntN(8) {
		case 5:
			return "xoxb-" + g.digits(12) + "-" + g.alnum(24, false)
		case 6:
			return "AIza" + g.alnum(35, false)
		case 7:
			return "sk-proj-" + g.alnum(40, false)
		case 0:
			return g.pick("AKIA", "ASIA") + strings.ToUpper(g.alnum(16, true))
		case 1:
			return "ghp_" + g.alnum(36, false)
		case 2:
			return "-----BEGIN " + g.pick("RSA ", "EC ", "OPENSSH ", "") + "PRIVATE KEY-----\n" + g.alnum(64, false) + "\n" + g.alnum(40, false) + "==\n-----END PRIVATE KEY-----"
		case 3:
			return "sk-" + g.alnum(32, false) // planted as the value of an assignment
		default:
			return "github_pat_" + g.alnum(40, false)
		}
	}
}

func (g gen) alnum(n int, upper bool) string {
	const a = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		if upper {
			b[i] = a[26+g.r.IntN(36)]
		} else {
			b[i] = a[g.r.IntN(len(a))]
		}
	}
	return string(b)
}

// context wraps a value in an English or Chinese phrase; Chinese phrases
// put no spaces around it.
func (g gen) context(e Entity, v string, zh bool) string {
	if e == Secret && strings.HasPrefix(v, "sk-") && !strings.HasPrefix(v, "sk-proj") {
		return g.pick("OPENAI_API_KEY="+v, `"api_key": "`+v+`"`, "client_secret = '"+v+"'", "password: "+v)
	}
	if zh {
		label := map[Entity]string{Email: "邮箱", Phone: "电话", IPAddress: "服务器地址", CreditCard: "卡号", IBAN: "账户", USSSN: "社保号", CNID: "身份证号", Secret: "密钥"}[e]
		return g.pick("我的"+label+"是"+v+"，请查收。", "请联系"+v+"谢谢", label+"："+v+"。", "（"+v+"）")
	}
	label := map[Entity]string{Email: "email", Phone: "phone", IPAddress: "server", CreditCard: "card", IBAN: "account", USSSN: "SSN", CNID: "ID", Secret: "key"}[e]
	return g.pick("You can reach my "+label+" at "+v+" if needed.", v, "Details: "+v+"; thanks", "("+v+")", label+" "+v+".")
}

// lookAlike returns a value that must not be replaced, in its context.
func (g gen) lookAlike() (kind, v, text string) {
	switch g.r.IntN(10) {
	case 0:
		d := g.cardDigits()
		d = d[:len(d)-1] + string('0'+(d[len(d)-1]-'0'+1+byte(g.r.IntN(9)))%10)
		v = g.formatCard(d)
		return "luhn-invalid card", v, g.pick("card number "+v, "卡号"+v+"无效", v)
	case 1:
		v = g.cnID(false)
		if g.r.IntN(2) == 0 { // any 18 digits that fail the check
			for cnIDValid(v) || v == "" {
				v = fmt.Sprint(1+g.r.IntN(9)) + g.digits(17)
			}
		}
		return "cn id bad check", v, g.pick("身份证号"+v+"。", "ID "+v, v)
	case 2:
		y, m, d := 1990+g.r.IntN(40), 1+g.r.IntN(12), 1+g.r.IntN(28)
		v = g.pick(fmt.Sprintf("%04d-%02d-%02d", y, m, d), fmt.Sprintf("%02d/%02d/%04d", m, d, y), fmt.Sprintf("%04d.%02d.%02d", y, m, d),
			fmt.Sprintf("%04d年%d月%d日", y, m, d), fmt.Sprintf("%04d%02d%02d", y, m, d), fmt.Sprintf("%04d-%02d-%02d 12:%02d:%02d", y, m, d, g.r.IntN(60), g.r.IntN(60)))
		return "date", v, g.pick("on "+v+" we met", "于"+v+"发布", v)
	case 3:
		v = g.pick(fmt.Sprintf("%d.%d.%d", g.r.IntN(10), g.r.IntN(30), g.r.IntN(100)), fmt.Sprintf("v%d.%d.%d.%d", g.r.IntN(10), g.r.IntN(30), g.r.IntN(100), g.r.IntN(1000)),
			fmt.Sprintf("%d.%d", g.r.IntN(10), g.r.IntN(100)), fmt.Sprintf("%d.%d.%d-rc%d", g.r.IntN(10), g.r.IntN(30), g.r.IntN(100), g.r.IntN(5)))
		return "version", v, g.pick("version "+v, "升级到"+v+"版本", "release "+v)
	case 4:
		d := "978" + g.digits(9)
		sum := 0
		for i, c := range d {
			sum += int(c-'0') * (1 + 2*(i%2))
		}
		d += fmt.Sprint((10 - sum%10) % 10)
		v = g.pick(d, d[:3]+"-"+d[3:4]+"-"+d[4:8]+"-"+d[8:12]+"-"+d[12:], g.digits(9)+"X", d[:3]+"-"+d[3:5]+"-"+d[5:9]+"-"+d[9:12]+"-"+d[12:])
		return "isbn", v, g.pick("ISBN "+v, "ISBN: "+v+".", "书号"+v)
	case 5:
		v = g.pick(fmt.Sprintf("$%d,%03d.%02d", 1+g.r.IntN(999), g.r.IntN(1000), g.r.IntN(100)), fmt.Sprintf("¥%d", g.r.IntN(100000000)),
			fmt.Sprintf("%d.%02d元", g.r.IntN(100000), g.r.IntN(100)), fmt.Sprintf("USD %d,%03d,%03d", 1+g.r.IntN(99), g.r.IntN(1000), g.r.IntN(1000)), fmt.Sprintf("€%d.%02d", g.r.IntN(10000), g.r.IntN(100)))
		return "price", v, g.pick("costs "+v+" now", "售价"+v, v)
	case 6:
		v = g.hex(g.pick("32", "40", "64", "7", "12"))
		return "hash", v, g.pick("commit "+v, "sha256: "+v, "校验值"+v, v)
	case 7:
		n := 8 + g.r.IntN(12)
		v = g.digits(n)
		return "order number", v, g.pick("Order #"+v, "order number "+v, "订单号"+v, "Invoice No. "+v, "tracking number: "+v, "订单号："+v)
	case 8:
		v = g.pick(fmt.Sprintf("%d:%02d", g.r.IntN(24), g.r.IntN(60)), fmt.Sprintf("%d%%", g.r.IntN(100)), fmt.Sprint(g.r.IntN(100000)),
			fmt.Sprintf("%d-%d", g.r.IntN(100), g.r.IntN(100)), fmt.Sprintf("%d.%d%%", g.r.IntN(100), g.r.IntN(10)), fmt.Sprintf("%d x %d", g.r.IntN(100), g.r.IntN(100)))
		return "number", v, g.pick("about "+v+" of them", "共"+v+"人", v)
	default:
		v = g.pick(fmt.Sprintf("%d.%d.%d", g.r.IntN(256), g.r.IntN(256), g.r.IntN(256)), fmt.Sprintf("%d-%d-%d", g.r.IntN(100), g.r.IntN(1000), g.r.IntN(100000)),
			fmt.Sprintf("%d:%02d:%02d", g.r.IntN(24), g.r.IntN(60), g.r.IntN(60)), g.digits(8), g.digits(12), fmt.Sprintf("+%d", g.r.IntN(1000)))
		return "other number", v, g.pick("value "+v, "编号"+v, v)
	}
}

func (g gen) hex(n string) string {
	var k int
	fmt.Sscan(n, &k)
	const h = "0123456789abcdef"
	b := make([]byte, k)
	for i := range b {
		b[i] = h[g.r.IntN(16)]
	}
	return string(b)
}
