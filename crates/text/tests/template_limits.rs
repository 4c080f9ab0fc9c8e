//! A chat template from a model file runs under limits: instructions (fuel), nesting and
//! output size. Each hostile template below hung, overflowed or aborted before the limits.

use mistral_text::{ChatTemplate, Message, TextError};

fn render(source: &str) -> Result<String, TextError> {
    ChatTemplate::new(source, "<s>", "</s>")
        .unwrap()
        .render(&[Message::user("hi")], true)
}

fn refused(source: &str, says: &str) {
    match render(source) {
        Err(TextError::Template(msg)) => {
            assert!(msg.contains("the model's template"), "{msg}");
            assert!(msg.contains(says), "{msg}");
        }
        other => panic!("{source}: expected a limit error, got {other:?}"),
    }
}

#[test]
fn nested_loops_run_out_of_fuel() {
    refused(
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        "instructions",
    );
}

#[test]
fn output_past_the_cap_is_refused() {
    // 100 MB of text, written a kilobyte at a time.
    refused(
        "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}",
        "MiB of prompt text",
    );
}

#[test]
fn runaway_recursion_is_refused() {
    refused(
        "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
        "nested deeper",
    );
}

#[test]
fn the_limits_leave_real_templates_alone() {
    let chatml = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
    let t = ChatTemplate::new(chatml, "", "").unwrap();
    // A long conversation: 2,000 turns of 1 KiB each.
    let turn = "y".repeat(1024);
    let messages: Vec<Message> = (0..2000)
        .map(|i| {
            if i % 2 == 0 {
                Message::user(&turn)
            } else {
                Message::assistant(&turn)
            }
        })
        .collect();
    let text = t.render(&messages, true).unwrap();
    assert!(text.len() > 2000 * 1024);
    assert!(t.limits().fuel >= 1_000_000);
}
