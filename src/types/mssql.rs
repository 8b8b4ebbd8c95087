//! `mssql`: a Microsoft SQL Server on an RDS instance of its own: Express on the small
//! class outside production, Standard Edition otherwise. It takes encrypted connections
//! only, and RDS gives SQL Server neither a database of its own nor IAM authentication.

use crate::syntax::hcl::Expr;

use super::aws::reference;
use super::rds::{self, Engine, USER};
use super::{
    Class, Instance, Monitored, Output, Panel, Params, Provisioned, ResourceType, cloud, out,
    secret,
};

pub(super) struct Mssql;

const PORT: u16 = 1433;

/// The database connections start in.
const DATABASE: &str = "master";

const SQL_SERVER_EXPRESS: &str = "sqlserver-ex";

const PARAMS: (&str, &str) = (
    "mssqlParams",
    r##"{
  "description": "A SQL Server instance. Connections start in the `master` database; the service creates its own databases.",
  "type": "object",
  "properties": {
    "version": { "description": "The major version: `15.00` is SQL Server 2019, `16.00` SQL Server 2022.", "enum": ["15.00", "16.00"], "default": "16.00" },
    "storageGb": { "description": "Allocated storage in GiB.", "type": "integer", "minimum": 20, "maximum": 16384, "default": 20 },
    "highAvailability": { "description": "A standby in another availability zone (Standard Edition). Defaults to true in production environments.", "type": "boolean" },
    "backupRetentionDays": { "description": "How long automated backups are kept. Defaults to 7 days, 14 in production.", "type": "integer", "minimum": 1, "maximum": 35 }
  },
  "additionalProperties": false
}"##,
);

/// SQL Server runs on no Graviton class. `small` is for SQL Server Express, which
/// only runs outside production and without a standby; where it cannot, Standard
/// Edition runs on db.t3.xlarge, the smallest class it accepts.
const SQL_SERVER_CLASSES: &[Class] = &[
    Class {
        name: "small",
        cloud: "db.t3.small",
    },
    Class {
        name: "medium",
        cloud: "db.m5.large",
    },
    Class {
        name: "large",
        cloud: "db.m5.xlarge",
    },
    Class {
        name: "xlarge",
        cloud: "db.m5.2xlarge",
    },
];

/// The SQL Server edition (its RDS engine) and instance class: Express on the small
/// class outside production without a standby, Standard Edition otherwise, on
/// db.t3.xlarge for the small class (the smallest class Standard Edition accepts).
fn sql_server_edition(
    class: Option<&Class>,
    production: bool,
    high_availability: bool,
) -> (&'static str, &'static str) {
    match class {
        Some(c) if c.name == "small" && !production && !high_availability => {
            (SQL_SERVER_EXPRESS, c.cloud)
        }
        Some(c) if c.name != "small" => ("sqlserver-se", c.cloud),
        _ => ("sqlserver-se", "db.t3.xlarge"),
    }
}

impl ResourceType for Mssql {
    fn name(&self) -> &'static str {
        "mssql"
    }

    fn description(&self) -> &'static str {
        "A Microsoft SQL Server on a managed instance. It takes encrypted connections only: clients trust the Amazon RDS certificate authorities."
    }

    fn outputs(&self) -> &'static [Output] {
        const OUTPUTS: &[Output] = &[
            cloud("server", "The instance endpoint's host name."),
            out("port", "The port SQL Server listens on."),
            out(
                "database",
                "`master`: RDS creates no database of its own on SQL Server; the service creates its databases.",
            ),
            out("username", "The instance's user."),
            secret("password", "The user's password."),
            secret(
                "connection",
                "A connection string, `Server=tcp:server,port;Initial Catalog=master;User ID=...;Password=...;Encrypt=True`.",
            ),
        ];
        OUTPUTS
    }

    fn classes(&self) -> &'static [Class] {
        SQL_SERVER_CLASSES
    }

    fn params(&self) -> Params {
        Params::of(PARAMS)
    }

    fn rendered_output(&self, _instance: &Instance<'_>, output: &str) -> Option<String> {
        match output {
            "port" => Some(PORT.to_string()),
            "database" => Some(String::from(DATABASE)),
            "username" => Some(String::from(USER)),
            _ => None,
        }
    }

    fn terraform(&self, instance: &Instance<'_>) -> Provisioned {
        let version = instance.param_str("version", "16.00");
        let high_availability = rds::high_availability(instance);
        let (engine, class) =
            sql_server_edition(rds::class(instance), instance.production, high_availability);
        let major = version.split('.').next().unwrap_or_default();
        let label = instance.name.as_str();
        let secret = Expr::object([
            ("server", reference("aws_db_instance", label, "address")),
            ("port", reference("aws_db_instance", label, "port")),
            ("database", Expr::str(DATABASE)),
            ("username", reference("aws_db_instance", label, "username")),
            (
                "password",
                reference("ephemeral.random_password", label, "result"),
            ),
            ("connection", rds::connection_template(label)),
        ]);
        let express = engine == SQL_SERVER_EXPRESS;
        rds::provision(
            instance,
            Engine {
                engine,
                what: "SQL Server",
                port: PORT,
                family: format!("{engine}-{major}.0"),
                version,
                class,
                high_availability,
                parameters: vec![("rds.force_ssl", "1")],
                apply_method: Some("pending-reboot"),
                // Express has no SQL Server Agent, so no agent log.
                logs: if express {
                    vec!["error"]
                } else {
                    vec!["agent", "error"]
                },
                sql_server: true,
                performance_insights: true,
                single_zone_reason: if express {
                    "SQL Server Express has no Multi-AZ; it runs outside production only"
                } else {
                    rds::SINGLE_ZONE
                },
                secret,
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

    use super::sql_server_edition;
    use crate::types::tests::{environment, hcl, instance};

    #[test]
    fn sql_server_runs_express_only_where_it_can() {
        let class = |name| crate::types::find("mssql").and_then(|t| t.class(name));
        // Outside production, without a standby, the small class is Express.
        assert_eq!(
            sql_server_edition(class("small"), false, false),
            ("sqlserver-ex", "db.t3.small")
        );
        // Express has no standby and is not for production: Standard Edition on its
        // smallest class instead.
        for (production, high_availability) in [(true, true), (true, false), (false, true)] {
            assert_eq!(
                sql_server_edition(class("small"), production, high_availability),
                ("sqlserver-se", "db.t3.xlarge")
            );
        }
        assert_eq!(
            sql_server_edition(class("large"), false, false),
            ("sqlserver-se", "db.m5.xlarge")
        );
    }

    #[test]
    fn sql_server_takes_no_database_name_nor_iam_authentication() {
        let dev = environment(false);
        let text = hcl(&instance("mssql", "ledger", None, json!({}), &dev));
        assert!(text.contains(r#"engine = "sqlserver-ex""#), "{text}");
        assert!(text.contains(r#"license_model"#), "{text}");
        assert!(text.contains(r#"family = "sqlserver-ex-16.0""#), "{text}");
        assert!(
            text.contains(r#"apply_method = "pending-reboot""#),
            "{text}"
        );
        assert!(!text.contains("db_name"), "{text}");
        assert!(
            !text.contains("iam_database_authentication_enabled"),
            "{text}"
        );
        assert!(
            text.contains(r#"enabled_cloudwatch_logs_exports = ["error"]"#),
            "{text}"
        );
        let prod = environment(true);
        let text = hcl(&instance("mssql", "ledger", None, json!({}), &prod));
        assert!(text.contains(r#""sqlserver-se""#), "{text}");
        assert!(text.contains(r#""db.m5.large""#), "{text}");
        assert!(text.contains("multi_az = true"), "{text}");
        assert!(text.contains(r#"["agent", "error"]"#), "{text}");
        let text = hcl(&instance(
            "mssql",
            "ledger",
            Some("small"),
            json!({}),
            &prod,
        ));
        assert!(text.contains(r#"engine = "sqlserver-se""#), "{text}");
        assert!(
            text.contains(r#"instance_class = "db.t3.xlarge""#),
            "{text}"
        );
    }
}
