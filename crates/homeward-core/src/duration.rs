//! Durations as protocols write them: `"0"`, `"24h"`, `"3d"`, `"2wd"`, `"1mo"`.

use crate::calendar;
use jiff::{SignedDuration, Timestamp, ToSpan};
use std::fmt;

/// A protocol timescale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duration {
    /// Elapsed hours (N days are written as N×24 hours).
    Hours(i64),
    /// The end of the N-th working day after the local date.
    WorkingDays(u32),
    /// Calendar months in Europe/London.
    Months(u32),
}

impl Duration {
    pub const ZERO: Duration = Duration::Hours(0);

    /// Parses the protocol notation; the error says what is accepted.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text == "0" {
            return Ok(Duration::ZERO);
        }
        let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(|| format!("'{text}' has no unit (use h, d, wd or mo, or \"0\")"))?;
        let (number, unit) = text.split_at(split);
        let n: u32 = number.parse().map_err(|_| format!("'{text}' does not start with a whole number"))?;
        match unit {
            "h" => Ok(Duration::Hours(i64::from(n))),
            "d" => Ok(Duration::Hours(i64::from(n) * 24)),
            "wd" => Ok(Duration::WorkingDays(n)),
            "mo" => Ok(Duration::Months(n)),
            other => Err(format!("'{text}' has an unknown unit '{other}' (use h, d, wd or mo)")),
        }
    }

    pub fn is_zero(&self) -> bool {
        matches!(self, Duration::Hours(0))
    }

    /// The instant this duration after `from`.
    pub fn after(&self, from: Timestamp) -> Timestamp {
        match *self {
            Duration::Hours(h) => from.checked_add(SignedDuration::from_hours(h)).unwrap_or(Timestamp::MAX),
            Duration::WorkingDays(n) => calendar::working_days_after(from, n),
            Duration::Months(n) => {
                from.to_zoned(calendar::london().clone()).checked_add(i64::from(n).months()).map(|z| z.timestamp()).unwrap_or(Timestamp::MAX)
            }
        }
    }

    /// A lower bound of `after(t) - t` for every instant `t`, for finding
    /// candidates in a database before checking each exactly with `after`.
    /// A month is at least 28 days and a working day at least a day; a clock
    /// change can take an hour off either.
    pub fn at_least(&self) -> SignedDuration {
        let hours = match *self {
            Duration::Hours(h) => return SignedDuration::from_hours(h),
            Duration::WorkingDays(n) => i64::from(n) * 24,
            Duration::Months(n) => i64::from(n) * 28 * 24,
        };
        SignedDuration::from_hours((hours - 1).max(0))
    }

    /// Plain English, for `protocols show`.
    pub fn describe(&self) -> String {
        match *self {
            Duration::Hours(0) => "immediately".to_string(),
            Duration::Hours(h) if h % 24 == 0 && h >= 48 && h != 72 => plural(h / 24, "day", "days"),
            Duration::Hours(h) => plural(h, "hour", "hours"),
            Duration::WorkingDays(n) => plural(i64::from(n), "working day", "working days"),
            Duration::Months(n) => plural(i64::from(n), "month", "months"),
        }
    }
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Duration::Hours(0) => write!(f, "0"),
            Duration::Hours(h) => write!(f, "{h}h"),
            Duration::WorkingDays(n) => write!(f, "{n}wd"),
            Duration::Months(n) => write!(f, "{n}mo"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(Duration::parse("0"), Ok(Duration::ZERO));
        assert_eq!(Duration::parse("24h"), Ok(Duration::Hours(24)));
        assert_eq!(Duration::parse("7d"), Ok(Duration::Hours(168)));
        assert_eq!(Duration::parse("5wd"), Ok(Duration::WorkingDays(5)));
        assert_eq!(Duration::parse("1mo"), Ok(Duration::Months(1)));
        assert!(Duration::parse("24").unwrap_err().contains("no unit"));
        assert!(Duration::parse("2w").unwrap_err().contains("unknown unit"));
        assert!(Duration::parse("-2h").is_err());
    }

    #[test]
    fn hours_are_elapsed_time_across_a_clock_change() {
        // 28 March 2026 12:00 GMT + 24h = 29 March 13:00 BST.
        let t: Timestamp = "2026-03-28T12:00:00Z".parse().unwrap();
        let due = Duration::Hours(24).after(t);
        assert_eq!(due.to_zoned(calendar::london().clone()).to_string(), "2026-03-29T13:00:00+01:00[Europe/London]");
    }

    #[test]
    fn months_are_calendar_months() {
        let t: Timestamp = "2026-01-31T10:00:00Z".parse().unwrap();
        assert_eq!(Duration::Months(1).after(t).to_string(), "2026-02-28T10:00:00Z");
    }

    #[test]
    fn at_least_is_never_more_than_the_real_duration() {
        // Every 7 hours 13 minutes over three years: month ends, leap day,
        // clock changes, bank holidays, late evenings.
        let durations = [Duration::Hours(5), Duration::WorkingDays(1), Duration::WorkingDays(3), Duration::Months(1), Duration::Months(3)];
        let mut t: Timestamp = "2023-12-01T00:00:00Z".parse().unwrap();
        let end: Timestamp = "2026-12-31T00:00:00Z".parse().unwrap();
        let step = SignedDuration::from_mins(7 * 60 + 13);
        let mut tightest = vec![SignedDuration::MAX; durations.len()];
        while t < end {
            for (i, d) in durations.iter().enumerate() {
                let real = t.duration_until(d.after(t));
                assert!(d.at_least() <= real, "{d:?} from {t}: at_least {:?} > {real:?}", d.at_least());
                tightest[i] = tightest[i].min(real - d.at_least());
            }
            t = t.checked_add(step).unwrap();
        }
        // The bound is close: within a few days of the shortest real duration.
        for (d, slack) in durations.iter().zip(tightest) {
            assert!(slack <= SignedDuration::from_hours(6 * 24), "{d:?}: slack {slack:?}");
        }
    }
}
