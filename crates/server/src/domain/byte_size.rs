//! Byte sizes as people write them: `50GB`, `1.5TiB`, `512 MiB`, `1048576`.
//! Decimal units (kB, MB, GB, TB) are powers of 1000, binary ones (KiB, MiB, GiB, TiB)
//! powers of 1024, as on every disk label and in every tool that says which it means.

use crate::error::Error;

const UNITS: &[(&str, u64)] = &[
    ("b", 1),
    ("k", 1_000),
    ("kb", 1_000),
    ("kib", 1 << 10),
    ("m", 1_000_000),
    ("mb", 1_000_000),
    ("mib", 1 << 20),
    ("g", 1_000_000_000),
    ("gb", 1_000_000_000),
    ("gib", 1 << 30),
    ("t", 1_000_000_000_000),
    ("tb", 1_000_000_000_000),
    ("tib", 1 << 40),
    ("p", 1_000_000_000_000_000),
    ("pb", 1_000_000_000_000_000),
    ("pib", 1 << 50),
];

/// Parses a size with an optional unit (case-insensitive, space allowed).
pub fn parse_byte_size(text: &str) -> Result<u64, Error> {
    let bad = || Error::invalid("size", format!("{text:?} is not a size such as 1048576, 500MB, 50GB or 1.5TiB"));
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = (&t[..split], t[split..].trim().to_ascii_lowercase());
    let factor = if unit.is_empty() { 1 } else { UNITS.iter().find(|(u, _)| *u == unit).ok_or_else(bad)?.1 };
    if number.is_empty() {
        return Err(bad());
    }
    if let Ok(whole) = number.parse::<u64>() {
        return whole.checked_mul(factor).ok_or_else(bad);
    }
    let value: f64 = number.parse().map_err(|_| bad())?;
    let bytes = (value * factor as f64).round();
    if !bytes.is_finite() || bytes > u64::MAX as f64 { Err(bad()) } else { Ok(bytes as u64) }
}

/// A size for people: binary units with up to two decimals (`1.50 TiB`, `512 B`).
pub fn format_byte_size(bytes: u64) -> String {
    const NAMES: &[&str] = &["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < NAMES.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        return format!("{bytes} B");
    }
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} {}", NAMES[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimal_and_binary_units() {
        assert_eq!(parse_byte_size("50GB").unwrap(), 50_000_000_000);
        assert_eq!(parse_byte_size("1.5TiB").unwrap(), 3 << 39);
        assert_eq!(parse_byte_size("512 MiB").unwrap(), 512 << 20);
        assert_eq!(parse_byte_size("1048576").unwrap(), 1 << 20);
        assert_eq!(parse_byte_size("10g").unwrap(), 10_000_000_000);
        for bad in ["", "GB", "1.2.3GB", "5 parsecs", "-1GB", "99999999999PiB"] {
            assert!(parse_byte_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn formats_with_binary_units() {
        assert_eq!(format_byte_size(0), "0 B");
        assert_eq!(format_byte_size(1023), "1023 B");
        assert_eq!(format_byte_size(1536), "1.5 KiB");
        assert_eq!(format_byte_size(50 << 30), "50 GiB");
        assert_eq!(format_byte_size(3 << 39), "1.5 TiB");
    }
}
