//! Foreign text cleaned at one boundary: a server's error, a remote service's output, a
//! response body. Wherever such text enters a report it goes through [`clean`], so that
//! nothing a backend says can recolour or rewrite a terminal (ANSI escapes), forge a
//! line of the text format or the log (line breaks), reorder what a person reads (bidi
//! controls), or grow a message without bound.

/// The longest message a check's failure carries; longer ones are cut with `…`.
pub(crate) const MAX_MESSAGE_CHARS: usize = 1000;

/// `text` made safe for every format and terminal: control characters out (whole ANSI
/// escape sequences, so that no `[31m` is left; line breaks and tabs become one space),
/// bidirectional controls out, trimmed, and at most `max_chars` characters of what
/// remains, with `…` when cut.
pub(crate) fn clean(text: &str, max_chars: usize) -> String {
    let clean = strip_controls(text);
    let clean = clean.trim();
    match clean.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &clean[..end]),
        None => clean.to_owned(),
    }
}

/// `text` without control characters (C0, DEL, C1, the bidi controls), ANSI escape
/// sequences removed whole, whitespace controls as one space.
fn strip_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.peek() {
                // CSI (`ESC [ … final`): parameters and intermediates up to a final
                // byte in `@`..=`~`.
                Some('[') => {
                    chars.next();
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC (`ESC ] … BEL` or `ESC ] … ESC \`): a title, a hyperlink.
                Some(']') => {
                    chars.next();
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                // A two-character sequence (`ESC c`, `ESC 7`…).
                Some(_) => {
                    chars.next();
                }
                None => {}
            },
            '\n' | '\r' | '\t' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c if c.is_control() || is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// The Unicode characters that change the direction of the text around them: the
/// marks, embeddings, overrides and isolates.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 200;

    fn quote(text: &str) -> String {
        clean(text, MAX)
    }

    #[test]
    fn long_texts_are_shortened() {
        let long = "x".repeat(500);
        assert_eq!(quote(&long).chars().count(), MAX + 1);
        assert!(quote(&long).ends_with("x…"));
        assert_eq!(quote("short"), "short");
        // The limit counts what is left once the controls are out.
        let coloured = format!("\u{1b}[31m{}\u{1b}[0m", "y".repeat(MAX));
        assert_eq!(quote(&coloured), "y".repeat(MAX));
    }

    #[test]
    fn control_characters_are_stripped() {
        let cases = [
            ("\u{1b}[1;31mred\u{1b}[0m alert", "red alert"),
            ("line 1\r\nline 2\tend", "line 1 line 2 end"),
            ("bell\u{7}\u{0} nul\u{7f} del\u{9b} csi", "bell nul del csi"),
            (
                "\u{1b}]8;;http://evil.test\u{7}click\u{1b}]8;;\u{1b}\\ here",
                "click here",
            ),
            ("\u{1b}cclear", "clear"),
            ("abc\u{202e}fed", "abcfed"),
            ("rtl\u{200f}mark", "rtlmark"),
            ("trailing escape\u{1b}", "trailing escape"),
            ("\n  padded\r\n", "padded"),
            ("ünïcödé ✓", "ünïcödé ✓"),
        ];
        for (text, expected) in cases {
            assert_eq!(quote(text), expected, "{text:?}");
        }
    }
}
