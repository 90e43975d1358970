//! Numbers as looptop prints them, in panes, warnings and the summary alike:
//! short, fixed-width-friendly, unit-bearing.

use crate::workload::Unit;

/// 850µs, 1ms, 9.5ms, 12ms, 1.50s.
pub fn micros(us: f64) -> String {
    if us <= 0.0 {
        "0".to_string()
    } else if us < 1_000.0 {
        format!("{us:.0}µs")
    } else if us < 10_000.0 {
        format!("{:.1}ms", us / 1_000.0).replace(".0ms", "ms")
    } else if us < 1_000_000.0 {
        format!("{:.0}ms", us / 1_000.0)
    } else {
        format!("{:.2}s", us / 1_000_000.0)
    }
}

/// A figure known only as a histogram bucket's upper bound (within 25%):
/// "~8.2ms". Zero is exact.
pub fn bucket(us: f64) -> String {
    if us <= 0.0 {
        micros(us)
    } else {
        format!("~{}", micros(us))
    }
}

/// 950, 12.3k, 4.50M.
pub fn count(n: f64) -> String {
    if n < 1_000.0 {
        format!("{n:.0}")
    } else if n < 1_000_000.0 {
        format!("{:.1}k", n / 1_000.0)
    } else {
        format!("{:.2}M", n / 1_000_000.0)
    }
}

pub fn rate(per_second: f64) -> String {
    format!("{}/s", count(per_second))
}

/// 312 B, 2.0 MiB, 19.5 GiB: memory sizes in binary units.
pub fn bytes(n: u64) -> String {
    let n = n as f64;
    let k = 1024.0;
    if n < k {
        format!("{n:.0} B")
    } else if n < k * k {
        format!("{:.1} KiB", n / k)
    } else if n < k * k * k {
        format!("{:.1} MiB", n / (k * k))
    } else {
        format!("{:.1} GiB", n / (k * k * k))
    }
}

pub fn percent(ratio: f64) -> String {
    format!("{:.0}%", ratio * 100.0)
}

/// How far back in time: 0.8s, 12.5s, 3m05s.
pub fn behind(seconds: f64) -> String {
    if seconds < 60.0 {
        format!("{seconds:.1}s")
    } else {
        let s = seconds as u64;
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

/// h:mm:ss
pub fn uptime(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

pub fn knob_value(value: u64, unit: Unit) -> String {
    match unit {
        Unit::Count => value.to_string(),
        Unit::Micros if value == 0 => "0 (off)".to_string(),
        Unit::Micros => micros(value as f64),
        Unit::Percent => format!("{value}%"),
        Unit::Choice(names) => names.get(value as usize).unwrap_or(&"?").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_pick_a_readable_unit() {
        assert_eq!(micros(0.0), "0");
        assert_eq!(micros(850.0), "850µs");
        assert_eq!(micros(8_000.0), "8ms");
        assert_eq!(micros(9_500.0), "9.5ms");
        assert_eq!(micros(12_400.0), "12ms");
        assert_eq!(micros(1_500_000.0), "1.50s");
        assert_eq!(bucket(8_192.0), "~8.2ms");
        assert_eq!(bucket(0.0), "0");
    }

    #[test]
    fn counts_and_rates_abbreviate() {
        assert_eq!(count(950.0), "950");
        assert_eq!(count(12_345.0), "12.3k");
        assert_eq!(rate(4_500_000.0), "4.50M/s");
        assert_eq!(percent(0.786), "79%");
        assert_eq!(uptime(3723.9), "1:02:03");
        assert_eq!(knob_value(0, Unit::Micros), "0 (off)");
        assert_eq!(knob_value(200, Unit::Micros), "200µs");
        assert_eq!(knob_value(64, Unit::Count), "64");
    }
}
