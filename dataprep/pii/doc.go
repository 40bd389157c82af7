// Package pii finds and replaces personal data and secrets in text: e-mail
// addresses, phone numbers (North American, international E.164, Chinese
// mobile and landline), IPv4 and IPv6 addresses, payment card numbers
// (issuer prefix and length, Luhn-checked), IBANs (country length, mod-97
// checked), US social security numbers, Chinese resident identity numbers
// (GB 11643 check digit) and secrets (AWS access key ids, GitHub, Slack,
// GitLab, OpenAI-style and Google API tokens, PEM private keys,
// `api_key = ...` style assignments and Authorization headers).
//
// Bare digit runs are ambiguous, so context decides a few cases: a run
// labelled as an order, invoice or ticket number ("Order #", "订单号") is
// never a card or phone number, ten bare digits are a phone number only
// after a phone word, nine bare digits an SSN only after "SSN", and a
// dotted quad after "version" or "Python" is no address.
//
// The scanner is hand-written: one pass over the bytes that stops only at
// trigger bytes (digits, upper-case letters, '@', '+', '(', ':', '=', '_',
// '-') and validates a candidate with checksums and context before it
// accepts it. Boundaries are checked on ASCII letters and digits only, so a
// value embedded in Chinese text without spaces is still found.
//
// Found values are replaced by a tag (<EMAIL>), a mask of '*' of the same
// length, or a salted hash tag (<EMAIL:9f2c...>) that keeps equal values
// equal without revealing them.
package pii
