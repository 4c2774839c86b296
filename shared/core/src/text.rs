//! Clipping text quoted from events, so that no input, however large, makes
//! a record, a note or an error large.
//!
//! A leaf: it imports nothing of the crate, so every module may use it.

/// `s`, cut to `max` characters with a marker saying how much was cut, so
/// that no input, however large, makes a record large.
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((end, _)) => {
            let cut = s[end..].chars().count();
            format!("{}... ({cut} more characters)", &s[..end])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_text_is_cut_and_says_how_much_was_cut() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("abcdef", 3), "abc... (3 more characters)");
        assert_eq!(clip("ééé", 2), "éé... (1 more characters)");
    }
}
