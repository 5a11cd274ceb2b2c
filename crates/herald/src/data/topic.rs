//! `herald topic create|list|describe|delete|alter`.

use clap::{Args, Subcommand};
use herald_client::transport::TopicSpec;
use herald_client::transport::topics;

use super::{KafkaFlags, parse_key_value, to_map};

/// Flags of `herald topic`.
#[derive(Debug, Args)]
pub(crate) struct TopicArgs {
    #[command(subcommand)]
    command: TopicCommand,
    #[command(flatten)]
    kafka: KafkaFlags,
}

#[derive(Debug, Subcommand)]
enum TopicCommand {
    /// Create a topic.
    Create {
        /// The topic.
        name: String,
        /// Number of partitions.
        #[arg(long, short, default_value_t = 1)]
        partitions: i32,
        /// Replication factor (-1: the broker's default).
        #[arg(long, short, default_value_t = -1, allow_negative_numbers = true)]
        replication_factor: i16,
        /// Topic config `key=value` (repeatable; e.g. cleanup.policy=compact).
        #[arg(long = "config", short, value_parser = parse_key_value)]
        configs: Vec<(String, String)>,
    },
    /// List topics.
    List {
        /// Include internal topics.
        #[arg(long)]
        internal: bool,
    },
    /// Show a topic's partitions and configs.
    Describe {
        /// The topic.
        name: String,
        /// Also show configs left at their defaults.
        #[arg(long)]
        all_configs: bool,
    },
    /// Delete a topic and its data.
    Delete {
        /// The topic.
        name: String,
    },
    /// Add partitions or change configs.
    Alter {
        /// The topic.
        name: String,
        /// Grow to this many partitions.
        #[arg(long, short)]
        partitions: Option<i32>,
        /// Set a config `key=value` (repeatable).
        #[arg(long = "config", short, value_parser = parse_key_value)]
        configs: Vec<(String, String)>,
        /// Reset a config to the broker default (repeatable).
        #[arg(long = "delete-config")]
        delete_configs: Vec<String>,
    },
}

pub(crate) async fn run(args: TopicArgs) -> anyhow::Result<u8> {
    let config = args.kafka.config();
    match args.command {
        TopicCommand::Create {
            name,
            partitions,
            replication_factor,
            configs,
        } => {
            let spec = TopicSpec {
                name: name.clone(),
                partitions,
                replication_factor,
                configs: to_map(&configs),
            };
            topics::create_topic(&config, &spec).await?;
            println!("created topic {name} ({partitions} partitions)");
        }
        TopicCommand::List { internal } => {
            for t in topics::list_topics(&config, internal).await? {
                println!("{}{}", t.name, if t.internal { " (internal)" } else { "" });
            }
        }
        TopicCommand::Describe { name, all_configs } => {
            let d = topics::describe_topic(&config, &name).await?;
            println!(
                "topic {}{}",
                d.name,
                if d.internal { " (internal)" } else { "" }
            );
            println!("partitions {}", d.partitions.len());
            for p in &d.partitions {
                println!(
                    "  partition {:>3}  leader {:<4} replicas {:?} isr {:?}",
                    p.partition,
                    p.leader
                        .map(|l| l.to_string())
                        .unwrap_or_else(|| "none".to_owned()),
                    p.replicas,
                    p.isr
                );
            }
            let shown: Vec<_> = d
                .configs
                .iter()
                .filter(|c| all_configs || !c.is_default)
                .collect();
            println!(
                "configs{}",
                if shown.is_empty() {
                    " (all defaults)"
                } else {
                    ""
                }
            );
            for c in shown {
                println!(
                    "  {} = {}",
                    c.name,
                    c.value.as_deref().unwrap_or("(hidden)")
                );
            }
        }
        TopicCommand::Delete { name } => {
            topics::delete_topic(&config, &name).await?;
            println!("deleted topic {name}");
        }
        TopicCommand::Alter {
            name,
            partitions,
            configs,
            delete_configs,
        } => {
            if partitions.is_none() && configs.is_empty() && delete_configs.is_empty() {
                anyhow::bail!("nothing to change: give --partitions, --config or --delete-config");
            }
            topics::alter_topic(
                &config,
                &name,
                partitions,
                &to_map(&configs),
                &delete_configs,
            )
            .await?;
            println!("altered topic {name}");
        }
    }
    Ok(0)
}
