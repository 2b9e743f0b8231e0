//! The England and Wales working-day calendar, in Europe/London local time.
//!
//! Bank holidays are computed from the rules in the Banking and Financial
//! Dealings Act 1971 and the proclamations since, with every substitute day;
//! one-off changes (moved and extra days) are data in [`MOVED`] and [`EXTRA`].
//! A future proclaimed holiday is a one-line addition to [`EXTRA`].

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use std::sync::OnceLock;

/// The time zone every local rule of the protocols is read in.
pub fn london() -> &'static TimeZone {
    static TZ: OnceLock<TimeZone> = OnceLock::new();
    TZ.get_or_init(|| TimeZone::get("Europe/London").expect("the bundled time zone database has Europe/London"))
}

/// A month and day.
type MonthDay = (i8, i8);

/// A regular holiday that was moved in a given year: (year, usual date, actual date).
const MOVED: &[(i16, MonthDay, MonthDay)] = &[
    // Early May bank holiday moved to VE Day anniversaries.
    (1995, (5, 1), (5, 8)),
    (2020, (5, 4), (5, 8)),
    // Spring bank holiday moved for jubilees.
    (2002, (5, 27), (6, 4)),
    (2012, (5, 28), (6, 4)),
    (2022, (5, 30), (6, 2)),
];

/// One-off extra bank holidays.
const EXTRA: &[(i16, i8, i8)] = &[
    (1999, 12, 31), // Millennium
    (2002, 6, 3),   // Golden Jubilee
    (2011, 4, 29),  // Royal Wedding
    (2012, 6, 5),   // Diamond Jubilee
    (2022, 6, 3),   // Platinum Jubilee
    (2022, 9, 19),  // State Funeral of Queen Elizabeth II
    (2023, 5, 8),   // Coronation of King Charles III
];

/// Easter Sunday (Gregorian calendar, anonymous computus).
pub fn easter_sunday(year: i16) -> Date {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    date(year, month as i8, day as i8)
}

fn date(y: i16, m: i8, d: i8) -> Date {
    Date::new(y, m, d).expect("calendar arithmetic stays within valid dates")
}

fn first_monday(year: i16, month: i8) -> Date {
    let first = date(year, month, 1);
    first.nth_weekday_of_month(1, Weekday::Monday).unwrap_or(first)
}

fn last_monday(year: i16, month: i8) -> Date {
    let first = date(year, month, 1);
    first.nth_weekday_of_month(-1, Weekday::Monday).unwrap_or(first)
}

/// Every England and Wales bank holiday in `year`, sorted.
pub fn bank_holidays(year: i16) -> Vec<Date> {
    let mut days = Vec::with_capacity(10);
    // New Year's Day, or the next Monday.
    let ny = date(year, 1, 1);
    days.push(match ny.weekday() {
        Weekday::Saturday => date(year, 1, 3),
        Weekday::Sunday => date(year, 1, 2),
        _ => ny,
    });
    let easter = easter_sunday(year);
    days.push(easter.checked_sub(2.days()).expect("valid"));
    days.push(easter.checked_add(1.days()).expect("valid"));
    let moved = |usual: Date| -> Date {
        MOVED.iter().find(|(y, (m, d), _)| *y == year && usual == date(year, *m, *d)).map(|(_, _, (m, d))| date(year, *m, *d)).unwrap_or(usual)
    };
    // Early May bank holiday (from 1978).
    if year >= 1978 {
        days.push(moved(first_monday(year, 5)));
    }
    days.push(moved(last_monday(year, 5)));
    days.push(last_monday(year, 8));
    // Christmas Day and Boxing Day with substitutes.
    let christmas = date(year, 12, 25);
    match christmas.weekday() {
        Weekday::Saturday => {
            days.push(date(year, 12, 27));
            days.push(date(year, 12, 28));
        }
        Weekday::Sunday => {
            days.push(date(year, 12, 26));
            days.push(date(year, 12, 27));
        }
        Weekday::Friday => {
            days.push(christmas);
            days.push(date(year, 12, 28));
        }
        _ => {
            days.push(christmas);
            days.push(date(year, 12, 26));
        }
    }
    days.extend(EXTRA.iter().filter(|(y, _, _)| *y == year).map(|(y, m, d)| date(*y, *m, *d)));
    days.sort();
    days.dedup();
    days
}

/// Years whose holidays are cached; outside them they are computed on demand.
const CACHE_FROM: i16 = 1970;
const CACHE_TO: i16 = 2100;

fn cached(year: i16) -> Option<&'static [Date]> {
    static CACHE: OnceLock<Vec<Vec<Date>>> = OnceLock::new();
    if !(CACHE_FROM..=CACHE_TO).contains(&year) {
        return None;
    }
    let all = CACHE.get_or_init(|| (CACHE_FROM..=CACHE_TO).map(bank_holidays).collect());
    Some(&all[(year - CACHE_FROM) as usize])
}

/// Is `day` an England and Wales bank holiday?
pub fn is_bank_holiday(day: Date) -> bool {
    match cached(day.year()) {
        Some(days) => days.binary_search(&day).is_ok(),
        None => bank_holidays(day.year()).contains(&day),
    }
}

/// Monday to Friday, and not a bank holiday.
pub fn is_working_day(day: Date) -> bool {
    !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) && !is_bank_holiday(day)
}

/// The N-th working day after `day` (N = 0 gives `day` itself).
pub fn nth_working_day_after(day: Date, n: u32) -> Date {
    let mut current = day;
    let mut left = n;
    while left > 0 {
        current = current.tomorrow().expect("dates stay within range");
        if is_working_day(current) {
            left -= 1;
        }
    }
    current
}

/// The local date of an instant in Europe/London.
pub fn local_date(at: Timestamp) -> Date {
    london().to_datetime(at).date()
}

/// 23:59:59 Europe/London at the end of `day`.
pub fn end_of_day(day: Date) -> Timestamp {
    // The same "compatible" reading of the local time as `to_zoned`, without
    // building a zoned value.
    london().to_timestamp(day.at(23, 59, 59, 0)).expect("every London date has a 23:59:59")
}

/// "Within N working days of T": the end of the N-th working day after T's local date.
pub fn working_days_after(at: Timestamp, n: u32) -> Timestamp {
    end_of_day(nth_working_day_after(local_date(at), n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter_dates_known() {
        assert_eq!(easter_sunday(2026), date(2026, 4, 5));
        assert_eq!(easter_sunday(2024), date(2024, 3, 31));
        assert_eq!(easter_sunday(2000), date(2000, 4, 23));
        assert_eq!(easter_sunday(2038), date(2038, 4, 25));
    }

    #[test]
    fn substitute_days() {
        // 2021: Christmas on Saturday → Mon 27 and Tue 28.
        let h = bank_holidays(2021);
        assert!(h.contains(&date(2021, 12, 27)) && h.contains(&date(2021, 12, 28)));
        assert!(!h.contains(&date(2021, 12, 25)));
        // 2022: Christmas on Sunday → Mon 26 and Tue 27; New Year 2022 Saturday → Mon 3 Jan.
        let h = bank_holidays(2022);
        assert!(h.contains(&date(2022, 12, 26)) && h.contains(&date(2022, 12, 27)));
        assert!(h.contains(&date(2022, 1, 3)));
        // 2020: Boxing Day on Saturday → Mon 28.
        assert!(bank_holidays(2020).contains(&date(2020, 12, 28)));
    }

    #[test]
    fn moved_and_extra_days() {
        let h = bank_holidays(2022);
        assert!(h.contains(&date(2022, 6, 2)) && h.contains(&date(2022, 6, 3)));
        assert!(!h.contains(&date(2022, 5, 30)), "spring holiday 2022 moved");
        assert!(h.contains(&date(2022, 9, 19)));
        assert!(bank_holidays(2023).contains(&date(2023, 5, 8)));
        assert!(!bank_holidays(2020).contains(&date(2020, 5, 4)));
        assert!(bank_holidays(2020).contains(&date(2020, 5, 8)));
        assert!(bank_holidays(1999).contains(&date(1999, 12, 31)));
    }

    #[test]
    fn two_working_days_over_easter_2026() {
        // The contract's worked example: Thu 2 Apr 2026 + 2 working days.
        let t: Timestamp = "2026-04-02T10:00:00+01:00".parse().unwrap();
        let due = working_days_after(t, 2);
        assert_eq!(due.to_string(), "2026-04-08T22:59:59Z");
    }

    #[test]
    fn end_of_day_in_winter_and_summer() {
        assert_eq!(end_of_day(date(2026, 1, 5)).to_string(), "2026-01-05T23:59:59Z");
        assert_eq!(end_of_day(date(2026, 7, 6)).to_string(), "2026-07-06T22:59:59Z");
    }
}
