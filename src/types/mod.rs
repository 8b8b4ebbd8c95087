//! The built-in resource types and the outputs each one gives to placeholders.

/// One output of a resource, read as `${resources.<name>.<output>}`.
#[derive(Debug)]
pub struct Output {
    pub name: &'static str,
    /// Secret outputs are delivered from the secret store, never written in clear.
    pub secret: bool,
    /// Known when paved renders (a name paved chooses, a port), so other resources'
    /// params may read it; the others exist only once the cloud has created the resource.
    pub rendered: bool,
    pub description: &'static str,
}

#[derive(Debug)]
pub struct ResourceType {
    pub name: &'static str,
    pub description: &'static str,
    pub outputs: &'static [Output],
    /// The classes (sizes) a resource of this type may ask for, and what each is.
    pub classes: &'static [Class],
}

/// A variant of a resource type, e.g. a database instance size.
#[derive(Debug)]
pub struct Class {
    pub name: &'static str,
    /// The cloud's name for it, e.g. an instance type.
    pub cloud: &'static str,
}

const DATABASE_CLASSES: &[Class] = &[
    Class {
        name: "small",
        cloud: "db.t4g.small",
    },
    Class {
        name: "medium",
        cloud: "db.t4g.medium",
    },
    Class {
        name: "large",
        cloud: "db.r6g.large",
    },
    Class {
        name: "xlarge",
        cloud: "db.r6g.xlarge",
    },
];

const CACHE_CLASSES: &[Class] = &[
    Class {
        name: "small",
        cloud: "cache.t4g.small",
    },
    Class {
        name: "medium",
        cloud: "cache.t4g.medium",
    },
    Class {
        name: "large",
        cloud: "cache.r6g.large",
    },
    Class {
        name: "xlarge",
        cloud: "cache.r6g.xlarge",
    },
];

/// DocumentDB instance classes: it has no smaller class than db.t4g.medium.
const DOCUMENT_CLASSES: &[Class] = &[
    Class {
        name: "small",
        cloud: "db.t4g.medium",
    },
    Class {
        name: "medium",
        cloud: "db.r6g.large",
    },
    Class {
        name: "large",
        cloud: "db.r6g.xlarge",
    },
    Class {
        name: "xlarge",
        cloud: "db.r6g.2xlarge",
    },
];

/// SQL Server runs on no Graviton class. `small` is for SQL Server Express, which
/// only runs outside production and without a standby; where it cannot, the
/// provisioner runs Standard Edition on db.t3.xlarge, the smallest class it accepts.
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

/// Amazon MQ broker instance types; mq.t3.micro runs a single broker only.
const BROKER_CLASSES: &[Class] = &[
    Class {
        name: "small",
        cloud: "mq.t3.micro",
    },
    Class {
        name: "medium",
        cloud: "mq.m5.large",
    },
    Class {
        name: "large",
        cloud: "mq.m5.xlarge",
    },
    Class {
        name: "xlarge",
        cloud: "mq.m5.2xlarge",
    },
];

const fn out(name: &'static str, description: &'static str) -> Output {
    Output {
        name,
        secret: false,
        rendered: true,
        description,
    }
}

/// Not secret, but known only once the cloud has created the resource (an endpoint).
const fn cloud(name: &'static str, description: &'static str) -> Output {
    Output {
        name,
        secret: false,
        rendered: false,
        description,
    }
}

const fn secret(name: &'static str, description: &'static str) -> Output {
    Output {
        name,
        secret: true,
        rendered: false,
        description,
    }
}

const SQL_OUTPUTS: &[Output] = &[
    cloud("host", "The database endpoint's host name."),
    out("port", "The port the database listens on."),
    out("name", "The database name."),
    out("database", "The database name (same as `name`)."),
    out("username", "The service's database user."),
    secret("password", "The user's password."),
];

pub const BUILT_IN: &[ResourceType] = &[
    ResourceType {
        name: "postgres",
        description: "A PostgreSQL database on a managed instance.",
        outputs: SQL_OUTPUTS,
        classes: DATABASE_CLASSES,
    },
    ResourceType {
        name: "mysql",
        description: "A MySQL database on a managed instance.",
        outputs: SQL_OUTPUTS,
        classes: DATABASE_CLASSES,
    },
    ResourceType {
        name: "mongodb",
        description: "A MongoDB-compatible document database cluster (Amazon DocumentDB). It takes TLS connections only: clients trust the Amazon RDS certificate authorities.",
        outputs: &[
            cloud("host", "The cluster endpoint's host name."),
            out("port", "The port the cluster listens on (TLS)."),
            out("username", "The cluster's user."),
            secret("password", "The user's password."),
            secret(
                "connection",
                "A connection string, `mongodb://username:password@host:port/?tls=true&...`.",
            ),
        ],
        classes: DOCUMENT_CLASSES,
    },
    ResourceType {
        name: "mssql",
        description: "A Microsoft SQL Server on a managed instance. It takes encrypted connections only: clients trust the Amazon RDS certificate authorities.",
        outputs: &[
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
        ],
        classes: SQL_SERVER_CLASSES,
    },
    ResourceType {
        name: "amqp",
        description: "A RabbitMQ message broker (Amazon MQ), reached over AMQPS.",
        outputs: &[
            cloud("host", "The broker's host name."),
            out("port", "The AMQPS (TLS) port."),
            out("vhost", "The virtual host, `/`."),
            out("username", "The broker's user."),
            secret(
                "password",
                "The user's password; Amazon MQ takes no write-only password, so it is kept in the Terraform state, which the backend encrypts.",
            ),
        ],
        classes: BROKER_CLASSES,
    },
    ResourceType {
        name: "redis",
        description: "A managed Redis-compatible cache.",
        outputs: &[
            cloud("host", "The primary endpoint's host name."),
            out("port", "The port Redis listens on (TLS)."),
            out(
                "username",
                "The service's Redis user; it authenticates with IAM, so there is no password.",
            ),
        ],
        classes: CACHE_CLASSES,
    },
    ResourceType {
        name: "bucket",
        description: "An object storage bucket, private and encrypted.",
        outputs: &[
            out("bucket", "The bucket's name."),
            out("name", "The bucket's name (same as `bucket`)."),
            out("region", "The bucket's region."),
            out("endpoint", "The regional endpoint URL."),
            out("arn", "The bucket's ARN."),
        ],
        classes: &[],
    },
    ResourceType {
        name: "queue",
        description: "A message queue with a dead-letter queue.",
        outputs: &[
            out("url", "The queue URL clients send to."),
            out("name", "The queue's name."),
            out("arn", "The queue's ARN."),
            out("dlq_url", "The dead-letter queue's URL."),
        ],
        classes: &[],
    },
    ResourceType {
        name: "kafka-topic",
        description: "A topic on the platform's Kafka cluster.",
        outputs: &[
            out("name", "The topic's name."),
            out("host", "A bootstrap broker's host name."),
            out("port", "The brokers' TLS port."),
            out(
                "bootstrap_servers",
                "The bootstrap servers, `host:port,...`.",
            ),
            out("num_partitions", "The number of partitions."),
        ],
        classes: &[],
    },
    ResourceType {
        name: "dns",
        description: "A DNS name in the environment's zone.",
        outputs: &[out("host", "The fully qualified host name.")],
        classes: &[],
    },
    ResourceType {
        name: "route",
        description: "An HTTP route from the ingress to the service.",
        outputs: &[
            out("host", "The route's host."),
            out("path", "The route's path."),
            out("url", "The route's full URL."),
        ],
        classes: &[],
    },
    ResourceType {
        name: "service-port",
        description: "A port of another service, reached inside the cluster (`params.workload`, `params.port`: its name or number); the service depends on it.",
        outputs: &[
            out("hostname", "The other service's DNS name in the cluster."),
            out("port", "The port its Kubernetes Service offers."),
        ],
        classes: &[],
    },
    ResourceType {
        name: "volume",
        description: "Scratch space in each pod (an `emptyDir`), mounted where `spec.volumes` (or a sidecar's `volumes`) says; it lives and dies with the pod.",
        outputs: &[],
        classes: &[],
    },
];

/// Types that live inside the cluster: nothing is created in the cloud for them.
pub fn in_cluster(name: &str) -> bool {
    matches!(name, "route" | "service-port" | "volume")
}

pub fn find(name: &str) -> Option<&'static ResourceType> {
    BUILT_IN.iter().find(|t| t.name == name)
}

impl ResourceType {
    pub fn output(&self, name: &str) -> Option<&'static Output> {
        self.outputs.iter().find(|o| o.name == name)
    }

    pub fn class(&self, name: &str) -> Option<&'static Class> {
        self.classes.iter().find(|c| c.name == name)
    }
}

/// A resource type as a repository sees it: built in, or defined by the platform
/// (which may replace a built-in one).
#[derive(Clone, Copy)]
pub enum TypeRef<'a> {
    BuiltIn(&'static ResourceType),
    Custom(&'a crate::load::platform::Provisioner),
}

impl<'a> TypeRef<'a> {
    pub fn name(&self) -> &'a str {
        match self {
            TypeRef::BuiltIn(t) => t.name,
            TypeRef::Custom(p) => &p.name,
        }
    }

    pub fn output_names(&self) -> Vec<&'a str> {
        match self {
            TypeRef::BuiltIn(t) => t.outputs.iter().map(|o| o.name).collect(),
            TypeRef::Custom(p) => p.outputs.keys().map(String::as_str).collect(),
        }
    }

    /// Whether an output is known when paved renders, so a param may read it.
    pub fn rendered_output(&self, name: &str) -> bool {
        match self {
            TypeRef::BuiltIn(t) => t.output(name).is_some_and(|o| o.rendered),
            TypeRef::Custom(p) => p
                .outputs
                .get(name)
                .is_some_and(|o| o.value.is_some() && !o.secret),
        }
    }

    pub fn output_is_secret(&self, name: &str) -> bool {
        match self {
            TypeRef::BuiltIn(t) => t.output(name).is_some_and(|o| o.secret),
            TypeRef::Custom(p) => p.outputs.get(name).is_some_and(|o| o.secret),
        }
    }

    pub fn has_output(&self, name: &str) -> bool {
        match self {
            TypeRef::BuiltIn(t) => t.output(name).is_some(),
            TypeRef::Custom(p) => p.outputs.contains_key(name),
        }
    }

    pub fn class_names(&self) -> Vec<&'a str> {
        match self {
            TypeRef::BuiltIn(t) => t.classes.iter().map(|c| c.name).collect(),
            TypeRef::Custom(p) => p.classes.iter().map(String::as_str).collect(),
        }
    }

    pub fn has_class(&self, name: &str) -> bool {
        self.class_names().contains(&name)
    }
}

/// The resource types of a repository: the platform's provisioners first, then the
/// built-in ones.
#[derive(Clone, Copy)]
pub struct Registry<'a> {
    platform: &'a crate::load::platform::Platform,
}

impl<'a> Registry<'a> {
    pub fn new(platform: &'a crate::load::platform::Platform) -> Self {
        Self { platform }
    }

    pub fn find(&self, name: &str) -> Option<TypeRef<'a>> {
        match self.platform.provisioners.get(name) {
            Some(provisioner) => Some(TypeRef::Custom(provisioner)),
            None => find(name).map(TypeRef::BuiltIn),
        }
    }

    pub fn names(&self) -> Vec<&'a str> {
        let mut names: Vec<&str> = BUILT_IN.iter().map(|t| t.name).collect();
        names.extend(self.platform.provisioners.keys().map(String::as_str));
        names.sort_unstable();
        names.dedup();
        names
    }
}
