//! `herald group list|describe|reset-offsets`.

use std::collections::BTreeMap;

use clap::{Args, Subcommand};
use herald_client::transport::topics::{self, OffsetQuery};

use super::{KafkaFlags, parse_time};

/// Flags of `herald group`.
#[derive(Debug, Args)]
pub(crate) struct GroupArgs {
    #[command(subcommand)]
    command: GroupCommand,
    #[command(flatten)]
    kafka: KafkaFlags,
}

#[derive(Debug, Subcommand)]
enum GroupCommand {
    /// List consumer groups.
    List,
    /// Show a group's state, members, committed offsets and lag.
    Describe {
        /// The group id.
        group: String,
    },
    /// Move a group's committed offsets on a topic (the group must have no active member).
    ResetOffsets {
        /// The group id.
        group: String,
        /// The topic whose partitions are moved.
        #[arg(long)]
        topic: String,
        /// earliest, latest, timestamp:<time> (RFC 3339 or a duration ago) or offset:<n>.
        #[arg(long, value_parser = parse_target)]
        to: Target,
        /// Show the new offsets without changing anything.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Where `reset-offsets` moves a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Query(OffsetQuery),
    Offset(i64),
}

fn parse_target(s: &str) -> Result<Target, String> {
    match s {
        "earliest" => Ok(Target::Query(OffsetQuery::Earliest)),
        "latest" => Ok(Target::Query(OffsetQuery::Latest)),
        _ => match s.split_once(':') {
            Some(("timestamp", t)) => {
                parse_time(t).map(|ms| Target::Query(OffsetQuery::Timestamp(ms)))
            }
            Some(("offset", n)) => n
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .map(Target::Offset)
                .ok_or_else(|| format!("`{n}` is not an offset")),
            _ => Err(format!(
                "`{s}`: expected earliest, latest, timestamp:<time> or offset:<n>"
            )),
        },
    }
}

pub(crate) async fn run(args: GroupArgs) -> anyhow::Result<u8> {
    let config = args.kafka.config();
    match args.command {
        GroupCommand::List => {
            for g in topics::list_groups(&config).await? {
                println!(
                    "{}  {}  {}",
                    g.id,
                    g.state.as_deref().unwrap_or("-"),
                    g.group_type.as_deref().unwrap_or("-")
                );
            }
        }
        GroupCommand::Describe { group } => {
            let d = topics::describe_group(&config, &group).await?;
            println!("group {} ({}, {} members)", d.id, d.state, d.members.len());
            for m in &d.members {
                let parts: Vec<String> = m
                    .assignment
                    .iter()
                    .map(|(t, p)| format!("{t}-{p}"))
                    .collect();
                println!(
                    "  member {} client {} host {}: {}",
                    m.member_id,
                    m.client_id,
                    m.host,
                    parts.join(", ")
                );
            }
            let mut ends: BTreeMap<String, BTreeMap<i32, i64>> = BTreeMap::new();
            println!(
                "  {:<30} {:>9} {:>12} {:>12} {:>8}",
                "TOPIC", "PARTITION", "COMMITTED", "END", "LAG"
            );
            for ((topic, partition), committed) in &d.offsets {
                if !ends.contains_key(topic) {
                    let e = topics::partition_offsets(&config, topic, OffsetQuery::Latest).await?;
                    ends.insert(topic.clone(), e);
                }
                let end = ends.get(topic).and_then(|e| e.get(partition)).copied();
                let lag = end
                    .map(|e| (e - committed).max(0).to_string())
                    .unwrap_or_else(|| "-".to_owned());
                let end = end.map(|e| e.to_string()).unwrap_or_else(|| "-".to_owned());
                println!("  {topic:<30} {partition:>9} {committed:>12} {end:>12} {lag:>8}");
            }
        }
        GroupCommand::ResetOffsets {
            group,
            topic,
            to,
            dry_run,
        } => {
            let partitions =
                topics::partition_offsets(&config, &topic, OffsetQuery::Latest).await?;
            let targets: BTreeMap<i32, i64> = match to {
                Target::Query(q) => topics::partition_offsets(&config, &topic, q).await?,
                Target::Offset(o) => {
                    // An offset past the end would make the group skip
                    // records written later; clamp it to each end.
                    partitions
                        .iter()
                        .map(|(p, end)| (*p, o.min(*end)))
                        .collect()
                }
            };
            let offsets: BTreeMap<(String, i32), i64> = targets
                .iter()
                .map(|(p, o)| ((topic.clone(), *p), *o))
                .collect();
            for ((t, p), o) in &offsets {
                println!(
                    "{}{group} {t}-{p} -> {o}",
                    if dry_run { "would move " } else { "moved " }
                );
            }
            if !dry_run {
                topics::alter_group_offsets(&config, &group, &offsets).await?;
            }
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            parse_target("earliest"),
            Ok(Target::Query(OffsetQuery::Earliest))
        );
        assert_eq!(parse_target("offset:12"), Ok(Target::Offset(12)));
        assert_eq!(
            parse_target("timestamp:1970-01-01T00:00:01Z"),
            Ok(Target::Query(OffsetQuery::Timestamp(1000)))
        );
        assert!(parse_target("offset:-1").is_err());
        assert!(parse_target("tomorrow").is_err());
    }
}
