//! A GGUF byte-level BPE vocabulary (`tokenizer.ggml.model = "gpt2"`) as a tokenizers-crate BPE.
//!
//! Pieces are strings over GPT-2's byte alphabet (each byte mapped to a printable character, "Ġ"
//! for space) and the merge list is given, so only the pre-tokenizer needs choosing: the regex
//! that cuts text into words before merging. GGUF names it in `tokenizer.ggml.pre`; the table
//! below follows llama.cpp's (`llama-vocab.cpp`), written the way the models' own tokenizer.json
//! files express it.

use crate::added_tokens;
use crate::error::{tok_err, Result, TextError};
use crate::gguf_vocab::GgufVocab;
use ahash::AHashMap;
use tokenizers::decoders::byte_level::ByteLevel;
use tokenizers::models::bpe::BPE;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{PreTokenizerWrapper, SplitDelimiterBehavior, Tokenizer as HfTokenizer};

/// Llama 3's word regex (also DeepSeek-R1 distills and Smaug): digits in runs of at most three.
const LLAMA3_REGEX: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// How the text is cut into words before BPE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pre {
    /// GPT-2's regex (`'s|'t|… | ?\p{L}+| ?\p{N}+|…`), built into the ByteLevel pre-tokenizer.
    Gpt2,
    /// Every digit its own word, then GPT-2's regex (SmolLM/SmolLM2, StarCoder, Refact).
    DigitsThenGpt2,
    /// Llama 3's regex, then plain byte mapping.
    Llama3,
}

const PRE_TABLE: &[(&str, Pre)] = &[
    ("default", Pre::Gpt2),
    ("gpt2", Pre::Gpt2),
    ("gpt-2", Pre::Gpt2),
    ("smollm", Pre::DigitsThenGpt2),
    ("starcoder", Pre::DigitsThenGpt2),
    ("refact", Pre::DigitsThenGpt2),
    ("llama3", Pre::Llama3),
    ("llama-v3", Pre::Llama3),
    ("llama-bpe", Pre::Llama3),
    ("smaug-bpe", Pre::Llama3),
];

fn pre_for(name: Option<&str>) -> Result<Pre> {
    // No `tokenizer.ggml.pre` (files converted before llama.cpp recorded it): GPT-2's regex,
    // which is also what transformers' GGUF converter uses for every "gpt2" vocabulary.
    let Some(name) = name else {
        return Ok(Pre::Gpt2);
    };
    PRE_TABLE
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, p)| *p)
        .ok_or_else(|| TextError::UnknownPreTokenizer {
            pre: name.to_string(),
            supported: PRE_TABLE
                .iter()
                .map(|(n, _)| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(", "),
        })
}

pub(crate) fn build(vocab: &GgufVocab) -> Result<HfTokenizer> {
    let pre = pre_for(vocab.pre.as_deref())?;

    let mut ids = AHashMap::with_capacity(vocab.tokens.len());
    for (i, t) in vocab.tokens.iter().enumerate() {
        ids.entry(t.clone()).or_insert(i as u32);
    }
    let merges = vocab
        .merges
        .iter()
        .enumerate()
        .map(|(i, m)| {
            // Byte-level pieces never contain a literal space (it is "Ġ"), so one space splits.
            m.split_once(' ')
                .filter(|(l, r)| !l.is_empty() && !r.is_empty() && !r.contains(' '))
                .map(|(l, r)| (l.to_string(), r.to_string()))
                .ok_or_else(|| {
                    TextError::BadGgufTokenizer(format!(
                        "tokenizer.ggml.merges[{i}] = {m:?} is not two pieces separated by a space"
                    ))
                })
        })
        .collect::<Result<Vec<_>>>()?;
    let bpe = BPE::builder()
        .vocab_and_merges(ids, merges)
        .build()
        .map_err(|e| TextError::BadGgufTokenizer(format!("tokenizer.ggml.merges: {e}")))?;
    let mut hf = HfTokenizer::new(bpe);

    // add_prefix_space = false: byte-level models see the text exactly as given.
    let gpt2 = ByteLevel::new(false, true, true);
    let pre_tokenizer: PreTokenizerWrapper = match pre {
        Pre::Gpt2 => gpt2.into(),
        Pre::DigitsThenGpt2 => Sequence::new(vec![Digits::new(true).into(), gpt2.into()]).into(),
        Pre::Llama3 => Sequence::new(vec![
            Split::new(
                SplitPattern::Regex(LLAMA3_REGEX.into()),
                SplitDelimiterBehavior::Isolated,
                false,
            )
            .map_err(tok_err)?
            .into(),
            ByteLevel::new(false, true, false).into(),
        ])
        .into(),
    };
    hf.with_pre_tokenizer(Some(pre_tokenizer));
    hf.with_decoder(Some(ByteLevel::default()));

    added_tokens::register(&mut hf, vocab)?;
    Ok(hf)
}
