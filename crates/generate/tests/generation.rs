//! The generation state machine and the conversation with a real tokenizer (Mistral v0.1's)
//! and a scripted "engine": each step's logits put the next scripted token on top.

use mistral_generate::{
    ContextLimits, Conversation, FinishReason, Generation, KvHistory, Logits, LogitsNeed,
    SamplingParams, Step,
};
use mistral_text::{ChatTemplate, Message, Tokenizer};

fn tokenizer() -> Tokenizer {
    Tokenizer::from_json_file(mistral_testdata::fixture(
        "mistral-v0.1-tokenizer/tokenizer.json",
    ))
    .unwrap()
}

/// A logits row whose argmax is `id` (the runner-up is `id + 1`, a little behind).
fn row_for(vocab: usize, id: u32) -> Vec<f32> {
    let mut row = vec![0.0; vocab];
    row[id as usize] = 20.0;
    row[(id as usize + 1) % vocab] = 19.0;
    row
}

/// Runs `gen` over the scripted ids (greedy rows), returning every step.
fn drive(gen: &mut Generation<&Tokenizer>, vocab: usize, script: &[u32]) -> Vec<Step> {
    let mut steps = Vec::new();
    for &id in script {
        if gen.is_done() {
            break;
        }
        steps.push(gen.push(Logits::Row(&row_for(vocab, id))).unwrap());
    }
    steps
}

fn text(steps: &[Step]) -> String {
    steps.iter().map(|s| s.text.as_str()).collect()
}

#[test]
fn stop_strings_end_the_answer_before_them() {
    let tok = tokenizer();
    let vocab = tok.vocab_size();
    let script = tok
        .encode("The capital is Paris.\nUser: and Spain?", false)
        .unwrap();
    let params = SamplingParams {
        stop: vec!["\nUser:".into()],
        ..SamplingParams::greedy()
    };
    let mut gen = Generation::new(&tok, params, &[1], 100, 0).unwrap();
    let steps = drive(&mut gen, vocab, &script);
    assert_eq!(text(&steps), "The capital is Paris.");
    assert_eq!(gen.text(), "The capital is Paris.");
    assert_eq!(gen.finish_reason(), Some(FinishReason::Stop));
    assert_eq!(steps.last().unwrap().finish, Some(FinishReason::Stop));
    assert_eq!(gen.next_input(), None);
    // Nothing after the end.
    assert_eq!(
        gen.push(Logits::Row(&row_for(vocab, 5))).unwrap(),
        Step::default()
    );
}

#[test]
fn eos_from_the_tokenizer_ends_with_stop_and_is_not_counted() {
    let tok = tokenizer();
    let eos = tok.eos_ids()[0];
    let mut script = tok.encode("Hi there", false).unwrap();
    let n = script.len();
    script.push(eos);
    let mut gen = Generation::new(&tok, SamplingParams::greedy(), &[1], 100, 0).unwrap();
    let steps = drive(&mut gen, tok.vocab_size(), &script);
    assert_eq!(text(&steps), "Hi there");
    assert_eq!(gen.tokens().len(), n);
    assert_eq!(steps.last().unwrap().token, Some(eos));
    assert_eq!(gen.finish_reason(), Some(FinishReason::Stop));
}

#[test]
fn max_tokens_ends_with_length_and_zero_is_done_at_once() {
    let tok = tokenizer();
    let script = tok.encode("one two three four five", false).unwrap();
    let mut gen = Generation::new(&tok, SamplingParams::greedy(), &[1], 3, 0).unwrap();
    let steps = drive(&mut gen, tok.vocab_size(), &script);
    assert_eq!(steps.len(), 3);
    assert_eq!(text(&steps), tok.decode(&script[..3]).unwrap());
    assert_eq!(gen.finish_reason(), Some(FinishReason::Length));
    let zero = Generation::new(&tok, SamplingParams::greedy(), &[1], 0, 0).unwrap();
    assert_eq!(zero.finish_reason(), Some(FinishReason::Length));
}

#[test]
fn a_stop_string_held_back_is_released_when_the_answer_ends() {
    let tok = tokenizer();
    let script = tok.encode("wait\nUs", false).unwrap();
    let params = SamplingParams {
        stop: vec!["\nUser:".into()],
        ..SamplingParams::greedy()
    };
    let mut gen = Generation::new(&tok, params, &[1], script.len(), 0).unwrap();
    let steps = drive(&mut gen, tok.vocab_size(), &script);
    // "\nUs" could have started the stop string: held until the length limit ended the answer.
    assert_eq!(text(&steps), "wait\nUs");
    assert_eq!(gen.finish_reason(), Some(FinishReason::Length));
    // Ended early by the engine instead (context full): the held text comes with the end.
    let mut gen = Generation::new(
        &tok,
        SamplingParams {
            stop: vec!["\nUser:".into()],
            ..SamplingParams::greedy()
        },
        &[1],
        100,
        0,
    )
    .unwrap();
    let steps = drive(&mut gen, tok.vocab_size(), &script);
    assert_eq!(text(&steps), "wait");
    let end = gen.end(FinishReason::Length).unwrap();
    assert_eq!(end.text, "\nUs");
    assert_eq!(end.finish, Some(FinishReason::Length));
}

#[test]
fn logprobs_come_with_each_step() {
    let tok = tokenizer();
    let params = SamplingParams {
        logprobs: Some(2),
        ..SamplingParams::greedy()
    };
    let mut gen = Generation::new(&tok, params, &[1], 10, 0).unwrap();
    assert_eq!(gen.need(64), LogitsNeed::FullRow, "logprobs need the row");
    let step = gen
        .push(Logits::Row(&row_for(tok.vocab_size(), 500)))
        .unwrap();
    let lp = step.logprob.unwrap();
    assert_eq!(lp.id, 500);
    assert_eq!(lp.top.iter().map(|t| t.0).collect::<Vec<_>>(), [500, 501]);
    // exp(20) vs exp(19) vs vocab-2 times exp(0).
    let z = (20f64).exp() + (19f64).exp() + (tok.vocab_size() - 2) as f64;
    assert!((lp.logprob as f64 - (20.0 - z.ln())).abs() < 1e-4, "{lp:?}");
}

#[test]
fn what_the_engine_reads_back() {
    let tok = tokenizer();
    let g = |p: SamplingParams| Generation::new(&tok, p, &[1, 2, 3], 10, 0).unwrap();
    assert_eq!(g(SamplingParams::greedy()).need(64), LogitsNeed::Argmax);
    assert_eq!(g(SamplingParams::default()).need(64), LogitsNeed::TopK(40));
    assert_eq!(g(SamplingParams::default()).need(0), LogitsNeed::FullRow);
    let penalized = SamplingParams {
        repetition_penalty: 1.2,
        ..SamplingParams::default()
    };
    // The prompt's three distinct tokens may move down.
    assert_eq!(g(penalized).need(64), LogitsNeed::TopK(43));
    // The GPU's greedy id is accepted as is.
    let mut greedy = g(SamplingParams::greedy());
    let hello = tok.encode("Hello", false).unwrap()[0];
    let step = greedy.push(Logits::Argmax(hello)).unwrap();
    assert_eq!((step.token, step.text.as_str()), (Some(hello), "Hello"));
    assert_eq!(greedy.next_input(), Some(hello));
    // A bias outside the vocabulary is refused up front.
    let bad = SamplingParams {
        logit_bias: [(u32::MAX, -1.0)].into(),
        ..SamplingParams::default()
    };
    let e = Generation::new(&tok, bad, &[1], 10, 0).err().unwrap();
    assert!(e.to_string().contains("outside the vocabulary"), "{e}");
}

#[test]
fn the_same_seed_gives_the_same_text() {
    let tok = tokenizer();
    // A flat row over 200 tokens: sampling has plenty of choice.
    let mut row = vec![-100.0; tok.vocab_size()];
    row[1000..1200].iter_mut().for_each(|l| *l = 0.0);
    let run = |seed| {
        let p = SamplingParams {
            temperature: 1.0,
            top_k: 0,
            seed,
            ..Default::default()
        };
        let mut gen = Generation::new(&tok, p, &[1], 20, 99).unwrap();
        while !gen.is_done() {
            gen.push(Logits::Row(&row)).unwrap();
        }
        gen.tokens().to_vec()
    };
    assert_eq!(run(Some(5)), run(Some(5)));
    assert_ne!(run(Some(5)), run(Some(6)));
    // No seed in the request: the front end's default seed (99) decides.
    assert_eq!(run(None), run(None));
}

#[test]
fn a_conversation_reuses_the_kv_prefix_and_drops_old_turns_when_full() {
    let tok = tokenizer();
    let template = ChatTemplate::mistral_v1("<s>", "</s>");
    let rendered = std::cell::Cell::new(0);
    let render = |m: &[Message], g: bool| {
        rendered.set(rendered.get() + 1);
        template.render(m, g)
    };
    let limits = ContextLimits {
        capacity: 4096,
        windowed: false,
    };
    let mut conv = Conversation::new(Some("Be brief.".into()));
    let mut kv = KvHistory::new();
    conv.push_user("What is the capital of France?");
    let first = conv
        .prompt(&template, &tok, Some(&render), limits, 64)
        .unwrap();
    assert!(rendered.get() >= 1, "the caller's renderer is used");
    assert_eq!(first.dropped, 0);
    // The engine ran the prompt and the answer (all but the answer's last token and EOS).
    let answer = "Paris.";
    let answer_ids = tok.encode(answer, false).unwrap();
    kv.extend(&first.tokens);
    kv.extend(&answer_ids);
    conv.push_assistant(answer);
    conv.push_user("And Spain?");
    let second = conv.prompt(&template, &tok, None, limits, 64).unwrap();
    let reused = kv.reusable(&second.tokens, kv.len(), limits.capacity);
    assert!(
        reused >= first.tokens.len(),
        "the second turn prefills only its new tokens: reused {reused} of {}",
        second.tokens.len()
    );

    // A small context: the first turn goes, the system prompt stays.
    let small = ContextLimits {
        capacity: second.tokens.len() + 10,
        windowed: false,
    };
    let fitted = conv.prompt(&template, &tok, None, small, 20).unwrap();
    assert_eq!(fitted.dropped, 2);
    assert!(fitted
        .notice
        .unwrap()
        .contains("dropped the oldest 2 messages"));
    assert_eq!(conv.turns().len(), 1, "the dropped turns are forgotten");
    assert_eq!(conv.system(), Some("Be brief."));
    // A message longer than the context alone.
    conv.push_assistant("Madrid.");
    conv.push_user("word ".repeat(200));
    let tiny = ContextLimits {
        capacity: 100,
        windowed: false,
    };
    let e = conv.prompt(&template, &tok, None, tiny, 10).unwrap_err();
    assert!(e.to_string().contains("the context holds 100"), "{e}");
}
