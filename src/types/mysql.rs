//! `mysql`: a MySQL database on an RDS instance of its own.

use super::rds::{self, DATABASE_CLASSES, Engine, SQL_OUTPUTS, SQL_PARAMS};
use super::{Class, Instance, Monitored, Output, Panel, Params, Provisioned, ResourceType};

pub(super) struct Mysql;

const PORT: u16 = 3306;

const PARAMS: (&str, &str) = (
    "mysqlParams",
    r##"{
  "description": "A MySQL database.",
  "allOf": [{ "$ref": "#/$defs/sqlParams" }],
  "properties": {
    "version": { "description": "The version.", "enum": ["8.0", "8.4"], "default": "8.4" },
    "database": true, "storageGb": true, "highAvailability": true, "backupRetentionDays": true
  },
  "additionalProperties": false
}"##,
);

/// The classes on which RDS for MySQL offers no Performance Insights.
const NO_PERFORMANCE_INSIGHTS: &[&str] = &[
    "db.t2.micro",
    "db.t2.small",
    "db.t3.micro",
    "db.t3.small",
    "db.t4g.micro",
    "db.t4g.small",
];

impl ResourceType for Mysql {
    fn name(&self) -> &'static str {
        "mysql"
    }

    fn description(&self) -> &'static str {
        "A MySQL database on a managed instance."
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

    fn rendered_output(&self, instance: &Instance<'_>, output: &str) -> Option<String> {
        rds::sql_output(instance, PORT, output)
    }

    fn terraform(&self, instance: &Instance<'_>) -> Provisioned {
        let version = instance.param_str("version", "8.4");
        let class = rds::class(instance).map_or("db.t4g.small", |c| c.cloud);
        rds::provision(
            instance,
            Engine {
                engine: "mysql",
                what: "MySQL",
                port: PORT,
                family: format!("mysql{version}"),
                version,
                class,
                high_availability: rds::high_availability(instance),
                parameters: vec![
                    ("require_secure_transport", "1"),
                    ("slow_query_log", "1"),
                    ("long_query_time", "1"),
                ],
                apply_method: None,
                logs: vec!["error", "general", "slowquery"],
                sql_server: false,
                performance_insights: !NO_PERFORMANCE_INSIGHTS.contains(&class),
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::types::tests::{environment, hcl, instance};

    #[test]
    fn mysql_has_performance_insights_where_rds_offers_them() {
        let env = environment(false);
        let small = hcl(&instance("mysql", "db", None, json!({}), &env));
        assert!(
            small.contains("performance_insights_enabled = false"),
            "{small}"
        );
        assert!(small.contains("checkov:skip=CKV_AWS_353"), "{small}");
        assert!(
            !small.contains("performance_insights_kms_key_id"),
            "{small}"
        );
        assert!(small.contains(r#"value = "1""#), "{small}");
        let medium = hcl(&instance("mysql", "db", Some("medium"), json!({}), &env));
        assert!(
            medium.contains("performance_insights_enabled = true"),
            "{medium}"
        );
        let postgres = hcl(&instance("postgres", "db", None, json!({}), &env));
        assert!(
            postgres.contains("performance_insights_enabled = true"),
            "{postgres}"
        );
    }
}
