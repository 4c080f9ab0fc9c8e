//! Stop sequences over streamed text, as OpenAI's `stop` parameter: generation ends before the
//! first occurrence of any stop string, and that string is not part of the answer.
//!
//! Text arrives in pieces, and a stop string may straddle pieces ("Obs" + "ervation:"). So the
//! matcher holds back the longest tail of the text that could still be the start of a stop
//! string, and releases it once it cannot (or at the end). What the caller shows the user is
//! therefore always a prefix of the final answer: nothing shown has to be taken back.

#[derive(Clone, Debug, Default)]
pub struct StopMatcher {
    stops: Vec<String>,
    /// Text received but not yet released: a possible beginning of a stop string.
    held: String,
    stopped: bool,
}

/// What one piece of text produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StopStep {
    /// Text safe to show now.
    pub text: String,
    /// A stop string was completed: generation should end (its text is not in `text`).
    pub stopped: bool,
}

impl StopMatcher {
    /// Empty stop strings are ignored (they would match before any text).
    pub fn new(stops: impl IntoIterator<Item = String>) -> Self {
        StopMatcher {
            stops: stops.into_iter().filter(|s| !s.is_empty()).collect(),
            held: String::new(),
            stopped: false,
        }
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Feeds the next piece of generated text.
    pub fn push(&mut self, piece: &str) -> StopStep {
        if self.stopped {
            return StopStep {
                text: String::new(),
                stopped: true,
            };
        }
        self.held.push_str(piece);
        if let Some(at) = self.first_stop() {
            self.stopped = true;
            let text = self.held[..at].to_string();
            self.held.clear();
            return StopStep {
                text,
                stopped: true,
            };
        }
        let keep = self.partial_suffix_len();
        let release = self.held.len() - keep;
        let text = self.held[..release].to_string();
        self.held.drain(..release);
        StopStep {
            text,
            stopped: false,
        }
    }

    /// Ends the text: releases what was held back (it never completed a stop string).
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.held)
    }

    /// Byte offset in `held` of the earliest complete stop string.
    fn first_stop(&self) -> Option<usize> {
        self.stops.iter().filter_map(|s| self.held.find(s)).min()
    }

    /// Length of the longest suffix of `held` that is a proper prefix of some stop string
    /// (always on a char boundary, since it is also a prefix of a valid string).
    fn partial_suffix_len(&self) -> usize {
        let mut best = 0;
        for stop in &self.stops {
            let max = stop.len().saturating_sub(1).min(self.held.len());
            for len in (best + 1..=max).rev() {
                let start = self.held.len() - len;
                if self.held.is_char_boundary(start) && stop.starts_with(&self.held[start..]) {
                    best = len;
                    break;
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(stops: &[&str], pieces: &[&str]) -> (Vec<String>, bool, String) {
        let mut m = StopMatcher::new(stops.iter().map(|s| s.to_string()));
        let mut shown = Vec::new();
        for p in pieces {
            let step = m.push(p);
            shown.push(step.text);
            if step.stopped {
                return (shown, true, String::new());
            }
        }
        let rest = m.finish();
        (shown, false, rest)
    }

    #[test]
    fn no_stops_passes_text_through() {
        let (shown, stopped, rest) = run(&[], &["Hel", "lo"]);
        assert_eq!(shown, ["Hel", "lo"]);
        assert!(!stopped);
        assert_eq!(rest, "");
    }

    #[test]
    fn stop_straddling_pieces_is_cut_and_never_shown() {
        let (shown, stopped, _) = run(&["\nUser:"], &["Paris.", "\nUs", "er: hi"]);
        assert_eq!(shown.concat(), "Paris.");
        assert_eq!(shown, ["Paris.", "", ""]);
        assert!(stopped);
    }

    #[test]
    fn held_text_is_released_when_it_stops_matching() {
        let (shown, stopped, rest) = run(&["STOP"], &["a ST", "ART b"]);
        assert_eq!(shown, ["a ", "START b"]);
        assert!(!stopped);
        assert_eq!(rest, "");
    }

    #[test]
    fn held_text_is_released_at_the_end() {
        let (shown, stopped, rest) = run(&["STOP"], &["a ST"]);
        assert_eq!(shown, ["a "]);
        assert!(!stopped);
        assert_eq!(rest, "ST");
    }

    #[test]
    fn earliest_of_several_stops_wins() {
        let (shown, stopped, _) = run(&["cd", "b"], &["abcd"]);
        assert_eq!(shown, ["a"]);
        assert!(stopped);
    }

    #[test]
    fn multibyte_text_is_never_split() {
        let (shown, stopped, rest) = run(&["é!"], &["café", " ok"]);
        assert_eq!(shown, ["caf", "é ok"]);
        assert!(!stopped);
        assert_eq!(rest, "");
    }

    #[test]
    fn empty_stop_strings_are_ignored() {
        let (shown, stopped, _) = run(&[""], &["x"]);
        assert_eq!(shown, ["x"]);
        assert!(!stopped);
    }
}
