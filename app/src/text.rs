//! Small wording helpers shared by the pages and the server's messages.

/// `1 second`, `2 seconds`.
pub fn count(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// A Unix time as `2026-11-29 23:59 UTC` (the console shows every time in UTC).
pub fn utc(ts: i64) -> String {
    let (date, time) =
        datetime_local(ts).split_once('T').map(|(d, t)| (d.to_owned(), t.to_owned())).unwrap_or_default();
    format!("{date} {time} UTC")
}

/// A Unix time as an `<input type="datetime-local">` value, `2026-11-29T23:59`, in UTC.
pub fn datetime_local(ts: i64) -> String {
    let (days, secs) = (ts.div_euclid(86_400), ts.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

/// The inverse of [`datetime_local`] (seconds optional); `None` when it is not such a value.
pub fn parse_datetime_local(s: &str) -> Option<i64> {
    let (date, time) = s.trim().split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (h, min, sec) = (t.next()??, t.next()??, t.next().flatten().unwrap_or(0));
    if !(1..=12).contains(&m)
        || !(1..=31).contains(&day)
        || !(0..24).contains(&h)
        || !(0..60).contains(&min)
        || !(0..60).contains(&sec)
    {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let ts = days * 86_400 + h * 3600 + min * 60 + sec;
    (datetime_local(ts)[..10] == date[..date.len().min(10)]).then_some(ts)
}

/// Seconds as people say them: `300 seconds (5 minutes)`, `30 days`.
pub fn duration(secs: i64) -> String {
    const UNITS: &[(i64, &str)] = &[(86_400, "day"), (3600, "hour"), (60, "minute")];
    match UNITS.iter().find(|(n, _)| secs >= *n && secs % n == 0) {
        Some((n, unit)) => count(secs / n, unit),
        None => count(secs, "second"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn plurals() {
        assert_eq!(super::count(1, "second"), "1 second");
        assert_eq!(super::count(0, "minute"), "0 minutes");
        assert_eq!(super::count(15, "minute"), "15 minutes");
        assert_eq!(super::duration(300), "5 minutes");
        assert_eq!(super::duration(2_592_000), "30 days");
        assert_eq!(super::duration(90), "90 seconds");
    }

    #[test]
    fn times_in_utc_round_trip() {
        assert_eq!(super::utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::datetime_local(1_795_996_740), "2026-11-29T23:59");
        assert_eq!(super::parse_datetime_local("2026-11-29T23:59"), Some(1_795_996_740));
        assert_eq!(super::parse_datetime_local("2024-02-29T12:00:30"), Some(1_709_208_030));
        assert_eq!(super::parse_datetime_local("2026-02-30T00:00"), None, "no 30 February");
        assert_eq!(super::parse_datetime_local("yesterday"), None);
    }
}
