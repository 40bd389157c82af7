// Package pii finds and replaces personal data and secrets in text: e-mail
// addresses, phone numbers (North American, international E.164, Chinese
// mobile), IPv4 and IPv6 addresses, payment card numbers (Luhn-checked),
// IBANs (mod-97 checked), US social security numbers, Chinese resident
// identity numbers (GB 11643 check digit) and secrets (AWS access key ids,
// GitHub tokens, PEM private keys, `api_key = ...` style assignments).
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
