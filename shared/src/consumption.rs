//! The consumption pages (§8.2.2) and their CSV export (§8.4.1): what is asked (scope, commodity,
//! period, date), what is answered (histograms, statistics), the CSV settings and the CSV text.
//!
//! Query parameters arrive as text in a URL; they are parsed and checked here once, so the browser
//! builds only URLs the server accepts and the server names the field at fault when one is wrong.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::quantity::{Commodity, Quantity};
use crate::units::Unit;
use crate::validation::FieldError;

/// Earliest and latest year a histogram may show: far beyond any real history, but keeps date
/// arithmetic and the store's keys in range.
pub const FIRST_YEAR: i32 = 1970;
pub const LAST_YEAR: i32 = 2200;

/// The span of a histogram and its bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum HistogramPeriod {
    /// A local day, per hour.
    Day,
    /// A month, per day.
    Month,
    /// A year, per month.
    Year,
    /// Ten years ending with the date's year, per year (advanced view only).
    Decade,
}

impl HistogramPeriod {
    /// Every period, shortest first.
    pub const ALL: [HistogramPeriod; 4] = [
        HistogramPeriod::Day,
        HistogramPeriod::Month,
        HistogramPeriod::Year,
        HistogramPeriod::Decade,
    ];

    /// The word used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            HistogramPeriod::Day => "day",
            HistogramPeriod::Month => "month",
            HistogramPeriod::Year => "year",
            HistogramPeriod::Decade => "decade",
        }
    }

    /// Reads the URL word.
    pub fn parse(text: &str) -> Result<HistogramPeriod, FieldError> {
        HistogramPeriod::ALL
            .into_iter()
            .find(|period| period.as_str() == text)
            .ok_or_else(|| {
                FieldError::new(
                    "period",
                    "error.period_invalid",
                    "The period must be day, month, year or decade.",
                )
            })
    }
}

/// A calendar date (no time zone: the installation's local calendar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CalendarDate {
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
    /// 1 to the month's length.
    pub day: u32,
}

/// Days in a month of the Gregorian calendar.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

fn date_error() -> FieldError {
    FieldError::new(
        "date",
        "error.date_invalid",
        "The date must be a real day written YYYY-MM-DD, between 1970 and 2200.",
    )
}

impl CalendarDate {
    /// A date, if it exists and is within [`FIRST_YEAR`]..=[`LAST_YEAR`].
    pub fn new(year: i32, month: u32, day: u32) -> Option<CalendarDate> {
        ((FIRST_YEAR..=LAST_YEAR).contains(&year)
            && (1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day))
        .then_some(CalendarDate { year, month, day })
    }

    /// Reads `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<CalendarDate, FieldError> {
        let mut parts = text.split('-');
        let (Some(year), Some(month), Some(day), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(date_error());
        };
        let digits = |part: &str, length: usize| {
            (part.len() == length && part.bytes().all(|byte| byte.is_ascii_digit()))
                .then(|| part.parse::<u32>().ok())
                .flatten()
        };
        match (digits(year, 4), digits(month, 2), digits(day, 2)) {
            (Some(year), Some(month), Some(day)) => {
                CalendarDate::new(year as i32, month, day).ok_or_else(date_error)
            }
            _ => Err(date_error()),
        }
    }

    /// The same day `months` months away, on the month's last day when it is shorter.
    fn add_months(self, months: i32) -> Option<CalendarDate> {
        let index = self.year * 12 + self.month as i32 - 1 + months;
        let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
        CalendarDate::new(year, month, self.day.min(days_in_month(year, month)))
    }

    fn add_days(self, days: i32) -> Option<CalendarDate> {
        let mut date = self;
        for _ in 0..days.unsigned_abs() {
            date = if days > 0 {
                if date.day < days_in_month(date.year, date.month) {
                    CalendarDate {
                        day: date.day + 1,
                        ..date
                    }
                } else if date.month < 12 {
                    CalendarDate::new(date.year, date.month + 1, 1)?
                } else {
                    CalendarDate::new(date.year + 1, 1, 1)?
                }
            } else if date.day > 1 {
                CalendarDate {
                    day: date.day - 1,
                    ..date
                }
            } else if date.month > 1 {
                CalendarDate::new(
                    date.year,
                    date.month - 1,
                    days_in_month(date.year, date.month - 1),
                )?
            } else {
                CalendarDate::new(date.year - 1, 12, 31)?
            };
        }
        Some(date)
    }

    /// The date `steps` periods away (−1: the previous day, month, year or ten years); `None`
    /// past the calendar's ends.
    pub fn step(self, period: HistogramPeriod, steps: i32) -> Option<CalendarDate> {
        match period {
            HistogramPeriod::Day => self.add_days(steps),
            HistogramPeriod::Month => self.add_months(steps),
            HistogramPeriod::Year => self.add_months(steps * 12),
            HistogramPeriod::Decade => self.add_months(steps * 120),
        }
    }
}

impl fmt::Display for CalendarDate {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{:04}-{:02}-{:02}",
            self.year, self.month, self.day
        )
    }
}

/// Which devices a histogram sums.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConsumptionScope {
    /// Every device of the commodity not excluded from totals (Grand total, Overall).
    Total,
    /// The devices of one load type, not excluded from totals (Partials).
    Load(String),
    /// The devices of one measure group, not excluded from totals (Partials).
    Group(u32),
    /// One device, excluded or not (Details, Compare).
    Device(u32),
}

fn scope_error() -> FieldError {
    FieldError::new(
        "scope",
        "error.scope_invalid",
        "The scope must be total, load/<id>, group/<id> or device/<id>.",
    )
}

impl ConsumptionScope {
    /// Reads `total`, `load/<id>`, `group/<id>` or `device/<id>`.
    pub fn parse(text: &str) -> Result<ConsumptionScope, FieldError> {
        if text == "total" {
            return Ok(ConsumptionScope::Total);
        }
        let (kind, id) = text.split_once('/').ok_or_else(scope_error)?;
        let number = || id.parse::<u32>().ok().filter(|id| *id > 0);
        match kind {
            "load"
                if !id.is_empty()
                    && id.len() <= 32
                    && id
                        .bytes()
                        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_') =>
            {
                Ok(ConsumptionScope::Load(id.to_owned()))
            }
            "group" => number()
                .map(ConsumptionScope::Group)
                .ok_or_else(scope_error),
            "device" => number()
                .map(ConsumptionScope::Device)
                .ok_or_else(scope_error),
            _ => Err(scope_error()),
        }
    }
}

impl fmt::Display for ConsumptionScope {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConsumptionScope::Total => formatter.write_str("total"),
            ConsumptionScope::Load(id) => write!(formatter, "load/{id}"),
            ConsumptionScope::Group(id) => write!(formatter, "group/{id}"),
            ConsumptionScope::Device(id) => write!(formatter, "device/{id}"),
        }
    }
}

/// Reads a commodity's URL word (`electricity`, `gas`, `water`, `heat`).
pub fn parse_commodity(text: &str) -> Result<Commodity, FieldError> {
    match text {
        "electricity" => Ok(Commodity::Electricity),
        "gas" => Ok(Commodity::Gas),
        "water" => Ok(Commodity::Water),
        "heat" => Ok(Commodity::Heat),
        _ => Err(FieldError::new(
            "commodity",
            "error.commodity_invalid",
            "The commodity must be electricity, gas, water or heat.",
        )),
    }
}

/// A commodity's URL word.
pub fn commodity_word(commodity: Commodity) -> &'static str {
    match commodity {
        Commodity::Electricity => "electricity",
        Commodity::Gas => "gas",
        Commodity::Water => "water",
        Commodity::Heat => "heat",
    }
}

/// A checked consumption request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumptionQuery {
    pub scope: ConsumptionScope,
    /// For a device scope, the device's own commodity wins.
    pub commodity: Commodity,
    pub period: HistogramPeriod,
    /// Any day inside the period; `None`: today.
    pub date: Option<CalendarDate>,
}

impl ConsumptionQuery {
    /// Reads the query-string parameters; a missing one takes its default (the grand total of
    /// electricity, per hour of today). The error names the parameter at fault.
    pub fn parse(
        scope: Option<&str>,
        commodity: Option<&str>,
        period: Option<&str>,
        date: Option<&str>,
    ) -> Result<ConsumptionQuery, FieldError> {
        Ok(ConsumptionQuery {
            scope: scope.map_or(Ok(ConsumptionScope::Total), ConsumptionScope::parse)?,
            commodity: commodity.map_or(Ok(Commodity::Electricity), parse_commodity)?,
            period: period.map_or(Ok(HistogramPeriod::Day), HistogramPeriod::parse)?,
            date: date.map(CalendarDate::parse).transpose()?,
        })
    }

    /// The query string of this request (what [`ConsumptionQuery::parse`] reads back).
    pub fn to_query_string(&self) -> String {
        let mut query = format!(
            "scope={}&commodity={}&period={}",
            self.scope,
            commodity_word(self.commodity),
            self.period.as_str()
        );
        if let Some(date) = self.date {
            query.push_str(&format!("&date={date}"));
        }
        query
    }
}

/// One bar of a histogram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HistogramBucket {
    /// Unix seconds of the bar's local start.
    pub start: i64,
    /// The local start, `YYYY-MM-DDTHH:MM` in the installation's time zone (for labels).
    pub local: String,
    /// Consumption in the unit's base (Wh, m³); `None` where nothing was recorded.
    pub value: Option<f64>,
}

/// The part of a grand total's bars one load type makes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LoadStack {
    /// Load type id (`heating`, `load_3` …).
    pub load: String,
    /// The user's name of a user-made load; empty for predefined ones (translated by the page).
    pub name: String,
    /// One value per bar of the current period.
    pub values: Vec<Option<f64>>,
}

/// `GET /api/consumption`: a histogram of the period asked and of the one before it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ConsumptionHistogram {
    /// `total`, `load/<id>`, `group/<id>` or `device/<id>`.
    pub scope: String,
    pub commodity: Commodity,
    pub period: HistogramPeriod,
    /// The date asked (today when none was), `YYYY-MM-DD`.
    pub date: String,
    /// The same date one period earlier.
    pub previous_date: String,
    /// The counter the consumption comes from.
    pub quantity: Quantity,
    /// Base unit of every value.
    pub unit: Unit,
    /// The devices summed.
    pub devices: Vec<u32>,
    pub buckets: Vec<HistogramBucket>,
    /// The previous period's bars (their count may differ: 23-hour days, short months).
    pub previous: Vec<HistogramBucket>,
    /// Sum of the bars; `None` when none has data.
    pub total: Option<f64>,
    pub previous_total: Option<f64>,
    /// For the grand total: the bars split by load type (loads with data only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stacks: Vec<LoadStack>,
}

/// Min, mean and max of a measured quantity over one bar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StatisticsBucket {
    /// Unix seconds of the bar's local start.
    pub start: i64,
    /// `YYYY-MM-DDTHH:MM`, local.
    pub local: String,
    pub min: Option<f64>,
    pub mean: Option<f64>,
    pub max: Option<f64>,
}

/// The statistics of one measured quantity over a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct QuantityStatistics {
    pub quantity: Quantity,
    pub unit: Unit,
    pub buckets: Vec<StatisticsBucket>,
    /// Over the whole period: the lowest minimum, the mean of the means, the highest maximum.
    pub min: Option<f64>,
    pub mean: Option<f64>,
    pub max: Option<f64>,
}

/// `GET /api/devices/{id}/statistics`: the measured quantities (gauges) of one device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeviceStatistics {
    pub device_id: u32,
    pub period: HistogramPeriod,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Quantities with at least one bar of data.
    pub quantities: Vec<QuantityStatistics>,
}

/// A device as the consumption pages offer it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ScopeDevice {
    pub id: u32,
    pub name: String,
    pub commodity: Commodity,
    /// Load type id.
    pub load_type: String,
    /// Left out of totals and partials, still shown in Details and Compare.
    pub exclude_from_totals: bool,
}

/// `GET /api/consumption/scopes`: what the consumption pages can show (any logged-in user may
/// read it, unlike the installation's configuration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ConsumptionScopes {
    /// Enabled load types.
    pub loads: Vec<crate::installation::LoadType>,
    /// Enabled measure groups.
    pub groups: Vec<crate::installation::MeasureGroup>,
    /// The devices that meter a commodity (an I/O module meters none and is not listed).
    pub devices: Vec<ScopeDevice>,
    /// The CSV separators the download uses.
    pub csv: CsvSettings,
}

/// The CSV files' separators (§8.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CsvSettings {
    /// Between fields: `;` (default), `,` or a tab.
    #[serde(default = "default_field_separator")]
    pub field_separator: char,
    /// In numbers: `,` (default) or `.`.
    #[serde(default = "default_decimal_separator")]
    pub decimal_separator: char,
}

/// The field separators offered.
pub const CSV_FIELD_SEPARATORS: [char; 3] = [';', ',', '\t'];
/// The decimal separators offered.
pub const CSV_DECIMAL_SEPARATORS: [char; 2] = [',', '.'];

fn default_field_separator() -> char {
    ';'
}

fn default_decimal_separator() -> char {
    ','
}

impl Default for CsvSettings {
    fn default() -> Self {
        CsvSettings {
            field_separator: default_field_separator(),
            decimal_separator: default_decimal_separator(),
        }
    }
}

/// Separators from the offered sets, and different (a comma in both would make numbers
/// unreadable).
pub fn validate_csv_settings(settings: &CsvSettings) -> Result<(), FieldError> {
    if !CSV_FIELD_SEPARATORS.contains(&settings.field_separator) {
        return Err(FieldError::new(
            "field_separator",
            "error.csv_field_separator",
            "The field separator must be a semicolon, a comma or a tab.",
        ));
    }
    if !CSV_DECIMAL_SEPARATORS.contains(&settings.decimal_separator) {
        return Err(FieldError::new(
            "decimal_separator",
            "error.csv_decimal_separator",
            "The decimal separator must be a comma or a point.",
        ));
    }
    if settings.field_separator == settings.decimal_separator {
        return Err(FieldError::new(
            "decimal_separator",
            "error.csv_same_separators",
            "The decimal separator must differ from the field separator.",
        ));
    }
    Ok(())
}

/// The unit a CSV column is written in, and the factor from the base unit: kWh for energy and
/// m³ for volumes, with three decimals, which keeps the store's resolution (1 Wh, 1 dm³) exactly.
pub fn csv_unit(unit: Unit) -> (&'static str, f64) {
    match unit {
        Unit::WattHour => ("kWh", 0.001),
        Unit::VarHour => ("kvarh", 0.001),
        other => (other.symbol(), 1.0),
    }
}

/// A number as a CSV field: three decimals, the configured decimal separator; empty when absent.
pub fn csv_number(value: Option<f64>, factor: f64, settings: &CsvSettings) -> String {
    match value {
        Some(value) => {
            let text = format!("{:.3}", value * factor);
            if settings.decimal_separator == '.' {
                text
            } else {
                text.replace('.', &settings.decimal_separator.to_string())
            }
        }
        None => String::new(),
    }
}

/// `datalogger.csv` of a histogram: a header line, then a line per bar with its local start and
/// the consumption (and, for a grand total, each load's part).
pub fn datalogger_csv(
    histogram: &ConsumptionHistogram,
    column_names: &[String],
    settings: &CsvSettings,
) -> String {
    let separator = settings.field_separator.to_string();
    let (symbol, factor) = csv_unit(histogram.unit);
    let quote = |text: &str| {
        if text.contains(settings.field_separator) || text.contains('"') || text.contains('\n') {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_owned()
        }
    };
    let mut header = vec!["time".to_owned(), format!("consumption ({symbol})")];
    for (index, stack) in histogram.stacks.iter().enumerate() {
        let name = column_names
            .get(index)
            .cloned()
            .unwrap_or(stack.load.clone());
        header.push(quote(&format!("{name} ({symbol})")));
    }
    let mut out = header.join(&separator);
    out.push_str("\r\n");
    for (index, bucket) in histogram.buckets.iter().enumerate() {
        let mut fields = vec![
            bucket.local.replace('T', " "),
            csv_number(bucket.value, factor, settings),
        ];
        for stack in &histogram.stacks {
            fields.push(csv_number(
                stack.values.get(index).copied().flatten(),
                factor,
                settings,
            ));
        }
        out.push_str(&fields.join(&separator));
        out.push_str("\r\n");
    }
    out
}

/// Every translation key the errors of this module carry.
pub const CONSUMPTION_ERROR_CODES: &[&str] = &[
    "error.period_invalid",
    "error.date_invalid",
    "error.scope_invalid",
    "error.commodity_invalid",
    "error.csv_field_separator",
    "error.csv_decimal_separator",
    "error.csv_same_separators",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> CalendarDate {
        CalendarDate::parse(text).unwrap()
    }

    #[test]
    fn dates_parse_only_real_days() {
        assert_eq!(
            date("2024-02-29"),
            CalendarDate {
                year: 2024,
                month: 2,
                day: 29
            }
        );
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-1-01",
            "24-01-01",
            "2024-01-01x",
            "1969-12-31",
            "",
            "2024-01-01-01",
            "+024-01-01",
        ] {
            assert_eq!(CalendarDate::parse(bad).unwrap_err().field, "date", "{bad}");
        }
        assert_eq!(date("2024-03-05").to_string(), "2024-03-05");
    }

    #[test]
    fn steps_cross_months_years_and_clamp_short_months() {
        use HistogramPeriod::*;
        assert_eq!(date("2024-03-01").step(Day, -1), Some(date("2024-02-29")));
        assert_eq!(date("2024-12-31").step(Day, 1), Some(date("2025-01-01")));
        assert_eq!(date("2024-01-01").step(Day, -1), Some(date("2023-12-31")));
        assert_eq!(date("2024-03-31").step(Month, -1), Some(date("2024-02-29")));
        assert_eq!(date("2024-01-15").step(Month, -1), Some(date("2023-12-15")));
        assert_eq!(date("2024-02-29").step(Year, -1), Some(date("2023-02-28")));
        assert_eq!(
            date("2024-06-10").step(Decade, -1),
            Some(date("2014-06-10"))
        );
        assert_eq!(date("1970-01-01").step(Day, -1), None);
    }

    #[test]
    fn scopes_round_trip_and_bad_ones_name_the_field() {
        for text in [
            "total",
            "load/heating",
            "load/load_3",
            "group/4",
            "device/12",
        ] {
            assert_eq!(ConsumptionScope::parse(text).unwrap().to_string(), text);
        }
        for bad in [
            "", "all", "device/", "device/x", "device/0", "group/-1", "load/", "load/a b", "room/1",
        ] {
            assert_eq!(
                ConsumptionScope::parse(bad).unwrap_err().field,
                "scope",
                "{bad}"
            );
        }
    }

    #[test]
    fn a_query_takes_defaults_and_names_the_bad_parameter() {
        let query = ConsumptionQuery::parse(None, None, None, None).unwrap();
        assert_eq!(query.scope, ConsumptionScope::Total);
        assert_eq!(query.commodity, Commodity::Electricity);
        assert_eq!(query.period, HistogramPeriod::Day);
        assert_eq!(query.date, None);
        let field = |scope, commodity, period, date| {
            ConsumptionQuery::parse(scope, commodity, period, date)
                .unwrap_err()
                .field
        };
        assert_eq!(field(Some("x"), None, None, None), "scope");
        assert_eq!(field(None, Some("oil"), None, None), "commodity");
        assert_eq!(field(None, None, Some("week"), None), "period");
        assert_eq!(field(None, None, None, Some("2024-02-30")), "date");
        let full = ConsumptionQuery::parse(
            Some("group/2"),
            Some("water"),
            Some("month"),
            Some("2025-04-09"),
        )
        .unwrap();
        assert_eq!(
            full.to_query_string(),
            "scope=group/2&commodity=water&period=month&date=2025-04-09"
        );
    }

    #[test]
    fn csv_settings_come_from_the_offered_sets_and_differ() {
        assert_eq!(validate_csv_settings(&CsvSettings::default()), Ok(()));
        let settings = |field_separator, decimal_separator| CsvSettings {
            field_separator,
            decimal_separator,
        };
        assert_eq!(validate_csv_settings(&settings(',', '.')), Ok(()));
        assert_eq!(validate_csv_settings(&settings('\t', ',')), Ok(()));
        assert_eq!(
            validate_csv_settings(&settings(',', ',')).unwrap_err().code,
            "error.csv_same_separators"
        );
        assert_eq!(
            validate_csv_settings(&settings('|', ','))
                .unwrap_err()
                .field,
            "field_separator"
        );
        assert_eq!(
            validate_csv_settings(&settings(';', ' '))
                .unwrap_err()
                .field,
            "decimal_separator"
        );
        let parsed: CsvSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(parsed, CsvSettings::default());
    }

    #[test]
    fn the_csv_uses_the_separators_and_leaves_empty_bars_empty() {
        let bucket = |hour: u32, value| HistogramBucket {
            start: 0,
            local: format!("2025-01-02T{hour:02}:00"),
            value,
        };
        let histogram = ConsumptionHistogram {
            scope: "total".into(),
            commodity: Commodity::Electricity,
            period: HistogramPeriod::Day,
            date: "2025-01-02".into(),
            previous_date: "2025-01-01".into(),
            quantity: Quantity::ActiveEnergyImport,
            unit: Unit::WattHour,
            devices: vec![1],
            buckets: vec![bucket(0, Some(1234.0)), bucket(1, None)],
            previous: Vec::new(),
            total: Some(1234.0),
            previous_total: None,
            stacks: vec![LoadStack {
                load: "heating".into(),
                name: String::new(),
                values: vec![Some(1000.0), None],
            }],
        };
        let csv = datalogger_csv(&histogram, &["Heating".into()], &CsvSettings::default());
        assert_eq!(
            csv,
            "time;consumption (kWh);Heating (kWh)\r\n2025-01-02 00:00;1,234;1,000\r\n2025-01-02 01:00;;\r\n"
        );
        let points = CsvSettings {
            field_separator: ',',
            decimal_separator: '.',
        };
        let csv = datalogger_csv(&histogram, &["Heat, main".into()], &points);
        assert!(csv.starts_with("time,consumption (kWh),\"Heat, main (kWh)\"\r\n"));
        assert!(csv.contains("2025-01-02 00:00,1.234,1.000\r\n"));
    }
}
