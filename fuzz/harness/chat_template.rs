// Included by fuzz/fuzz_targets/chat_template.rs and crates/text/tests/fuzz_corpora.rs.
//
// Input: a template source, then NUL-separated role/content pairs. Compiling and rendering must
// end in Ok or Err (fuel, recursion and output limits bound time), never a panic.
//
// Known limit, kept out of the fuzzer's reach on purpose: the limits bound instructions and
// output, not memory held in template variables, so a template that doubles a string in a
// variable (`{% set ns.s = ns.s ~ ns.s %}` in a loop, `"x" * 10**9`, nested `tojson`, a
// `{% set %}` block capturing two copies of the last, a list's repr doubling backslashes level by
// level) can exhaust memory in a few instructions. The CLI renders model templates in a
// memory-bounded child process and the browser in a worker it can terminate; in-process, such
// templates are not bounded. So `admissible` accepts only templates whose tags cannot grow a
// value faster than the fuel allows: no `~ + * %` operators, no list, tuple or dict literals
// (`[ , { : }`), no backslash, numbers of at most 3 digits, and names from an allowlist of what
// chat templates use for control flow and comparison (no `namespace`, `macro`, `call`,
// `recursive`, `endset`, `filter` blocks, `map`/`select*` or string-building filters). Text
// outside tags and string literals are free. Everything else about rendering (syntax errors,
// undefined values, nested loops, the output cap, role/content text, special-token text in
// messages) is fuzzed.
fn admissible(template: &str) -> bool {
    // Whitespace-separated (one string keeps rustfmt from listing a name per line).
    const NAMES: &str = "\
        for in endfor if elif else endif set not and or is defined undefined none None true \
        false True False messages message m role content loop first last index index0 length \
        revindex add_generation_prompt bos_token eos_token raise_exception trim strip upper \
        lower title capitalize startswith endswith break continue raw endraw with endwith \
        equalto eq ne mapping sequence attribute count default d reverse cycle previtem \
        nextitem changed odd even divisibleby x i n system_message tools tool user assistant \
        system";
    let bytes = template.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        let close = match &bytes[i..i + 2] {
            b"{{" => "}}",
            b"{%" => "%}",
            _ => {
                i += 1;
                continue;
            }
        };
        // Inside a tag up to its end (or the end of the source: a syntax error, still fuzzed).
        let start = i + 2;
        let end = template[start..]
            .find(close)
            .map_or(bytes.len(), |e| start + e);
        if !tag_admissible(&template[start..end], NAMES) {
            return false;
        }
        i = end + 2;
    }
    true
}

/// Operators and names outside string literals of one tag's inside.
fn tag_admissible(tag: &str, names: &str) -> bool {
    let mut quote: Option<char> = None;
    let mut word = String::new();
    for ch in tag.chars().chain(std::iter::once(' ')) {
        if let Some(q) = quote {
            // A backslash could hide the closing quote from this simple scanner: refuse it.
            if ch == '\\' {
                return false;
            }
            if ch == q {
                quote = None;
            }
            continue;
        }
        if ch.is_alphanumeric() || ch == '_' {
            word.push(ch);
            continue;
        }
        if !word.is_empty() {
            let is_number = word.chars().all(|c| c.is_ascii_digit());
            if !is_number && !names.split_whitespace().any(|n| n == word) {
                return false;
            }
            // Big literals feed `range` and repetition: small numbers only.
            if is_number && word.len() > 3 {
                return false;
            }
            word.clear();
        }
        match ch {
            '\'' | '"' => quote = Some(ch),
            '~' | '+' | '*' | '%' | '\\' | '[' | ',' | '{' | ':' | '}' => return false,
            _ => {}
        }
    }
    true
}

fn exercise(data: &[u8]) {
    use mistral_text::{ChatTemplate, Message};
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let source = parts.next().unwrap_or_default();
    if !admissible(source) {
        return;
    }
    let rest: Vec<&str> = parts.take(16).collect();
    let messages: Vec<Message> = rest
        .chunks(2)
        .map(|p| Message::new(p[0], p.get(1).copied().unwrap_or_default()))
        .collect();
    let Ok(template) = ChatTemplate::new(source, "<s>", "</s>") else {
        return;
    };
    let _ = template.render(&messages, data.len().is_multiple_of(2));
}
