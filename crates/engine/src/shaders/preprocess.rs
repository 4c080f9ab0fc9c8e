//! The one preprocessing step WGSL gets before naga: `#ifdef NAME` / `#ifndef NAME` / `#else` /
//! `#endif` (nestable), so that one template per op family holds its variants (subgroup or
//! workgroup-memory reductions, CPU- or GPU-shaped loops) instead of one file per variant.
//! Directive lines and the lines of inactive branches become empty lines, so naga's line numbers
//! in error messages still point into the template.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreprocessError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for PreprocessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// `source` with the branches for `defines` kept.
pub fn preprocess(source: &str, defines: &[&str]) -> Result<String, PreprocessError> {
    // One entry per open #if: (this branch is active, an #else was seen, line of the #if).
    let mut stack: Vec<(bool, bool, usize)> = Vec::new();
    let mut out = String::with_capacity(source.len());
    for (n, line) in source.lines().enumerate() {
        let n = n + 1;
        let err = |message: String| PreprocessError { line: n, message };
        let parent_active = stack.iter().all(|&(active, _, _)| active);
        let trimmed = line.trim_start();
        if let Some(directive) = trimmed.strip_prefix('#') {
            let mut words = directive.split_whitespace();
            let keyword = words.next().unwrap_or("");
            let name = words.next();
            if words.next().is_some() {
                return Err(err(format!("`#{keyword}` takes at most one name")));
            }
            match (keyword, name) {
                ("ifdef", Some(name)) => stack.push((defines.contains(&name), false, n)),
                ("ifndef", Some(name)) => stack.push((!defines.contains(&name), false, n)),
                ("else", None) => match stack.last_mut() {
                    Some((active, seen_else, _)) if !*seen_else => {
                        *active = !*active;
                        *seen_else = true;
                    }
                    Some(_) => return Err(err("a second `#else`".into())),
                    None => return Err(err("`#else` without `#ifdef`".into())),
                },
                ("endif", None) => {
                    if stack.pop().is_none() {
                        return Err(err("`#endif` without `#ifdef`".into()));
                    }
                }
                _ => return Err(err(format!("unknown directive `{}`", trimmed))),
            }
            out.push('\n');
            continue;
        }
        if parent_active {
            out.push_str(line);
        }
        out.push('\n');
    }
    if let Some(&(_, _, line)) = stack.last() {
        return Err(PreprocessError {
            line,
            message: "`#ifdef` without `#endif`".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(src: &str, defines: &[&str]) -> Vec<String> {
        preprocess(src, defines)
            .unwrap()
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn branches_follow_the_defines_and_nest() {
        let src = "a\n#ifdef X\nx\n#ifndef Y\nx_not_y\n#else\nx_y\n#endif\n#else\nnot_x\n#endif\nb";
        assert_eq!(kept(src, &[]), ["a", "not_x", "b"]);
        assert_eq!(kept(src, &["X"]), ["a", "x", "x_not_y", "b"]);
        assert_eq!(kept(src, &["X", "Y"]), ["a", "x", "x_y", "b"]);
        assert_eq!(kept(src, &["Y"]), ["a", "not_x", "b"]);
    }

    #[test]
    fn line_numbers_are_kept() {
        let out = preprocess("#ifdef X\nx\n#endif\ny", &[]).unwrap();
        assert_eq!(out.lines().nth(3), Some("y"));
    }

    #[test]
    fn malformed_templates_are_errors_with_their_line() {
        for (src, line, what) in [
            ("#ifdef X\nx", 1, "without `#endif`"),
            ("x\n#endif", 2, "without `#ifdef`"),
            ("#else", 1, "without `#ifdef`"),
            ("#ifdef X\n#else\n#else\n#endif", 3, "second"),
            ("#if X", 1, "unknown directive"),
            ("#ifdef", 1, "unknown directive"),
            ("#ifdef X Y\n#endif", 1, "at most one name"),
        ] {
            let e = preprocess(src, &[]).unwrap_err();
            assert_eq!(e.line, line, "{src:?}");
            assert!(e.message.contains(what), "{src:?}: {e}");
        }
    }
}
