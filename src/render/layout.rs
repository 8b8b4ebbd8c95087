//! The output folder's layout: every path paved generates is made here, and read back
//! here ([`place`]: which environment, service, team or shared resource a generated
//! file belongs to). Paths are relative to the output folder and `/`-separated; each
//! top folder is what one downstream tool reads.

/// The Kubernetes folder of a service in an environment, in its team's namespace
/// folder: what Argo CD or Flux syncs.
pub(crate) fn service_kubernetes(env: &str, team: &str, service: &str) -> String {
    format!("kubernetes/{env}/{team}/{service}")
}

/// A team's Namespace in an environment.
pub(crate) fn namespace(env: &str, team: &str) -> String {
    format!("kubernetes/{env}/{team}/namespace.yaml")
}

/// The Argo CD Application of a service in an environment.
pub(crate) fn argocd_service(env: &str, service: &str) -> String {
    format!("argocd/{env}/{service}.yaml")
}

/// The Argo CD Application of a team's namespace in an environment.
pub(crate) fn argocd_namespace(env: &str, team: &str) -> String {
    format!("argocd/{env}/namespace-{team}.yaml")
}

/// The Terraform root module of a service in an environment.
pub(crate) fn terraform_service(env: &str, service: &str) -> String {
    format!("terraform/{env}/{service}")
}

/// The folder of shared resources' root modules in an environment; the `_` cannot
/// start a service name, so no service's module can take its place.
const SHARED: &str = "_shared";

/// The Terraform root module of a shared resource in an environment.
pub(crate) fn terraform_shared(env: &str, id: &str) -> String {
    format!("terraform/{env}/{SHARED}/{id}")
}

/// A shared resource's module as its state key names it, beside the services' modules.
pub(crate) fn terraform_shared_name(id: &str) -> String {
    format!("{SHARED}/{id}")
}

/// The PrometheusRule of a service's SLO alerts in an environment.
pub(crate) fn alerts(env: &str, service: &str) -> String {
    format!("alerts/{env}/{service}.yaml")
}

/// A service's Grafana dashboard, for every environment.
pub(crate) fn dashboard(service: &str) -> String {
    format!("dashboards/{service}.json")
}

/// The folder of Backstage catalog entities.
pub(crate) const CATALOG: &str = "catalog";

/// A catalog entity's path inside the catalog folder, as the catalog's Location lists
/// it: `components/<service>.yaml`, `resources/<id>.yaml`, `systems/<system>.yaml`,
/// `groups/<team>.yaml`, `users/<user>.yaml`.
pub(crate) fn catalog_entity(folder: CatalogFolder, name: &str) -> String {
    let folder = match folder {
        CatalogFolder::Components => "components",
        CatalogFolder::Resources => "resources",
        CatalogFolder::Systems => "systems",
        CatalogFolder::Groups => "groups",
        CatalogFolder::Users => "users",
    };
    format!("{folder}/{name}.yaml")
}

/// The folders of catalog entities, by kind.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CatalogFolder {
    Components,
    Resources,
    Systems,
    Groups,
    Users,
}

/// A path of the catalog folder.
pub(crate) fn catalog(path: &str) -> String {
    format!("{CATALOG}/{path}")
}

pub(crate) const CODEOWNERS: &str = "CODEOWNERS";

/// The CODEOWNERS patterns of a service's generated files, under `out`, the output
/// folder.
pub(crate) fn codeowners_patterns(out: &str, team: &str, service: &str) -> [String; 6] {
    [
        format!("/{out}/kubernetes/*/{team}/{service}/"),
        format!("/{out}/terraform/*/{service}/"),
        format!("/{out}/alerts/*/{service}.yaml"),
        format!("/{out}/argocd/*/{service}.yaml"),
        format!("/{out}/dashboards/{service}.json"),
        format!("/{out}/{CATALOG}/components/{service}.yaml"),
    ]
}

/// What a generated path tells about what it belongs to.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Place<'a> {
    /// The environment folder it sits in; none for files of every environment.
    pub environment: Option<&'a str>,
    /// The service it was rendered for, a name to look up in the catalog. An Argo CD
    /// Application of a namespace reads as the service `namespace-<team>`, a name the
    /// catalog may not have.
    pub service: Option<&'a str>,
    /// The team it was rendered for: a namespace, its Application, its Group entity.
    pub team: Option<&'a str>,
    /// The shared resource whose root module it belongs to.
    pub shared: Option<&'a str>,
}

/// Where a generated path belongs, from the layout above.
pub(crate) fn place(path: &str) -> Place<'_> {
    let parts: Vec<&str> = path.split('/').collect();
    let environment = match parts.as_slice() {
        ["kubernetes" | "terraform" | "alerts" | "argocd", env, _, ..] => Some(*env),
        _ => None,
    };
    let service = match parts.as_slice() {
        ["kubernetes", _, _, service, _, ..] | ["terraform", _, service, _] => Some(*service),
        ["alerts" | "argocd", _env, file] => file.strip_suffix(".yaml"),
        ["dashboards", file] => file.strip_suffix(".json"),
        [CATALOG, "components", file] => file.strip_suffix(".yaml"),
        _ => None,
    };
    let team = match parts.as_slice() {
        ["kubernetes", _, team, "namespace.yaml"] => Some(*team),
        ["argocd", _, file] => file
            .strip_prefix("namespace-")
            .and_then(|f| f.strip_suffix(".yaml")),
        [CATALOG, "groups", file] => file.strip_suffix(".yaml"),
        _ => None,
    };
    let shared = match parts.as_slice() {
        ["terraform", _, SHARED, id, ..] => Some(*id),
        _ => None,
    };
    Place {
        environment,
        service,
        team,
        shared,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_paths_tell_their_service_and_environment() {
        for (path, owner) in [
            (
                "kubernetes/prod/shop/cart/deployment.yaml",
                (Some("cart"), Some("prod")),
            ),
            ("kubernetes/prod/namespace-shop.yaml", (None, Some("prod"))),
            ("terraform/dev/cart/db.tf", (Some("cart"), Some("dev"))),
            ("alerts/staging/cart.yaml", (Some("cart"), Some("staging"))),
            ("dashboards/cart.json", (Some("cart"), None)),
            ("catalog/components/cart.yaml", (Some("cart"), None)),
            ("catalog/groups/shop.yaml", (None, None)),
            ("CODEOWNERS", (None, None)),
        ] {
            let place = place(path);
            assert_eq!((place.service, place.environment), owner, "{path}");
        }
    }

    /// Every path the builders make reads back as what it was made for.
    #[test]
    fn built_paths_read_back() {
        let service = |path: &str| place(path).service.map(str::to_string);
        let dir = service_kubernetes("prod", "shop", "cart");
        assert_eq!(
            service(&format!("{dir}/deployment.yaml")).as_deref(),
            Some("cart")
        );
        assert_eq!(
            place(&format!("{dir}/deployment.yaml")).environment,
            Some("prod")
        );
        let module = terraform_service("dev", "cart");
        assert_eq!(
            service(&format!("{module}/main.tf")).as_deref(),
            Some("cart")
        );
        assert_eq!(service(&alerts("dev", "cart")).as_deref(), Some("cart"));
        assert_eq!(
            service(&argocd_service("dev", "cart")).as_deref(),
            Some("cart")
        );
        assert_eq!(service(&dashboard("cart")).as_deref(), Some("cart"));
        let component = catalog(&catalog_entity(CatalogFolder::Components, "cart"));
        assert_eq!(service(&component).as_deref(), Some("cart"));
        assert_eq!(place(&namespace("dev", "shop")).team, Some("shop"));
        assert_eq!(place(&namespace("dev", "shop")).service, None);
        assert_eq!(place(&argocd_namespace("dev", "shop")).team, Some("shop"));
        let group = catalog(&catalog_entity(CatalogFolder::Groups, "shop"));
        assert_eq!(place(&group).team, Some("shop"));
        let shared = terraform_shared("dev", "orders-db");
        assert_eq!(
            place(&format!("{shared}/main.tf")).shared,
            Some("orders-db")
        );
        assert_eq!(place(&format!("{shared}/main.tf")).service, None);
        assert_eq!(place(&format!("{shared}/main.tf")).environment, Some("dev"));
        assert_eq!(place(CODEOWNERS), Place::default());
    }
}
