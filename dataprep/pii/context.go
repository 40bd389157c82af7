package pii

import "strings"

// prevWords returns up to two ASCII words before i, lower-cased, skipping
// spaces and the punctuation that joins a label to a number ("No.", "#:").
func prevWords(s string, i int) (w1, w2 string) {
	j := i
	word := func() string {
		for j > 0 && i-j < 40 {
			c := s[j-1]
			if c == ' ' || c == ':' || c == '#' || c == '.' || c == '=' || c == '\t' {
				j--
				continue
			}
			break
		}
		e := j
		for j > 0 && e-j < 16 && isAlnum(s[j-1]) {
			j--
		}
		return strings.ToLower(s[j:e])
	}
	w1 = word()
	if w1 != "" {
		w2 = word()
	}
	return w1, w2
}

// hashBefore reports whether the nearest non-space byte before i is '#',
// the common mark of order and ticket numbers.
func hashBefore(s string, i int) bool {
	for j := i - 1; j >= 0 && i-j < 4; j-- {
		switch s[j] {
		case ' ':
			continue
		case '#':
			return true
		}
		return false
	}
	return false
}

// numberLabels are words that label order, ticket and similar numbers.
var numberLabels = map[string]bool{
	"order": true, "invoice": true, "tracking": true, "isbn": true, "sku": true, "ref": true,
	"reference": true, "ticket": true, "confirmation": true, "transaction": true, "serial": true,
	"receipt": true, "booking": true, "item": true, "batch": true, "lot": true, "part": true,
	"model": true, "issn": true, "doi": true, "shipment": true, "parcel": true, "policy": true,
}

// cnLabels are the Chinese labels of order and serial numbers.
var cnLabels = []string{"订单号", "单号", "编号", "订单", "流水号", "序列号", "货号"}

// labelledNumber reports whether the number at i is labelled as an order,
// invoice, ticket or similar number ("Order #", "invoice no.", "订单号"), so
// a long bare digit run there is not taken for a card or phone number.
func labelledNumber(s string, i int) bool {
	if hashBefore(s, i) {
		return true
	}
	w1, w2 := prevWords(s, i)
	if numberLabels[w1] {
		return true
	}
	if (w1 == "no" || w1 == "number" || w1 == "id" || w1 == "code") && numberLabels[w2] {
		return true
	}
	return cnLabelBefore(s, i, cnLabels)
}

// cnLabelBefore reports whether one of the Chinese labels ends just before
// i, with optional spaces and a colon (ASCII or fullwidth) in between.
func cnLabelBefore(s string, i int, labels []string) bool {
	k := i
	for k > 0 && (s[k-1] == ' ' || s[k-1] == ':') {
		k--
	}
	if k >= 3 && strings.HasSuffix(s[:k], "：") {
		k -= 3
	}
	for _, l := range labels {
		if strings.HasSuffix(s[:k], l) {
			return true
		}
	}
	return false
}

var phoneWords = map[string]bool{
	"phone": true, "tel": true, "telephone": true, "call": true, "mobile": true, "cell": true,
	"fax": true, "contact": true, "whatsapp": true, "text": true, "sms": true, "dial": true, "at": true,
}

// phoneContext reports whether the words before i announce a phone number;
// a bare run of ten digits is taken for a phone number only then.
func phoneContext(s string, i int) bool {
	w1, w2 := prevWords(s, i)
	if phoneWords[w1] || phoneWords[w2] || w1 == "number" && phoneWords[w2] {
		return true
	}
	return cnLabelBefore(s, i, cnPhoneLabels)
}

// cnPhoneLabels are the Chinese labels of phone numbers.
var cnPhoneLabels = []string{"电话", "手机", "手机号", "联系", "致电", "热线", "号码"}

// cnIDLabels are the Chinese labels of resident identity numbers.
var cnIDLabels = []string{"身份证", "身份证号", "身份证号码", "身份号码", "证件号", "证件号码"}

// ssnContext reports whether the words before i announce an SSN.
func ssnContext(s string, i int) bool {
	w1, w2 := prevWords(s, i)
	return w1 == "ssn" || w2 == "ssn" || (w1 == "number" && w2 == "security") || w1 == "security"
}

// versionWords announce a version number rather than an address.
var versionWords = map[string]bool{
	"version": true, "ver": true, "v": true, "release": true, "build": true, "firmware": true,
	"update": true, "rev": true, "revision": true, "patch": true, "sdk": true, "python": true,
	"node": true, "java": true, "ruby": true, "php": true, "perl": true, "chrome": true,
	"firefox": true, "ios": true, "android": true, "windows": true, "macos": true, "linux": true,
	"kernel": true, "gcc": true, "clang": true, "llvm": true, "cuda": true, "go": true, "rust": true,
	"section": true, "chapter": true, "clause": true, "article": true,
}

// versionContext reports whether a dotted quad at i is a version number.
func versionContext(s string, i int) bool {
	w1, _ := prevWords(s, i)
	if versionWords[w1] {
		return true
	}
	for _, l := range []string{"版本", "版", "第"} {
		if strings.HasSuffix(s[:i], l) {
			return true
		}
	}
	return false
}
