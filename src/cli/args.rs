//! Command-line interface.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// paved validates a monorepo's intent files and expands them into Kubernetes
/// manifests, Terraform, dashboards, SLO alerts and catalog entities.
#[derive(Debug, Parser)]
#[command(name = "paved", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// The monorepo to work on [default: the enclosing git repository, or the current folder]
    #[arg(long, global = true, value_name = "DIR")]
    pub repo: Option<PathBuf>,

    /// When to colour human output
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    pub color: Color,

    /// The date waivers expire against, YYYY-MM-DD [default: today, UTC]
    #[arg(long, global = true, value_name = "DATE", value_parser = parse_date)]
    pub today: Option<String>,

    /// Print how long each stage took (wall-clock and CPU time) to stderr
    #[arg(long, global = true)]
    pub timings: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate every intent: schemas, cross-references, placeholders
    Check {
        /// Output format: human goes to stderr, the others to stdout
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Check only the intents changed since this git revision and what depends on them
        #[arg(long, value_name = "REF")]
        changed_since: Option<String>,
    },
    /// Check, then expand every intent into the output folder
    Render {
        /// Write nothing; exit 1 with a diff when the output folder is not up to date
        #[arg(long)]
        check: bool,
        /// Overwrite generated files edited by hand and take over files in the way
        #[arg(long, conflicts_with = "check")]
        force: bool,
        /// Then commit exactly the changes of the output folder on the current branch
        /// (nothing when it did not change)
        #[arg(long, conflicts_with = "check")]
        commit: bool,
        /// The commit's author and committer, `Name <email>` [default: git's user, else paved]
        #[arg(long, value_name = "NAME <EMAIL>", requires = "commit", value_parser = parse_author)]
        author: Option<(String, String)>,
        /// The commit message [default: `[paved] render OUTPUT for COMMIT`]
        #[arg(long, value_name = "TEXT", requires = "commit")]
        message: Option<String>,
        /// Only this environment's files (files shared by all environments too)
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
        /// Render only the intents changed since this git revision and what depends on them
        #[arg(long, value_name = "REF")]
        changed_since: Option<String>,
        /// Format of the findings
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Compare the generated output of a git revision with the work tree's, for review
    Diff {
        /// The revision to compare with: a branch, tag or commit (`origin/main`)
        #[arg(long, value_name = "REF")]
        base: String,
        #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
        format: DiffFormat,
    },
    /// Make a folder a paved monorepo: paved.yaml, a team, an example service, CI
    /// workflows and editor schemas
    Init {
        /// The folder [default: --repo, else the current folder]
        dir: Option<PathBuf>,
        /// The first team, owner of the example service
        #[arg(long, default_value = "platform", value_name = "NAME")]
        team: String,
        /// The organisation: registry, CODEOWNERS handles, cluster and domain names
        /// [default: the folder's name]
        #[arg(long, value_name = "NAME")]
        org: Option<String>,
        /// Replace files that exist already
        #[arg(long)]
        force: bool,
    },
    /// Add a service or a team, from the platform's templates
    New {
        #[command(subcommand)]
        command: NewCommand,
    },
    /// Services, their resources and teams, and what depends on what
    Graph {
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
        /// Only this service, what it depends on and what depends on it
        #[arg(long, value_name = "SERVICE")]
        focus: Option<String>,
    },
    /// Who owns a service, a team, an intent, a generated file or a file in a service's
    /// folder, and how to reach them
    Owners {
        /// A service or team name, or a path
        target: String,
        #[arg(long, value_enum, default_value_t = OwnersFormat::Human)]
        format: OwnersFormat,
    },
    /// Policy rules: run their unit tests
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Explain a finding code or policy rule: what it means and how to fix it
    Explain {
        /// The code, for example `unknown-owner`
        #[arg(required_unless_present = "list")]
        code: Option<String>,
        /// List every code
        #[arg(long, conflicts_with = "code")]
        list: bool,
    },
    /// Print the paved intents equivalent to another tool's files
    Convert {
        #[command(subcommand)]
        command: ConvertCommand,
    },
    /// Export the JSON Schemas of intents and paved.yaml, for editors
    Schema {
        /// Print this schema to stdout (`service`, `team`, `config` or `common`)
        #[arg(conflicts_with = "out")]
        name: Option<String>,
        /// Write every schema into this folder
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum NewCommand {
    /// Write a new service's intent at services/NAME/service.yaml; on a terminal, asks for
    /// what is missing
    Service {
        /// The service's name (a DNS label)
        #[arg(long)]
        name: Option<String>,
        /// The team that owns it
        #[arg(long, value_name = "TEAM")]
        owner: Option<String>,
        /// web and api serve HTTP; a worker serves no traffic [default: api]
        #[arg(long = "type", value_name = "TYPE", value_parser = ["api", "web", "worker"])]
        kind: Option<String>,
        /// Resources it needs, by type: postgres, mysql, mssql, mongodb, redis, bucket, queue,
        /// amqp, kafka-topic, or a platform's own
        #[arg(long, value_name = "TYPE,...", value_delimiter = ',')]
        with: Vec<String>,
        /// Reachable from the internet, through the ingress
        #[arg(long)]
        public: bool,
        /// 1 (business-critical) to 4 (best effort) [default: 3]
        #[arg(long, value_name = "N")]
        tier: Option<u8>,
    },
    /// Write a new team's intent at teams/NAME.yaml
    Team {
        /// The team's name (a DNS label)
        #[arg(long)]
        name: Option<String>,
        /// The team it is part of
        #[arg(long, value_name = "TEAM")]
        parent: Option<String>,
        /// The team's email address
        #[arg(long)]
        email: Option<String>,
        /// How people call it [default: from the name]
        #[arg(long, value_name = "TEXT")]
        display_name: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConvertCommand {
    /// Print the Service intent each Score workload (score.dev/v1b1) of FILE becomes
    Score {
        /// The Score file, e.g. score.yaml
        file: PathBuf,
    },
}

/// Output formats of `paved check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Diagnostics with source snippets, on stderr.
    Human,
    /// One JSON document, on stdout.
    Json,
    /// SARIF 2.1.0 for code scanning, on stdout.
    Sarif,
    /// GitHub Actions workflow commands (annotations), on stdout.
    Github,
}

impl From<Format> for crate::report::Format {
    fn from(format: Format) -> Self {
        match format {
            Format::Human => Self::Human,
            Format::Json => Self::Json,
            Format::Sarif => Self::Sarif,
            Format::Github => Self::Github,
        }
    }
}

/// Output formats of `paved diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// A summary then the unified diffs, for a terminal.
    Human,
    /// A pull-request comment: summary table, then one collapsible diff per service.
    Markdown,
    /// One JSON document.
    Json,
}

impl From<DiffFormat> for crate::review::diff::DiffFormat {
    fn from(format: DiffFormat) -> Self {
        match format {
            DiffFormat::Human => Self::Human,
            DiffFormat::Markdown => Self::Markdown,
            DiffFormat::Json => Self::Json,
        }
    }
}

/// Output formats of `paved graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid flowchart, for Markdown (GitHub renders it)
    Mermaid,
    /// Graphviz
    Dot,
    /// Nodes and edges
    Json,
}

impl From<GraphFormat> for crate::commands::graph::GraphFormat {
    fn from(format: GraphFormat) -> Self {
        match format {
            GraphFormat::Mermaid => Self::Mermaid,
            GraphFormat::Dot => Self::Dot,
            GraphFormat::Json => Self::Json,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OwnersFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run the `test_*` rules of the repository's `platform/policies/*_test.rego`
    Test {
        /// Also run the tests of paved's built-in policies
        #[arg(long)]
        builtin: bool,
    },
}

fn parse_author(text: &str) -> Result<(String, String), String> {
    let (name, rest) = text
        .split_once('<')
        .ok_or_else(|| String::from("expected `Name <email>`"))?;
    let email = rest
        .strip_suffix('>')
        .ok_or_else(|| String::from("expected `Name <email>`"))?;
    let name = name.trim();
    if name.is_empty()
        || email.is_empty()
        || email.contains(['<', '>', '\n'])
        || name.contains('\n')
    {
        return Err(String::from("expected `Name <email>`"));
    }
    Ok((name.to_string(), email.to_string()))
}

fn parse_date(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if shaped {
        Ok(text.to_string())
    } else {
        Err(String::from("expected a date like 2026-01-31"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}
