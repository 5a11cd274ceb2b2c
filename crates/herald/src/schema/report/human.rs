//! The report for people: per subject OK / BROKEN, each finding with its
//! rule id, paths, explanation, fix hint and file:line. Colors go through
//! `anstream`, which drops them when the output is not a terminal.

use std::io::Write;

use anstyle::{AnsiColor, Style};
use herald_schema::{Direction, Severity};

use super::display_pointer;
use crate::schema::check::{CheckReport, Status, SubjectReport};

const RED: Style = AnsiColor::Red.on_default().bold();
const GREEN: Style = AnsiColor::Green.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default().bold();
const CYAN: Style = AnsiColor::Cyan.on_default();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();

/// Writes the report; styles are kept only when `color`.
pub(super) fn write(report: &CheckReport, out: &mut dyn Write, color: bool) -> std::io::Result<()> {
    let mut styled = Vec::new();
    write_styled(report, &mut styled)?;
    let text = String::from_utf8_lossy(&styled);
    if color {
        out.write_all(text.as_bytes())
    } else {
        write!(out, "{}", anstream::adapter::strip_str(&text))
    }
}

fn write_styled(report: &CheckReport, mut out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "{DIM}checking against {}{DIM:#}", report.against)?;
    for s in &report.subjects {
        subject(&mut out, s)?;
    }
    let broken = report.count(Status::Incompatible);
    let invalid = report.count(Status::Invalid);
    let ok = report.count(Status::Compatible) + report.count(Status::New);
    let (style, verdict) = if invalid > 0 {
        (RED, "error")
    } else if broken > 0 {
        (RED, "incompatible")
    } else {
        (GREEN, "ok")
    };
    writeln!(
        out,
        "\n{style}{verdict}{style:#}: {} subjects, {ok} ok, {broken} broken, {invalid} invalid",
        report.subjects.len()
    )
}

fn subject(out: &mut dyn Write, s: &SubjectReport) -> std::io::Result<()> {
    let (style, label) = match s.status {
        Status::Compatible => (GREEN, "OK    "),
        Status::New => (GREEN, "NEW   "),
        Status::Incompatible => (RED, "BROKEN"),
        Status::Invalid => (RED, "ERROR "),
    };
    let against = match (s.status, s.compared.as_slice()) {
        (Status::New, _) => "no version registered yet".to_owned(),
        (_, []) => String::new(),
        (_, [v]) => format!("against version {v}"),
        (_, vs) => format!(
            "against versions {}",
            vs.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
        ),
    };
    writeln!(
        out,
        "{style}{label}{style:#} {BOLD}{}{BOLD:#} {DIM}({}, {}{}{}){DIM:#}",
        s.subject,
        s.file.display(),
        s.level,
        if against.is_empty() { "" } else { ", " },
        against
    )?;
    if let Some(p) = &s.problem {
        writeln!(out, "       {RED}error{RED:#}: {}", p.message)?;
        let at = p
            .position
            .map(|pos| format!(":{}:{}", pos.line, pos.column))
            .unwrap_or_default();
        writeln!(out, "       {CYAN}--> {}{at}{CYAN:#}", p.file.display())?;
    }
    for f in &s.findings {
        let (style, severity) = match (f.ignored, f.finding.severity) {
            (true, _) => (DIM, "ignored"),
            (false, Severity::Error) => (RED, "error"),
            (false, Severity::Warning) => (YELLOW, "warning"),
        };
        let version = f
            .finding
            .version
            .map(|v| format!(", version {v}"))
            .unwrap_or_default();
        writeln!(
            out,
            "       {style}{severity}{style:#}[{}] at {} (old: {}) {DIM}{}{version}{DIM:#}",
            f.rule_id,
            display_pointer(&f.finding.new_path),
            display_pointer(&f.finding.old_path),
            match f.finding.direction {
                Direction::Backward => "new schema reading old data",
                Direction::Forward => "old schema reading new data",
            },
        )?;
        writeln!(out, "         {}", f.finding.message)?;
        writeln!(out, "         {CYAN}hint:{CYAN:#} {}", f.hint)?;
        writeln!(
            out,
            "         {CYAN}--> {}:{}:{}{CYAN:#}",
            s.file.display(),
            f.position.line,
            f.position.column
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Format, fixture};

    #[test]
    fn says_ok_or_broken_per_subject_with_hint_and_location_and_no_colors_off_a_terminal() {
        let text = fixture::render(Format::Human);
        assert!(text.contains("BROKEN orders-value"), "{text}");
        assert!(text.contains("OK     money"), "{text}");
        assert!(text.contains("ERROR  broken-value"), "{text}");
        assert!(
            text.contains("error[avro/READER_FIELD_MISSING_DEFAULT_VALUE] at /fields/1"),
            "{text}"
        );
        assert!(
            text.contains("hint: give the new field a default"),
            "{text}"
        );
        assert!(text.contains("--> schemas/orders-value.avsc:3:3"), "{text}");
        assert!(
            text.contains("error: 3 subjects, 1 ok, 1 broken, 1 invalid"),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'), "no escape codes into a pipe");
    }
}
