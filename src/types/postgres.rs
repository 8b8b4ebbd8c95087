//! `postgres`: a PostgreSQL database on an RDS instance of its own.

use super::rds::{self, DATABASE_CLASSES, Engine, SQL_OUTPUTS, SQL_PARAMS};
use super::{Class, Instance, Monitored, Output, Panel, Params, Provisioned, ResourceType};

pub(super) struct Postgres;

const PORT: u16 = 5432;

const PARAMS: (&str, &str) = (
    "postgresParams",
    r##"{
  "description": "A PostgreSQL database.",
  "allOf": [{ "$ref": "#/$defs/sqlParams" }],
  "properties": {
    "version": { "description": "The major version.", "enum": ["14", "15", "16", "17"], "default": "16" },
    "extensions": { "description": "Extensions to enable.", "type": "array", "uniqueItems": true, "items": { "type": "string", "pattern": "^[a-z][a-z0-9_]*$" } },
    "database": true, "storageGb": true, "highAvailability": true, "backupRetentionDays": true
  },
  "additionalProperties": false
}"##,
);

impl ResourceType for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn description(&self) -> &'static str {
        "A PostgreSQL database on a managed instance."
    }

    fn outputs(&self) -> &'static [Output] {
        SQL_OUTPUTS
    }

    fn classes(&self) -> &'static [Class] {
        DATABASE_CLASSES
    }

    fn params(&self) -> Params {
        Params::of(PARAMS).building_on(&[SQL_PARAMS])
    }

    /// A paved `postgres` is an instance of its own with a database on it, so it gives
    /// what score-k8s's `postgres-instance` gives (host, port, username, password).
    fn score_names(&self) -> &'static [&'static str] {
        &["postgres-instance"]
    }

    fn rendered_output(&self, instance: &Instance<'_>, output: &str) -> Option<String> {
        rds::sql_output(instance, PORT, output)
    }

    fn terraform(&self, instance: &Instance<'_>) -> Provisioned {
        let version = instance.param_str("version", "16");
        rds::provision(
            instance,
            Engine {
                engine: "postgres",
                what: "PostgreSQL",
                port: PORT,
                family: format!("postgres{version}"),
                version,
                class: rds::class(instance).map_or("db.t4g.small", |c| c.cloud),
                high_availability: rds::high_availability(instance),
                parameters: vec![
                    ("rds.force_ssl", "1"),
                    ("log_statement", "ddl"),
                    ("log_min_duration_statement", "1000"),
                ],
                apply_method: None,
                logs: vec!["postgresql", "upgrade"],
                sql_server: false,
                performance_insights: true,
                single_zone_reason: rds::SINGLE_ZONE,
                secret: rds::sql_secret(&instance.name),
            },
        )
    }

    fn dashboard(&self, resource: &Monitored<'_>) -> Vec<Panel> {
        rds::dashboard(resource)
    }

    fn catalog_type(&self) -> Option<&'static str> {
        Some("database")
    }

    fn scaffold_name(&self) -> &'static str {
        "db"
    }
}
