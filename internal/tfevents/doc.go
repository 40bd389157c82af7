// Package tfevents writes and reads TensorBoard event files: a sequence of
// records, each a little-endian uint64 length, the masked CRC-32C of those
// eight bytes, the payload and the masked CRC-32C of the payload (the
// TFRecord framing), whose payloads are tensorflow.Event protocol buffers.
// Only what scalar curves need is encoded: wall_time, step, file_version
// and summary values with a tag and a simple_value. The protobuf encoding
// is written by hand: three messages of a few fields do not justify
// generated code.
package tfevents
