//! Every finding code paved can report, with what it means and how to fix it.
//!
//! The codes are part of paved's interface (CI filters, waivers and docs name them), so
//! they never change once released; `paved explain CODE` and `docs/codes.md` read this
//! table.

use crate::diag::finding::Severity;

macro_rules! codes {
    ($(
        $variant:ident = $name:literal, $severity:ident, $group:literal,
        summary: $summary:literal,
        explanation: $explanation:literal,
        fix: $fix:literal;
    )+) => {
        /// A stable finding code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($variant),+ }

        /// Every code, in documentation order.
        pub const ALL: &[CodeInfo] = &[$(CodeInfo {
            code: Code::$variant,
            name: $name,
            severity: Severity::$severity,
            group: $group,
            summary: $summary,
            explanation: $explanation,
            fix: $fix,
        }),+];

        impl Code {
            /// The code's kebab-case name.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name),+ }
            }
        }
    };
}

/// What a code means; the text behind `paved explain`.
#[derive(Debug)]
pub struct CodeInfo {
    pub code: Code,
    pub name: &'static str,
    pub severity: Severity,
    pub group: &'static str,
    pub summary: &'static str,
    pub explanation: &'static str,
    pub fix: &'static str,
}

impl Code {
    pub fn info(self) -> &'static CodeInfo {
        ALL.iter()
            .find(|info| info.code == self)
            .expect("every code has an entry in ALL")
    }

    pub fn severity(self) -> Severity {
        self.info().severity
    }

    pub fn from_name(name: &str) -> Option<Code> {
        ALL.iter()
            .find(|info| info.name == name)
            .map(|info| info.code)
    }
}

codes! {
    FileUnreadable = "file-unreadable", Error, "files",
        summary: "A file could not be read.",
        explanation: "paved found the file while walking the repository but the operating system refused to read it (permissions, a dangling link, a file removed during the run).",
        fix: "Make the file readable, or list it in `.pavedignore` if paved should not look at it.";
    FileTooLarge = "file-too-large", Error, "files",
        summary: "A file is over the size limit.",
        explanation: "Intent files are short. paved refuses files over `limits.maxFileBytes` (1 MiB by default) without reading them, so that a stray or hostile file cannot slow every pull request down: YAML files it looks at for intents (an error if the file mentions `paved.dev/`, a warning otherwise), the files of `platform/`, and paved.yaml itself (always within the default).",
        fix: "Split the file, list it in `.pavedignore` if it is not an intent, or raise `limits.maxFileBytes` in paved.yaml.";
    FileBinary = "file-binary", Error, "files",
        summary: "A file with a YAML extension holds binary data.",
        explanation: "The file contains NUL bytes, so it is not text. paved reads every `*.yaml` and `*.yml` file it finds to look for intents and refuses binary ones instead of guessing.",
        fix: "Rename the file, or list it in `.pavedignore`.";
    FileNotUtf8 = "file-not-utf8", Error, "files",
        summary: "A YAML file is not valid UTF-8.",
        explanation: "YAML files must be UTF-8. The finding points at the first byte that is not; the file was probably saved in a legacy encoding such as Latin-1 or UTF-16.",
        fix: "Save the file as UTF-8.";
    SymlinkOutsideRepo = "symlink-outside-repo", Error, "files",
        summary: "A YAML file is a symbolic link to somewhere outside the repository.",
        explanation: "paved reads intents only from inside the repository, so that a pull request cannot make it read (and echo) files elsewhere on the CI runner.",
        fix: "Replace the link with the file itself.";
    YamlSyntax = "yaml-syntax", Error, "yaml",
        summary: "The file is not valid YAML.",
        explanation: "The YAML parser stopped at this position. Common causes: a tab used for indentation (YAML allows only spaces), an unclosed quote or bracket, a `key: value: value` line, or a file cut short.",
        fix: "Fix the YAML at the position shown; indent with spaces and quote values that contain `: ` or start with a special character.";
    YamlDuplicateKey = "yaml-duplicate-key", Error, "yaml",
        summary: "The same key appears twice in one mapping.",
        explanation: "YAML 1.2 forbids duplicate keys. Many tools silently keep the last value, which hides mistakes; paved reports every duplicate and the place of the first one, and keeps the first value to check the rest of the file.",
        fix: "Remove one of the two entries, or merge them.";
    YamlComplexKey = "yaml-complex-key", Error, "yaml",
        summary: "A mapping key is itself a mapping or a sequence.",
        explanation: "Intent files are JSON-compatible: keys are plain strings. A `? [a, b]` style complex key cannot be expressed in the intent model.",
        fix: "Use a plain string as the key.";
    YamlAliasLimit = "yaml-alias-limit", Error, "yaml",
        summary: "YAML aliases expand to too many nodes.",
        explanation: "Anchors and aliases let a few lines expand into an exponential number of nodes (the billion-laughs attack). paved stops expanding past `limits.maxAliasNodes` nodes per file (10,000 by default).",
        fix: "Write the repeated content out, use fewer nested aliases, or raise `limits.maxAliasNodes` in paved.yaml.";
    YamlTooDeep = "yaml-too-deep", Error, "yaml",
        summary: "The YAML nests deeper than the limit.",
        explanation: "No intent needs more than a few levels of nesting; paved stops at `limits.maxDepth` (64 by default) to stay safe on hostile input.",
        fix: "Flatten the structure, or raise `limits.maxDepth` in paved.yaml.";
    YamlTooManyDocuments = "yaml-too-many-documents", Error, "yaml",
        summary: "The file holds more YAML documents than the limit.",
        explanation: "A file may hold several documents separated by `---`, up to `limits.maxDocuments` (1,000 by default).",
        fix: "Split the file, or raise `limits.maxDocuments` in paved.yaml.";
    YamlStringTooLong = "yaml-string-too-long", Error, "yaml",
        summary: "A YAML string is longer than the limit.",
        explanation: "No intent field needs a long text; paved stops reading a file at a key or value longer than `limits.maxStringBytes` (65,536 bytes by default), so that a pasted blob cannot slow down every check, template and policy that reads it. The value is not shown: it may be a secret.",
        fix: "Shorten the value (a long text belongs in a file the intent links to), or raise `limits.maxStringBytes` in paved.yaml.";
    UnknownKind = "unknown-kind", Error, "intents",
        summary: "A paved.dev document has a kind paved does not know.",
        explanation: "Documents with `apiVersion: paved.dev/v1` must be of kind `Service` or `Team`.",
        fix: "Set `kind` to `Service` or `Team` (the case matters).";
    UnknownApiVersion = "unknown-api-version", Error, "intents",
        summary: "A paved.dev document has an apiVersion this paved does not know.",
        explanation: "This version of paved reads `paved.dev/v1`.",
        fix: "Set `apiVersion: paved.dev/v1`, or upgrade paved if the file was written for a newer version.";
    MissingApiVersion = "missing-api-version", Error, "intents",
        summary: "A document looks like an intent but has no apiVersion.",
        explanation: "paved finds intents by `apiVersion` and `kind`. This document, in a file with other intents, has a `kind` of an intent but no `apiVersion`, so it would otherwise be ignored.",
        fix: "Add `apiVersion: paved.dev/v1` at the top of the document.";
    MissingField = "missing-field", Error, "schema",
        summary: "A required field is missing.",
        explanation: "The intent's JSON Schema requires this field. The finding points at the mapping that lacks it.",
        fix: "Add the field; `paved schema --out DIR` exports the schemas so an editor can complete it.";
    UnknownField = "unknown-field", Error, "schema",
        summary: "A field is not part of the intent schema.",
        explanation: "Unknown fields are errors so that typos (`replica` for `replicas`) never pass silently. Fields whose name starts with `x-` are extensions: paved keeps them and does not check them.",
        fix: "Fix the spelling (the finding suggests the closest field), remove the field, or prefix it with `x-` if it is an extension for your own tooling.";
    WrongType = "wrong-type", Error, "schema",
        summary: "A value has the wrong type.",
        explanation: "The schema expects another type here, for example a number where a string was given. In YAML, `8080` is a number and `\"8080\"` a string; `012345678901` is the number 12345678901.",
        fix: "Change the value to the expected type; quote values that must stay strings.";
    InvalidValue = "invalid-value", Error, "schema",
        summary: "A value is outside what the schema allows.",
        explanation: "The value has the right type but is not allowed: not one of the listed choices, out of range, too long or too short, or not in the expected format.",
        fix: "Use one of the values the message lists, or a value within the range it gives.";
    InvalidName = "invalid-name", Error, "schema",
        summary: "A name is not a valid DNS label.",
        explanation: "Names of services, teams, resources, systems and environments become Kubernetes object names, namespaces and file paths, so they must be DNS labels (RFC 1035): 1 to 63 characters, lowercase letters, digits and `-`, starting with a letter and ending with a letter or digit.",
        fix: "Rename using lowercase letters, digits and dashes, for example `payments-api`.";
    DuplicateName = "duplicate-name", Error, "references",
        summary: "Two intents of the same kind have the same name.",
        explanation: "Names are unique per kind across the whole repository: they name generated files, Kubernetes objects and catalog entities. The first declaration (in path order) is kept.",
        fix: "Rename one of the two intents, or delete the copy.";
    UnknownOwner = "unknown-owner", Error, "references",
        summary: "A service's owner is not a Team.",
        explanation: "`metadata.owner` must name a `Team` intent in the repository, so that every service has someone to page, review and ask.",
        fix: "Fix the team name (the finding suggests the closest one), or add the team with `kind: Team`.";
    UnknownParentTeam = "unknown-parent-team", Error, "references",
        summary: "A team's parent is not a Team.",
        explanation: "`metadata.parent` of a Team must name another Team intent.",
        fix: "Fix the parent's name, or remove `parent`.";
    UnknownDependency = "unknown-dependency", Error, "references",
        summary: "A service depends on a service that does not exist.",
        explanation: "Every entry of `spec.dependencies` must name a Service in the repository: dependencies open network policies and appear in the catalog.",
        fix: "Fix the service name, or remove the dependency.";
    DependencyCycle = "dependency-cycle", Error, "references",
        summary: "Services depend on each other in a cycle.",
        explanation: "Service dependencies must form a directed acyclic graph, so that there is an order in which services can start and be reasoned about. The message names the whole cycle.",
        fix: "Remove one of the dependencies in the cycle; services that call each other should go through a queue or an API owned by one side.";
    TeamCycle = "team-cycle", Error, "references",
        summary: "Teams are each other's parents in a cycle.",
        explanation: "`metadata.parent` builds the organisation's tree of teams (Backstage groups); a team cannot be its own ancestor. The message names the whole cycle.",
        fix: "Remove or change one `parent` in the cycle.";
    InvalidPlaceholder = "invalid-placeholder", Error, "references",
        summary: "A `${...}` placeholder is malformed.",
        explanation: "Placeholders look like `${resources.<name>.<output>}` or `${metadata.<key>}`. A `${` must be closed by `}` and hold a dotted path; write `$$` for a literal `$`.",
        fix: "Close the placeholder, or escape the dollar sign as `$$`.";
    UnknownPlaceholder = "unknown-placeholder", Error, "references",
        summary: "A placeholder refers to something that is not declared.",
        explanation: "`${resources.<name>.<output>}` must name a resource declared in the same service's `spec.resources` and an output its type provides; `${metadata.<key>}` must name a metadata field of the service.",
        fix: "Declare the resource, or use one of the outputs the message lists.";
    ParamOutputUnavailable = "param-output-unavailable", Error, "references",
        summary: "A resource param reads an output paved does not know when it renders.",
        explanation: "Resource params may read outputs of the service's other resources, `${resources.<name>.<output>}`, when paved knows them as it renders: names paved chooses, ports, a `dns` host. An endpoint the cloud assigns (a database host) exists only once the resource is created, and a secret (a password) never becomes a param: either would have to be written into the generated files.",
        fix: "Use an output the message lists, write the value itself, or pass the output to the container through `spec.env` instead.";
    ResourceCycle = "resource-cycle", Error, "references",
        summary: "Resources' params read each other's outputs in a cycle.",
        explanation: "A resource whose params read another resource's output is provisioned after it, so the resources of a service must form a directed acyclic graph. The message names the whole cycle.",
        fix: "Write one of the values in the cycle as a literal param.";
    SharedResourceConflict = "shared-resource-conflict", Error, "references",
        summary: "Services share a resource `id` but disagree on what it is.",
        explanation: "Resources with the same `id` are one resource shared by several services (one database, several users). Every declaration must agree on `type`, `class` and `params`, otherwise it is unclear which one is provisioned.",
        fix: "Make the declarations identical, or give them different ids.";
    UnknownEnvironment = "unknown-environment", Error, "references",
        summary: "An override names an environment that is not configured.",
        explanation: "Keys of `spec.environments` must be environments declared in paved.yaml (by default dev, staging and prod).",
        fix: "Fix the environment name, or declare the environment in paved.yaml.";
    UnknownResourceType = "unknown-resource-type", Error, "references",
        summary: "A resource has a type paved has no provisioner for.",
        explanation: "Built-in types: postgres, mysql, mongodb, mssql, amqp, redis, bucket, queue, kafka-topic, dns, route, service-port, volume.",
        fix: "Use one of the built-in types (the finding suggests the closest).";
    UnknownResource = "unknown-resource", Error, "references",
        summary: "An environment override names a resource the service does not declare.",
        explanation: "`spec.environments.<env>.resources` may only adjust resources declared in `spec.resources`.",
        fix: "Fix the resource name, or declare the resource in `spec.resources`.";
    UnknownResourceClass = "unknown-resource-class", Error, "references",
        summary: "A resource asks for a class its type does not offer.",
        explanation: "Classes are the sizes a provisioner offers: for postgres and mysql `small`, `medium`, `large` and `xlarge` (db.t4g.small to db.r6g.xlarge), for mongodb (db.t4g.medium to db.r6g.2xlarge), mssql (db.t3.small, SQL Server Express, to db.m5.2xlarge; `small` runs Standard Edition on db.t3.xlarge in production or with a standby), amqp (mq.t3.micro, a single broker, to mq.m5.2xlarge) and redis (cache.t4g.small to cache.r6g.xlarge) the same names. Other built-in types have no classes.",
        fix: "Use one of the classes the message lists, or remove `class` to get the environment's default.";
    MissingPlatformSetting = "missing-platform-setting", Error, "references",
        summary: "A resource needs a paved.yaml setting that is not there.",
        explanation: "Some resources need facts about the environment that only the platform knows: every cloud resource needs the environment's cloud account, `dns` needs the environment's `domain` and `ingressHostname`, `kafka-topic` needs `kafka.bootstrapServers`.",
        fix: "Add the setting the message names to paved.yaml.";
    UnknownSize = "unknown-size", Error, "references",
        summary: "A size is not one of the sizes configured in paved.yaml.",
        explanation: "Sizes are t-shirt sizes that the platform maps to CPU and memory in paved.yaml (`sizes`).",
        fix: "Use one of the configured sizes (the message lists them), or add the size to paved.yaml.";
    UnknownPort = "unknown-port", Error, "references",
        summary: "A probe, the exposure or a service-port names a port that is not declared.",
        explanation: "Ports are referred to by name or number; the name or number must appear in `spec.ports` (of the service a `service-port` resource names, for that resource).",
        fix: "Use a port from `spec.ports`, or declare the port.";
    DuplicatePort = "duplicate-port", Error, "references",
        summary: "Two ports have the same name or number.",
        explanation: "Port names and numbers are unique within a service: Kubernetes rejects duplicates.",
        fix: "Rename or renumber one of the ports.";
    UnknownVolume = "unknown-volume", Error, "references",
        summary: "A mount names something that is not a `volume` resource of the service.",
        explanation: "Each entry of `spec.volumes` (and of a sidecar's `volumes`) mounts a resource of type `volume` declared in the service's `spec.resources`, by its name. In a Score workload, a container volume's `source` is `${resources.<name>}` of a `volume` resource.",
        fix: "Fix the resource's name, or declare it: `<name>: {type: volume}` under `resources`.";
    VolumeMountConflict = "volume-mount-conflict", Error, "references",
        summary: "Two mounts of a container use the same path.",
        explanation: "A container can have one thing at each path: Kubernetes rejects a pod whose container mounts two volumes at the same path. A volume may not be mounted where a file of `spec.files` is, nor at `/tmp`, where paved mounts every container's scratch space.",
        fix: "Mount one of them at another path; `/tmp` is writable in every container already.";
    AutoscalingRange = "autoscaling-range", Error, "references",
        summary: "Autoscaling `min` is greater than `max`.",
        explanation: "The HorizontalPodAutoscaler needs `min <= max`, in the base spec and in every environment once overrides are applied.",
        fix: "Lower `min` or raise `max`.";
    PolicyViolation = "policy-violation", Error, "policy",
        summary: "A policy rule does not hold.",
        explanation: "Findings of policy rules carry the rule's own code (for example `prod-min-replicas`); `paved explain <rule>` describes each rule. Built-in rules live in paved's `policies/`, the organisation's in `platform/policies/`. Their severity is set in paved.yaml under `policies`.",
        fix: "Change the intent as the rule's help says, or take a waiver with a reason and an expiry date.";
    PolicyError = "policy-error", Error, "policy",
        summary: "A policy does not parse or fails while evaluating.",
        explanation: "Policies are Rego v1 (`import rego.v1`, `deny contains x if { ... }`). Each policy package declares `meta` with at least `code`; `meta.kinds`, when given, is a non-empty list of Kubernetes kinds or Terraform resource types, on a policy whose target is `kubernetes` or `terraform`. The finding points at the policy's line.",
        fix: "Fix the policy at the line shown; `paved policy test` runs its unit tests.";
    WaiverExpired = "waiver-expired", Error, "policy",
        summary: "A waiver's expiry date has passed.",
        explanation: "Waivers are exceptions with an end: after `expires`, the rule applies again and the stale waiver is itself an error, so exceptions do not outlive their reason.",
        fix: "Fix what the rule reports and remove the waiver, or renew it with a new date and reason.";
    WaiverUnknownRule = "waiver-unknown-rule", Error, "policy",
        summary: "A waiver names a rule that does not exist.",
        explanation: "The rule code may be misspelt, or the rule was removed.",
        fix: "Use a rule code from `paved explain --list`, or remove the waiver.";
    WaiverUnused = "waiver-unused", Warning, "policy",
        summary: "A waiver silences nothing.",
        explanation: "No finding of the waived rule exists for this service (in the waiver's environments): the exception is no longer needed.",
        fix: "Remove the waiver.";
    UnknownPolicyRule = "unknown-policy-rule", Warning, "policy",
        summary: "paved.yaml sets the severity of a rule that does not exist.",
        explanation: "Keys of `policies.rules` and `policies.environments.<env>` are rule codes.",
        fix: "Use a rule code from `paved explain --list`, or remove the setting.";
    TemplateError = "template-error", Error, "platform",
        summary: "A platform template failed to load or render.",
        explanation: "Templates in `platform/` are minijinja templates run in strict mode: a typo in a variable name is an error, not an empty string. The finding points at the template's line and names the service and environment it was rendered for.",
        fix: "Fix the template at the line shown; `paved explain` lists the variables templates receive in the README's extension guide.";
    PatchFailed = "patch-failed", Error, "platform",
        summary: "A platform patch could not be applied to a generated object.",
        explanation: "JSON patch operations fail when their path does not exist in the object (for `remove`, `replace`, `move`, `copy`) or a `test` does not hold. The finding names the object.",
        fix: "Narrow the patch's `target`, or fix the operation's path.";
    GeneratedFileEdited = "generated-file-edited", Error, "output",
        summary: "A generated file was edited by hand.",
        explanation: "paved records the hash of every file it writes. This one changed since, so rewriting or deleting it would lose the edit. Generated files are the output of the intents: a change made here is undone by the next render, or it silently drifts from what the intent says.",
        fix: "Move the change into the intent (or into a platform template or patch), then restore the file with `git checkout` or run `paved render --force` to overwrite it.";
    GeneratedPathTaken = "generated-path-taken", Error, "output",
        summary: "A file paved did not write is in the way.",
        explanation: "paved needs to write this path, but a file it never wrote is there. paved does not overwrite files it does not own.",
        fix: "Move or delete the file, or run `paved render --force` to let paved take it over.";
    OutputSymlink = "output-symlink", Error, "output",
        summary: "A symbolic link sits inside the output folder or on the way to it.",
        explanation: "paved never writes, renames or deletes through a symbolic link: a link could point anywhere on the machine that runs paved. That holds for the output folder itself, the folders between the repository root and it, paved's own `.paved/` folder and what it keeps there, and every folder and file below. A file the manifest lists behind a link is not deleted.",
        fix: "Replace the link with a real folder or file, or delete it.";
    OutputFileTooLarge = "output-file-too-large", Error, "output",
        summary: "A generated file is over the size limit.",
        explanation: "One generated file may hold at most `limits.maxOutputFileBytes` bytes (16 MiB by default). A platform template stops rendering as soon as its output passes the limit, so that a runaway loop cannot fill the disk or the memory of the machine that runs paved. Nothing is written.",
        fix: "Fix the template or input that makes the file so big, or raise `limits.maxOutputFileBytes` in paved.yaml.";
    OutputTooLarge = "output-too-large", Error, "output",
        summary: "One render generates more than the size limit.",
        explanation: "All the files of one render together may hold at most `limits.maxOutputBytes` bytes (4 GiB by default), so that input or templates that multiply files cannot fill the disk. Nothing is written.",
        fix: "Look for what multiplies the output (a template, an unusual number of environments or resources), or raise `limits.maxOutputBytes` in paved.yaml.";
    OutputPathUnsafe = "output-path-unsafe", Error, "output",
        summary: "A path paved would write or delete is not a path inside the output folder.",
        explanation: "paved writes, renames and deletes only plain relative paths inside the output folder: not empty, not absolute, without `..`, `.` or empty names, backslashes or control characters, and outside its own `.paved/` folder. Such a path came from the manifest (`.paved/manifest.json`, which lists the files paved owns and is only ever written by paved), or from a name, a platform template or a provisioner. Nothing is written or deleted for it, and the run writes nothing.",
        fix: "If the manifest lists it, remove the entry or restore the manifest from git (`git checkout -- <output>/.paved/manifest.json`); otherwise rename the template or intent that produced it.";
    ScoreNoOwner = "score-no-owner", Error, "score",
        summary: "A Score workload does not say which team owns it.",
        explanation: "Every service paved renders belongs to a team: its namespace, CODEOWNERS, catalog entity and alert routing come from it. Score has no owner field, so paved reads it from the workload's `paved.dev/owner` annotation, or from `defaults.owner` in paved.yaml.",
        fix: "Add `paved.dev/owner: <team>` under `metadata.annotations`, or set a default owner with `defaults: {owner: <team>}` in paved.yaml.";
    ScoreUnsupported = "score-unsupported", Warning, "score",
        summary: "A part of a Score workload that paved does not render.",
        explanation: "paved renders a workload's first container as the service's own (image, command, arguments, variables, files, volumes, probes, ports) and the others as sidecars (image, command, arguments, variables, volumes). What a Score workload says beyond that (start order, container resources, probe details, resource metadata, files read from a path, outputs read by sidecars or files) is left out of the generated files, and each omission is reported so that none goes unnoticed. docs/score.md lists what is supported.",
        fix: "Move what is left out to paved's own means (a platform template or patch, a size for CPU and memory), or remove it from the workload.";
    InternalError = "internal-error", Error, "internal",
        summary: "paved failed on valid-looking input.",
        explanation: "This is a bug in paved, not in your files. The run exits with code 3.",
        fix: "Report it with the input that triggers it.";
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_kebab_case_and_round_trip() {
        let mut seen = HashSet::new();
        for info in ALL {
            assert!(seen.insert(info.name), "duplicate code {}", info.name);
            assert!(
                info.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{} is not kebab-case",
                info.name
            );
            assert_eq!(Code::from_name(info.name), Some(info.code));
            assert_eq!(info.code.name(), info.name);
            assert!(info.summary.ends_with('.') && info.fix.ends_with('.'));
        }
    }
}
