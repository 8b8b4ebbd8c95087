//! `route`: an HTTP route from the ingress to the service, on a host and path of its
//! params; it becomes a rule of the service's Ingress.

use serde_json::{Map, Value as Json, json};

use super::{Instance, Output, Params, ResourceType, RouteParams, out};

pub(super) struct Route;

const PARAMS: (&str, &str) = (
    "routeParams",
    r##"{
  "description": "An HTTP route to the service.",
  "type": "object",
  "required": ["host"],
  "properties": {
    "host": {
      "description": "A fully qualified DNS host name, for example `shop.example.com`, or the host of a `dns` resource of the service, `${resources.<name>.host}`.",
      "type": "string",
      "maxLength": 253,
      "pattern": "^((\\*\\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}|\\$\\{resources\\.[^}]+\\})$"
    },
    "path": { "$ref": "common.schema.json#/$defs/httpPath" },
    "port": { "$ref": "#/$defs/portRef" }
  },
  "additionalProperties": false
}"##,
);

impl ResourceType for Route {
    fn name(&self) -> &'static str {
        "route"
    }

    fn description(&self) -> &'static str {
        "An HTTP route from the ingress to the service."
    }

    fn outputs(&self) -> &'static [Output] {
        const OUTPUTS: &[Output] = &[
            out("host", "The route's host."),
            out("path", "The route's path."),
            out("url", "The route's full URL."),
        ];
        OUTPUTS
    }

    fn params(&self) -> Params {
        Params::of(PARAMS).required()
    }

    fn in_cluster(&self) -> bool {
        true
    }

    fn rendered_output(&self, instance: &Instance<'_>, output: &str) -> Option<String> {
        let host = || instance.param_str("host", "");
        let path = || instance.param_str("path", "/");
        Some(match output {
            "host" => host(),
            "path" => path(),
            "url" => format!("https://{}{}", host(), path()),
            _ => return None,
        })
    }

    fn route(&self, instance: &Instance<'_>) -> Option<RouteParams> {
        Some(RouteParams {
            host: instance.param_str("host", ""),
            path: instance.param_str("path", "/"),
            port: instance
                .param("port")
                .and_then(|p| serde_json::from_value(p.clone()).ok()),
        })
    }

    /// Score's route names a port of `service.ports` by the number the Service offers;
    /// paved's takes the port's name, since the number paved knows a port by is the
    /// container's.
    fn score_params(&self, resource: &mut Json, ports: Option<&Map<String, Json>>) {
        let params = &mut resource["params"];
        let Some(number) = params.get("port").and_then(Json::as_u64) else {
            return;
        };
        let name = ports
            .into_iter()
            .flatten()
            .find(|(_, port)| port.get("port").and_then(Json::as_u64) == Some(number))
            .map(|(name, _)| name.clone());
        if let Some(name) = name {
            params["port"] = json!(name);
        }
    }
}
