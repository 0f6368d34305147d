//! Civil (proleptic Gregorian) dates: just what the time grid needs — ISO display,
//! day counts for pro-rata weights, and the last day of a period.

use std::fmt;

/// A calendar date. Construct with [`Date::new`], which checks the day exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u32,
    day: u32,
}

impl Date {
    /// `None` when the date does not exist (2026-02-30).
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    pub fn year(&self) -> i32 {
        self.year
    }
    pub fn month(&self) -> u32 {
        self.month
    }
    pub fn day(&self) -> u32 {
        self.day
    }

    /// Days since 1970-01-01 (H. Hinnant's `days_from_civil`).
    pub fn days(&self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Decimal year (MODEL.md §6.3): `year + (day_of_year - 1) / days_in_year`.
    pub fn decimal_year(&self) -> f64 {
        let jan1 = Date::new(self.year, 1, 1).map_or(0, |d| d.days());
        let next = Date::new(self.year + 1, 1, 1).map_or(365, |d| d.days());
        f64::from(self.year) + (self.days() - jan1) as f64 / (next - jan1) as f64
    }

    /// The first day of the month that is `months` months after January of `year`
    /// (`months` may exceed 11).
    pub fn month_start(year: i32, months: u32) -> Date {
        let y = year + (months / 12) as i32;
        Date {
            year: y,
            month: months % 12 + 1,
            day: 1,
        }
    }

    /// The last day of the month that is `months` months after January of `year`.
    pub fn month_end(year: i32, months: u32) -> Date {
        let y = year + (months / 12) as i32;
        let m = months % 12 + 1;
        Date {
            year: y,
            month: m,
            day: days_in_month(y, m),
        }
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_match_known_epochs() {
        assert_eq!(Date::new(1970, 1, 1).unwrap().days(), 0);
        assert_eq!(Date::new(2000, 3, 1).unwrap().days(), 11_017);
        // 2026-04-27 minus 2026-01-01: 31 + 28 + 31 + 26 days.
        let a = Date::new(2026, 1, 1).unwrap().days();
        assert_eq!(Date::new(2026, 4, 27).unwrap().days() - a, 116);
        // 2028 is a leap year: 366 days in it.
        let y28 = Date::new(2028, 1, 1).unwrap().days();
        assert_eq!(Date::new(2029, 1, 1).unwrap().days() - y28, 366);
    }

    #[test]
    fn invalid_dates_are_rejected() {
        assert!(Date::new(2026, 2, 29).is_none());
        assert!(Date::new(2028, 2, 29).is_some());
        assert!(Date::new(2026, 13, 1).is_none());
        assert!(Date::new(2026, 4, 31).is_none());
    }

    #[test]
    fn month_ends_and_display() {
        assert_eq!(Date::month_end(2026, 2).to_string(), "2026-03-31");
        assert_eq!(Date::month_end(2026, 13).to_string(), "2027-02-28");
        assert_eq!(Date::month_start(2026, 6).to_string(), "2026-07-01");
    }
}
