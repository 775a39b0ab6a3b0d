//! Which methods a path answers, read from the OpenAPI document (the one route table a
//! client sees): an undeclared method on a known path is 405 with `Allow`, not 404.

use std::sync::OnceLock;

use actix_web::dev::ResourceDef;

struct Known {
    def: ResourceDef,
    methods: Vec<&'static str>,
}

fn table() -> &'static [Known] {
    static TABLE: OnceLock<Vec<Known>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let doc = super::document();
        doc.paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods = Vec::new();
                for (name, op) in [
                    ("GET", &item.get),
                    ("POST", &item.post),
                    ("PUT", &item.put),
                    ("PATCH", &item.patch),
                    ("DELETE", &item.delete),
                ] {
                    if op.is_some() {
                        methods.push(name);
                    }
                }
                if methods.contains(&"GET") {
                    methods.insert(1, "HEAD");
                }
                Known {
                    def: ResourceDef::new(path.as_str()),
                    methods,
                }
            })
            .collect()
    })
}

/// The methods `path` answers (`None`: no such path).
pub fn allowed(path: &str) -> Option<String> {
    table()
        .iter()
        .find(|k| k.def.is_match(path))
        .map(|k| k.methods.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_paths_list_their_methods() {
        assert_eq!(
            allowed("/v1/children/abc").as_deref(),
            Some("GET, HEAD, PUT, DELETE")
        );
        assert_eq!(allowed("/v1/auth/login").as_deref(), Some("POST"));
        assert!(allowed("/v1/nothing-here").is_none());
    }
}
