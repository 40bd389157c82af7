// Package instruction maps the common shapes of instruction-tuning records
// onto instruction datasets (artifact.KindInstruction): id, prompt,
// response, system, and messages, the whole conversation as canonical JSON
// (see chat.MarshalMessages), which is what training renders with a chat
// template so the loss can cover every assistant turn. prompt and response
// hold the last exchange, for tools that want one pair per row.
//
// Shapes, with their default field names:
//
//	alpaca           instruction, input, output, history, system
//	qa               question, answer, system
//	prompt_response  prompt, response, system
//	messages         messages (a list of {role, content}), system
//
// For alpaca the prompt is the instruction followed by a blank line and the
// input when the input is not empty; history is a list of earlier
// [user, assistant] pairs, oldest first. For messages the roles are system,
// user and assistant (aliases such as human and gpt map through Config.Roles),
// with at most one system turn, first. input, history and system are
// optional; every other field is required. A record that is not a JSON
// object, lacks a required field, holds the wrong type or breaks the turn
// order is bad: an error naming file and line, or skipped and counted.
//
// Ingest reads JSONL files; FromDataset reads the rows of a text dataset,
// whose columns are the records' fields.
package instruction
