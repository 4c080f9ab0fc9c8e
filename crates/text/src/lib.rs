//! Text side of the model: tokenizer, streaming detokenizer, chat template.
