// Package trainer is the training loop every training stage shares: batches
// from token datasets, gradient accumulation with the loss normalised once
// per optimizer step, global-norm clipping, warmup and cosine decay, AdamW,
// periodic evaluation, checkpoints saved atomically, bit-exact resume, and
// metrics and progress through events.
//
// A stage supplies only what makes it different, in a Spec: its config (a
// struct embedding Config, whose attributes Attributes describes once for
// every stage), the model to train (built from scratch or loaded from an input
// checkpoint), its Source of training rows, and optionally its own Loss.
package trainer
