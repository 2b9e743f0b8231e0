//! Reading a submitted form's fields: every problem found, each against
//! the input it is about, so that a page can show them all at once.

use jiff::Timestamp;
use std::collections::HashMap;

/// A problem with one field: its input's id and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem { field: field.into(), message: message.into() }
    }
}

/// A form's values, as submitted.
pub struct Values<'a>(pub &'a HashMap<String, String>);

impl Values<'_> {
    /// The field's text, trimmed; None when blank or absent.
    pub fn text(&self, name: &str) -> Option<String> {
        self.0.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
    }

    /// The field's text, or a problem saying `message` when it is blank.
    pub fn required(&self, name: &str, message: &str, problems: &mut Vec<Problem>) -> Option<String> {
        let value = self.text(name);
        if value.is_none() {
            problems.push(Problem::new(name, message));
        }
        value
    }

    /// A date and time given as `{prefix}-day`, `-month`, `-year`, `-hour`
    /// and `-minute`, in London time, as an instant. `what` says what
    /// happened then ("the child went missing"): "Enter the date the child
    /// went missing"; problems are
    /// against `{prefix}-day`, the first input of the group.
    pub fn date_time(&self, prefix: &str, what: &str, problems: &mut Vec<Problem>) -> Option<Timestamp> {
        let field = format!("{prefix}-day");
        let number = |part: &str| self.text(&format!("{prefix}-{part}")).and_then(|v| v.parse::<i16>().ok());
        let (Some(day), Some(month), Some(year)) = (number("day"), number("month"), number("year")) else {
            problems.push(Problem::new(field, format!("Enter the date {what}, as day, month and year")));
            return None;
        };
        let (Some(hour), Some(minute)) = (number("hour"), number("minute")) else {
            problems.push(Problem::new(field, format!("Enter the time {what}, as hour and minute (24-hour clock)")));
            return None;
        };
        let Ok(date) = jiff::civil::Date::new(year, month.clamp(0, 127) as i8, day.clamp(0, 127) as i8) else {
            problems.push(Problem::new(field, format!("The date {what} must be a real date")));
            return None;
        };
        let Ok(time) = jiff::civil::Time::new(hour.clamp(-1, 127) as i8, minute.clamp(-1, 127) as i8, 0, 0) else {
            problems.push(Problem::new(field, format!("The time {what} must be a real time on the 24-hour clock")));
            return None;
        };
        match date.to_datetime(time).to_zoned(homeward_core::calendar::london().clone()) {
            Ok(z) => Some(z.timestamp()),
            Err(_) => {
                problems.push(Problem::new(field, format!("The date and time {what} must be real")));
                None
            }
        }
    }
}

/// `{prefix}-day` … `-minute` filled with `at` in London time.
pub fn fill_date_time(values: &mut HashMap<String, String>, prefix: &str, at: Timestamp) {
    let z = at.to_zoned(homeward_core::calendar::london().clone());
    values.insert(format!("{prefix}-day"), z.day().to_string());
    values.insert(format!("{prefix}-month"), z.month().to_string());
    values.insert(format!("{prefix}-year"), z.year().to_string());
    values.insert(format!("{prefix}-hour"), format!("{:02}", z.hour()));
    values.insert(format!("{prefix}-minute"), format!("{:02}", z.minute()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_date_and_time_is_read_in_london_time() {
        let values = form(&[("gone-day", "1"), ("gone-month", "7"), ("gone-year", "2026"), ("gone-hour", "21"), ("gone-minute", "30")]);
        let mut problems = Vec::new();
        let at = Values(&values).date_time("gone", "it", &mut problems);
        assert_eq!(at, Some("2026-07-01T20:30:00Z".parse().unwrap()), "British Summer Time");
        assert!(problems.is_empty());
    }

    #[test]
    fn each_unreadable_part_is_a_problem_against_the_first_input() {
        let cases = [
            (form(&[("gone-day", "31"), ("gone-month", "2"), ("gone-year", "2026"), ("gone-hour", "1"), ("gone-minute", "0")]), "must be a real date"),
            (form(&[("gone-day", "1"), ("gone-month", "2"), ("gone-year", "2026"), ("gone-hour", "25"), ("gone-minute", "0")]), "must be a real time"),
            (form(&[("gone-day", "1"), ("gone-month", "2"), ("gone-year", "2026")]), "Enter the time it"),
            (form(&[("gone-day", "x")]), "Enter the date it"),
            (form(&[("gone-day", "300"), ("gone-month", "2"), ("gone-year", "2026"), ("gone-hour", "1"), ("gone-minute", "0")]), "must be a real date"),
        ];
        for (values, expected) in cases {
            let mut problems = Vec::new();
            assert_eq!(Values(&values).date_time("gone", "it", &mut problems), None);
            assert_eq!(problems.len(), 1);
            assert_eq!(problems[0].field, "gone-day");
            assert!(problems[0].message.contains(expected), "{:?}", problems[0]);
        }
    }

    #[test]
    fn filling_a_date_and_time_reads_back_the_same_minute() {
        let at: Timestamp = "2026-12-04T18:05:00Z".parse().unwrap();
        let mut values = HashMap::new();
        fill_date_time(&mut values, "back", at);
        assert_eq!(Values(&values).date_time("back", "it", &mut Vec::new()), Some(at));
        assert_eq!(values["back-hour"], "18");
    }
}
