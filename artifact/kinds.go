package artifact

// Artifact kinds. The kind is part of an artifact's digest.
const (
	// KindText is a text dataset: id utf8, text utf8; extra columns pass through.
	KindText = "dataset/text"
	// KindTokens is a token dataset: input_ids list<int32> (+ loss_mask
	// list<uint8>, doc_starts list<int32>).
	KindTokens = "dataset/tokens"
	// KindInstruction is an instruction dataset: prompt utf8, response utf8
	// (+ messages utf8, the whole conversation as JSON).
	KindInstruction = "dataset/instruction"
	// KindPreference is a preference dataset: prompt utf8, chosen utf8, rejected utf8.
	KindPreference = "dataset/preference"
	// KindTokenizer is a directory holding tokenizer.json.
	KindTokenizer = "tokenizer"
	// KindChatTemplate is a directory holding template.json (a chat
	// template's per-role strings) and chat_template.jinja.
	KindChatTemplate = "chat_template"
	// KindCheckpoint is model.safetensors + config.json + tokenizer.json (+ training_state).
	KindCheckpoint = "checkpoint"
	// KindAdapter is adapter_model.safetensors + adapter_config.json in the
	// PEFT layout (model/peft), for the checkpoint whose digest it records.
	KindAdapter = "adapter"
	// KindTensorBoard is a directory of TensorBoard event files
	// (events.out.tfevents.*) holding a training stage's scalar metrics.
	KindTensorBoard = "tensorboard"
)
