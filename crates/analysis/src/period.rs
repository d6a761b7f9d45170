//! Calendar helpers: the days a reporting period covers, and overlaps with measures.

use chrono::NaiveDate;
use embargo_trade::Period;

/// First and last day of a period (a year or a month).
pub fn bounds(p: Period) -> Option<(NaiveDate, NaiveDate)> {
    match p.month {
        None => Some((
            NaiveDate::from_ymd_opt(p.year, 1, 1)?,
            NaiveDate::from_ymd_opt(p.year, 12, 31)?,
        )),
        Some(m) => {
            let start = NaiveDate::from_ymd_opt(p.year, u32::from(m), 1)?;
            let next = if m == 12 {
                NaiveDate::from_ymd_opt(p.year + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(p.year, u32::from(m) + 1, 1)?
            };
            Some((start, next.pred_opt()?))
        }
    }
}

/// Days of `[a0, a1]` that fall in `[b0, b1]` (both inclusive).
pub fn overlap_days(a0: NaiveDate, a1: NaiveDate, b0: NaiveDate, b1: NaiveDate) -> i64 {
    let s = a0.max(b0);
    let e = a1.min(b1);
    if e < s {
        0
    } else {
        (e - s).num_days() + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_and_year_bounds() {
        let (s, e) = bounds(Period {
            year: 2016,
            month: Some(2),
        })
        .unwrap();
        assert_eq!(
            (s.to_string(), e.to_string()),
            ("2016-02-01".into(), "2016-02-29".into())
        );
        let (s, e) = bounds(Period::year(2017)).unwrap();
        assert_eq!(
            overlap_days(
                s,
                e,
                NaiveDate::from_ymd_opt(2017, 8, 5).unwrap(),
                NaiveDate::MAX
            ),
            149
        );
    }
}
