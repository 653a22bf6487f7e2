//! Small wording helpers shared by the pages and the server's messages.

/// `1 second`, `2 seconds`.
pub fn count(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn plurals() {
        assert_eq!(super::count(1, "second"), "1 second");
        assert_eq!(super::count(0, "minute"), "0 minutes");
        assert_eq!(super::count(15, "minute"), "15 minutes");
    }
}
