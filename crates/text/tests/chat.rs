//! Chat templates against transformers' `apply_chat_template` (rendered text and ids in
//! tests/fixtures/tokenizer/chat-cases.json): SmolLM2's ChatML template from its GGUF, the
//! tiny-mistral-256 GGUF's Mistral v0.1 template, and the built-in Mistral v1 fallback.

mod common;
use common::{mistral_gguf, mistral_json, read_json, smollm2};
use mistral_text::{ChatTemplate, Message, TextError, Tokenizer, MISTRAL_V1_TEMPLATE};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    name: String,
    template: String,
    messages: Vec<Message>,
    add_generation_prompt: bool,
    rendered: Option<String>,
    ids: Option<Vec<u32>>,
    error: Option<String>,
}

fn template_for(case: &Case) -> (ChatTemplate, Vec<&'static Tokenizer>) {
    match case.template.as_str() {
        "smollm2" => (
            ChatTemplate::for_tokenizer(smollm2()).unwrap(),
            vec![smollm2()],
        ),
        "tiny-mistral-gguf" => (
            ChatTemplate::for_tokenizer(mistral_gguf()).unwrap(),
            vec![mistral_gguf(), mistral_json()],
        ),
        // tokenizer.json has no template: the built-in fallback is chosen.
        "fallback-mistral-v1" => {
            let t = ChatTemplate::for_tokenizer(mistral_json()).unwrap();
            assert!(t.is_builtin());
            (t, vec![mistral_json(), mistral_gguf()])
        }
        other => panic!("unknown template {other}"),
    }
}

#[test]
fn rendering_and_ids_match_transformers() {
    let cases: Vec<Case> = read_json("tokenizer/chat-cases.json");
    assert_eq!(cases.len(), 24);
    let mut checked = 0;
    for case in &cases {
        let what = format!("{} / {}", case.template, case.name);
        let (template, toks) = template_for(case);
        let rendered = template.render(&case.messages, case.add_generation_prompt);
        match (&case.error, &case.rendered) {
            (Some(err), _) => {
                let e = rendered.expect_err(&what);
                assert!(matches!(e, TextError::Template(_)), "{what}: {e}");
                assert!(e.to_string().contains(err.as_str()), "{what}: {e}");
            }
            (None, Some(want)) => {
                assert_eq!(&rendered.unwrap(), want, "{what}");
                for tok in toks {
                    let ids = template
                        .encode(tok, &case.messages, case.add_generation_prompt)
                        .unwrap();
                    assert_eq!(&ids, case.ids.as_ref().unwrap(), "{what}");
                    checked += 1;
                }
            }
            _ => panic!("{what}: fixture has neither rendered text nor error"),
        }
    }
    assert_eq!(checked, 28);
}

#[test]
fn template_bos_is_not_doubled() {
    let tok = mistral_gguf();
    let template = ChatTemplate::for_tokenizer(tok).unwrap();
    assert!(!template.is_builtin());
    let ids = template.encode(tok, &[Message::user("Hi")], true).unwrap();
    assert_eq!(ids[0], 1);
    assert_ne!(ids[1], 1, "{ids:?}");
    assert_eq!(ids.iter().filter(|&&i| i == 1).count(), 1);
}

#[test]
fn bos_is_added_when_the_model_wants_it_and_the_template_omits_it() {
    let tok = mistral_json();
    let template =
        ChatTemplate::new("[INST] {{ messages[0]['content'] }} [/INST]", "<s>", "</s>").unwrap();
    let ids = template.encode(tok, &[Message::user("Hi")], true).unwrap();
    assert_eq!(&ids[..4], &[1, 733, 16289, 28793]);
    // SmolLM2 wants no BOS: none is added.
    let smol = smollm2();
    let ids = ChatTemplate::for_tokenizer(smol)
        .unwrap()
        .encode(smol, &[Message::user("Hi")], true)
        .unwrap();
    assert_eq!(ids[0], 1, "<|im_start|> written by the template");
    assert_eq!(
        ids.iter().filter(|&&i| i == 1).count(),
        3,
        "system, user, assistant turns"
    );
}

#[test]
fn fallback_merges_the_system_prompt_into_the_first_user_turn() {
    let t = ChatTemplate::mistral_v1("<s>", "</s>");
    let text = t
        .render(
            &[
                Message::system("Be brief."),
                Message::user("Hi"),
                Message::assistant("Hello."),
                Message::user("Bye"),
            ],
            true,
        )
        .unwrap();
    assert_eq!(
        text,
        "<s>[INST] Be brief.\n\nHi [/INST] Hello.</s>[INST] Bye [/INST]"
    );
    assert_eq!(t.source(), MISTRAL_V1_TEMPLATE);
    // Empty conversation: just BOS.
    assert_eq!(t.render(&[], true).unwrap(), "<s>");
}

#[test]
fn hf_style_template_features_work() {
    // trim_blocks/lstrip_blocks, .strip(), |trim, loop controls, namespace, raise_exception.
    let src = "{% set ns = namespace(n=0) %}
{% for m in messages %}
    {% if m.role == 'system' %}{% continue %}{% endif %}
    {% set ns.n = ns.n + 1 %}
    {{ m['content'].strip() | upper }}|{{ '  x  ' | trim }}
{% endfor %}
{{ ns.n }}{% if add_generation_prompt %}>{% endif %}";
    let t = ChatTemplate::new(src, "<s>", "</s>").unwrap();
    let out = t
        .render(
            &[
                Message::system("s"),
                Message::user("  a "),
                Message::assistant("b"),
            ],
            true,
        )
        .unwrap();
    assert_eq!(out, "    A|x\n    B|x\n2>");
}

#[test]
fn template_errors_are_values() {
    // Syntax error at construction.
    let e = ChatTemplate::new("{% for m in messages %}", "<s>", "</s>").unwrap_err();
    assert!(matches!(e, TextError::Template(_)), "{e}");
    // raise_exception carries its message.
    let t = ChatTemplate::new("{{ raise_exception('no tools here') }}", "", "").unwrap();
    let e = t.render(&[Message::user("x")], false).unwrap_err();
    assert!(e.to_string().contains("no tools here"), "{e}");
    // Calling an unknown function fails instead of rendering garbage.
    let t = ChatTemplate::new("{{ nope() }}", "", "").unwrap();
    assert!(t.render(&[], false).is_err());
}
