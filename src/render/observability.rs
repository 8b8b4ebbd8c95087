//! SLO alerts (a PrometheusRule per service and environment, in
//! `alerts/<env>/<service>.yaml`) and a Grafana dashboard per service
//! (`dashboards/<service>.json`).
//!
//! Services are expected to expose a request counter with a `code` label and a
//! request duration histogram (names in paved.yaml `monitoring`); Prometheus scrapes
//! them through the generated ServiceMonitor, so `job` is the service and
//! `namespace` its team.

use serde_json::{Value as Json, json};

use crate::model::config::Config;
use crate::model::intent::LatencySlo;
use crate::model::names;
use crate::types::{self, Monitored};
use crate::validate::resolve::ServiceEntry;

use super::{Tree, Unit, layout};

/// Burn-rate alert windows from the SRE workbook (chapter 5): the share of the error
/// budget each pair spends, its long and short window, and how the alert is routed.
const BURN_WINDOWS: &[(f64, &str, &str, u32, &str)] = &[
    // budget share, long window, short window, long window hours, severity
    (0.02, "1h", "5m", 1, "page"),
    (0.05, "6h", "30m", 6, "page"),
    (0.10, "1d", "2h", 24, "ticket"),
    (0.10, "3d", "6h", 72, "ticket"),
];

const RATE_WINDOWS: &[&str] = &["5m", "30m", "1h", "2h", "6h", "1d", "3d"];

fn selector(namespace: &str, service: &str) -> String {
    format!("namespace=\"{namespace}\",job=\"{service}\"")
}

/// `800ms` → `0.8`, `2s` → `2`: the `le` label of the histogram bucket.
pub(super) fn threshold_seconds(threshold: &str) -> String {
    let (number, millis) = match threshold.strip_suffix("ms") {
        Some(ms) => (ms, true),
        None => (threshold.trim_end_matches('s'), false),
    };
    let value: f64 = number.parse().unwrap_or(0.0);
    let seconds = if millis { value / 1000.0 } else { value };
    let text = format!("{seconds}");
    text.trim_end_matches(".0").to_string()
}

fn window_days(window: &str) -> f64 {
    window.trim_end_matches('d').parse().unwrap_or(30.0)
}

/// A burn-rate factor with a readable number of decimals.
fn factor(share: f64, window_days: f64, hours: u32) -> String {
    let value = share * window_days * 24.0 / f64::from(hours);
    let rounded = (value * 1000.0).round() / 1000.0;
    format!("{rounded}")
}

struct Sli {
    /// `availability` or `latency`.
    name: &'static str,
    target: f64,
    window: String,
    /// PromQL of the error ratio over `$window`.
    error_ratio: String,
    describe: String,
}

fn slis(unit: &Unit<'_>) -> Vec<Sli> {
    let monitoring = &unit.config.monitoring;
    let sel = selector(unit.team(), unit.name());
    let requests = &monitoring.requests_metric;
    let duration = &monitoring.duration_metric;
    let mut slis = Vec::new();
    if let Some(slo) = &unit.spec.slos.availability {
        slis.push(Sli {
            name: "availability",
            target: slo.target,
            window: slo.window.clone(),
            error_ratio: format!(
                "sum(rate({requests}{{{sel},code=~\"5..\"}}[$window])) / sum(rate({requests}{{{sel}}}[$window]))"
            ),
            describe: format!("{}% of requests succeed", slo.target),
        });
    }
    if let Some(LatencySlo {
        threshold,
        target,
        window,
    }) = &unit.spec.slos.latency
    {
        let le = threshold_seconds(threshold);
        slis.push(Sli {
            name: "latency",
            target: *target,
            window: window.clone(),
            error_ratio: format!(
                "1 - (sum(rate({duration}_bucket{{{sel},le=\"{le}\"}}[$window])) / sum(rate({duration}_count{{{sel}}}[$window])))"
            ),
            describe: format!("{target}% of requests are faster than {threshold}"),
        });
    }
    slis
}

fn record_name(window: &str) -> String {
    format!("slo:sli_error:ratio_rate{window}")
}

pub(super) fn alerts(unit: &Unit<'_>, tree: &mut Tree) {
    if !unit.serves_traffic() {
        return;
    }
    let config = unit.config;
    let sel = selector(unit.team(), unit.name());
    let requests = &config.monitoring.requests_metric;
    let duration = &config.monitoring.duration_metric;
    let service_labels = json!({ "service": unit.name(), "environment": unit.env.name });
    let mut groups = vec![json!({
        "name": format!("{}.requests", unit.name()),
        "interval": "30s",
        "rules": [
            {
                "record": "service:http_requests:rate5m",
                "expr": format!("sum by (code) (rate({requests}{{{sel}}}[5m]))"),
                "labels": service_labels,
            },
            {
                "record": "service:http_request_duration_seconds:p99_5m",
                "expr": format!("histogram_quantile(0.99, sum by (le) (rate({duration}_bucket{{{sel}}}[5m])))"),
                "labels": service_labels,
            },
        ],
    })];
    let metadata = &unit.entry.service.metadata;
    let alerts_spec = &unit.spec.alerts;
    let receiver = alerts_spec
        .receiver
        .clone()
        .unwrap_or_else(|| metadata.owner.clone());
    let runbook = alerts_spec.runbook.clone().or_else(|| {
        metadata
            .links
            .iter()
            .find(|l| l.kind.as_deref() == Some("runbook"))
            .map(|l| l.url.clone())
    });
    for sli in slis(unit) {
        let labels =
            json!({ "service": unit.name(), "environment": unit.env.name, "slo": sli.name });
        let mut rules: Vec<Json> = RATE_WINDOWS
            .iter()
            .map(|window| {
                json!({
                    "record": record_name(window),
                    "expr": sli.error_ratio.replace("$window", window),
                    "labels": labels,
                })
            })
            .collect();
        let budget = ((100.0 - sli.target) / 100.0 * 1e6).round() / 1e6;
        let days = window_days(&sli.window);
        let series = |window: &str| {
            format!(
                "{}{{service=\"{}\",environment=\"{}\",slo=\"{}\"}}",
                record_name(window),
                unit.name(),
                unit.env.name,
                sli.name
            )
        };
        for (severity, pairs) in [("page", &BURN_WINDOWS[..2]), ("ticket", &BURN_WINDOWS[2..])] {
            let conditions: Vec<String> = pairs
                .iter()
                .map(|(share, long, short, hours, _)| {
                    let threshold = format!("({} * {budget})", factor(*share, days, *hours));
                    format!(
                        "({} > {threshold} and {} > {threshold})",
                        series(long),
                        series(short)
                    )
                })
                .collect();
            // Outside production nobody is woken up: every alert is a ticket.
            let routed = if unit.env.production {
                severity
            } else {
                "ticket"
            };
            let speed = if severity == "page" { "Fast" } else { "Slow" };
            let mut alert_labels = json!({
                "severity": routed,
                "team": metadata.owner,
                "service": unit.name(),
                "environment": unit.env.name,
                "slo": sli.name,
                "receiver": receiver,
            });
            if let Some(channel) = &alerts_spec.channel {
                alert_labels["channel"] = json!(channel);
            }
            let mut annotations = json!({
                "summary": format!("{} is burning its {} error budget too fast", unit.name(), sli.name),
                "description": format!(
                    "SLO: {} over {}. At this rate the error budget will be spent before the window ends.",
                    sli.describe, sli.window
                ),
            });
            if let Some(runbook) = &runbook {
                annotations["runbook_url"] = json!(runbook);
            }
            if let Some(url) = &config.grafana_url {
                annotations["dashboard_url"] =
                    json!(format!("{url}/d/{}", dashboard_uid(unit.name())));
            }
            rules.push(json!({
                "alert": format!("{}{}BudgetBurn{speed}", names::camel(unit.name()), names::camel(sli.name)),
                "expr": conditions.join(" or "),
                "for": if severity == "page" { "2m" } else { "15m" },
                "labels": alert_labels,
                "annotations": annotations,
            }));
        }
        groups.push(json!({
            "name": format!("{}.slo.{}", unit.name(), sli.name),
            "rules": rules,
        }));
    }
    let mut labels = unit.labels();
    for (key, value) in &config.monitoring.rule_labels {
        labels[key] = json!(value);
    }
    let rule = json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": { "name": unit.name(), "namespace": unit.team(), "labels": labels },
        "spec": { "groups": groups },
    });
    tree.yaml(layout::alerts(&unit.env.name, unit.name()), &rule);
}

/// A dashboard's stable uid (Grafana allows 40 characters).
pub(super) fn dashboard_uid(service: &str) -> String {
    names::bounded(&["paved", service], 40)
}

struct Layout {
    next_id: u32,
    y: u32,
    x: u32,
    panels: Vec<Json>,
}

impl Layout {
    fn row(&mut self, title: &str) {
        if self.x > 0 {
            self.y += 8;
            self.x = 0;
        }
        let id = self.id();
        self.panels.push(json!({
            "type": "row",
            "id": id,
            "title": title,
            "collapsed": false,
            "panels": [],
            "gridPos": { "h": 1, "w": 24, "x": 0, "y": self.y },
        }));
        self.y += 1;
    }

    fn id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    fn panel(&mut self, kind: &str, title: &str, unit: &str, targets: &[(&str, &str)]) {
        let id = self.id();
        let targets: Vec<Json> = targets
            .iter()
            .enumerate()
            .map(|(i, (expr, legend))| {
                json!({
                    "refId": char::from(b'A' + u8::try_from(i).unwrap_or(0)).to_string(),
                    "datasource": { "type": "prometheus", "uid": "${datasource}" },
                    "expr": expr,
                    "legendFormat": legend,
                })
            })
            .collect();
        let mut panel = json!({
            "type": kind,
            "id": id,
            "title": title,
            "datasource": { "type": "prometheus", "uid": "${datasource}" },
            "gridPos": { "h": 8, "w": 12, "x": self.x, "y": self.y },
            "targets": targets,
            "fieldConfig": { "defaults": { "unit": unit }, "overrides": [] },
        });
        panel["options"] = if kind == "stat" {
            json!({
                "reduceOptions": { "calcs": ["lastNotNull"], "fields": "", "values": false },
                "colorMode": "value",
                "graphMode": "none",
                "textMode": "auto",
                "orientation": "auto",
                "justifyMode": "auto",
            })
        } else {
            json!({
                "legend": { "displayMode": "list", "placement": "bottom", "showLegend": true, "calcs": [] },
                "tooltip": { "mode": "multi", "sort": "none" },
            })
        };
        self.panels.push(panel);
        if self.x == 0 {
            self.x = 12;
        } else {
            self.x = 0;
            self.y += 8;
        }
    }
}

pub(super) fn dashboard(config: &Config, entry: &ServiceEntry, tree: &mut Tree) {
    let metadata = &entry.service.metadata;
    let spec = &entry.service.spec;
    let name = metadata.name.as_str();
    let sel = selector(&metadata.owner, name);
    let requests = &config.monitoring.requests_metric;
    let duration = &config.monitoring.duration_metric;
    let pods = format!(
        "namespace=\"{}\",pod=~\"{name}-.*\",container=\"{name}\"",
        metadata.owner
    );
    let mut layout = Layout {
        next_id: 0,
        y: 0,
        x: 0,
        panels: Vec::new(),
    };
    let serves = !spec.ports.is_empty() && spec.kind != crate::model::intent::ServiceType::Worker;
    if serves {
        layout.row("Requests");
        layout.panel(
            "timeseries",
            "Request rate",
            "reqps",
            &[(
                &format!("sum by (code) (rate({requests}{{{sel}}}[$__rate_interval]))"),
                "{{code}}",
            )],
        );
        layout.panel(
            "timeseries",
            "Error ratio",
            "percentunit",
            &[(
                &format!(
                    "sum(rate({requests}{{{sel},code=~\"5..\"}}[$__rate_interval])) / sum(rate({requests}{{{sel}}}[$__rate_interval]))"
                ),
                "5xx",
            )],
        );
        let quantile = |q: &str| {
            format!(
                "histogram_quantile({q}, sum by (le) (rate({duration}_bucket{{{sel}}}[$__rate_interval])))"
            )
        };
        let (p50, p90, p99) = (quantile("0.5"), quantile("0.9"), quantile("0.99"));
        layout.panel(
            "timeseries",
            "Latency",
            "s",
            &[(&p50, "p50"), (&p90, "p90"), (&p99, "p99")],
        );
    }
    layout.row("Saturation");
    layout.panel(
        "timeseries",
        "CPU",
        "short",
        &[(
            &format!(
                "sum by (pod) (rate(container_cpu_usage_seconds_total{{{pods}}}[$__rate_interval]))"
            ),
            "{{pod}}",
        )],
    );
    layout.panel(
        "timeseries",
        "Memory",
        "bytes",
        &[(
            &format!("sum by (pod) (container_memory_working_set_bytes{{{pods}}})"),
            "{{pod}}",
        )],
    );
    layout.panel(
        "timeseries",
        "Pods",
        "short",
        &[(
            &format!(
                "sum(kube_deployment_status_replicas_available{{namespace=\"{}\",deployment=\"{name}\"}})",
                metadata.owner
            ),
            "available",
        )],
    );
    let slos = [
        spec.slos
            .availability
            .as_ref()
            .map(|s| ("availability", s.target, s.window.clone())),
        spec.slos
            .latency
            .as_ref()
            .map(|s| ("latency", s.target, s.window.clone())),
    ];
    if serves && slos.iter().any(Option::is_some) {
        layout.row("SLOs and error budgets");
        for (slo, target, window) in slos.into_iter().flatten() {
            let budget = (100.0 - target) / 100.0;
            let series = format!(
                "slo:sli_error:ratio_rate3d{{service=\"{name}\",environment=~\"$environment\",slo=\"{slo}\"}}"
            );
            layout.panel(
                "stat",
                &format!("{} SLO ({target}% over {window})", capitalized(slo)),
                "percentunit",
                &[(&format!("1 - max({series})"), "SLI (3d)")],
            );
            layout.panel(
                "stat",
                &format!("{} error budget left", capitalized(slo)),
                "percentunit",
                &[(
                    &format!("1 - (max({series}) / {budget})"),
                    "budget left (3d)",
                )],
            );
        }
    }
    for (resource_name, resource) in spec.resources.iter() {
        let Some(kind) = types::find(&resource.kind) else {
            continue;
        };
        let panels = kind.dashboard(&Monitored {
            service: name,
            resource: resource_name,
            id: resource.id.as_deref(),
        });
        if panels.is_empty() {
            continue;
        }
        layout.row(&format!("{} ({})", resource_name, resource.kind));
        for panel in &panels {
            layout.panel(
                "timeseries",
                panel.title,
                panel.unit,
                &[(&panel.query, panel.title)],
            );
        }
    }
    let environments: Vec<Json> = config
        .environments
        .iter()
        .map(|e| json!({ "text": e.name, "value": e.name, "selected": false }))
        .collect();
    let first = config
        .environments
        .first()
        .map(|e| e.name.clone())
        .unwrap_or_default();
    let mut tags = vec![json!("paved"), json!(metadata.owner)];
    if let Some(system) = &metadata.system {
        tags.push(json!(system));
    }
    let dashboard = json!({
        "uid": dashboard_uid(name),
        "title": format!("{name} ({})", metadata.owner),
        "description": metadata.description.clone().unwrap_or_default(),
        "tags": tags,
        "timezone": "browser",
        "editable": false,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "time": { "from": "now-6h", "to": "now" },
        "refresh": "1m",
        "annotations": { "list": [] },
        "links": [],
        "templating": { "list": [
            {
                "type": "datasource",
                "name": "datasource",
                "label": "Prometheus",
                "query": "prometheus",
                "hide": 0,
                "refresh": 1,
                "regex": "",
                "includeAll": false,
                "multi": false,
                "options": [],
            },
            {
                "type": "custom",
                "name": "environment",
                "label": "Environment",
                "query": config.environments.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join(","),
                "current": { "text": first, "value": first, "selected": true },
                "options": environments,
                "hide": 0,
                "includeAll": false,
                "multi": false,
            },
        ] },
        "panels": layout.panels,
    });
    tree.json(layout::dashboard(name), &dashboard);
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_bucket_bounds() {
        assert_eq!(threshold_seconds("800ms"), "0.8");
        assert_eq!(threshold_seconds("300ms"), "0.3");
        assert_eq!(threshold_seconds("2s"), "2");
        assert_eq!(threshold_seconds("1500ms"), "1.5");
    }

    #[test]
    fn burn_factors_follow_the_workbook() {
        assert_eq!(factor(0.02, 30.0, 1), "14.4");
        assert_eq!(factor(0.05, 30.0, 6), "6");
        assert_eq!(factor(0.10, 30.0, 24), "3");
        assert_eq!(factor(0.10, 30.0, 72), "1");
        assert_eq!(factor(0.02, 28.0, 1), "13.44");
    }
}
