//! The `/contexts/{ctx}/…` path prefix: any route may be called within a
//! context. As Confluent's context filter does, the prefix is folded into
//! the subject (`/contexts/.prod/subjects/orders` is `/subjects/:.prod:orders`)
//! before routing; routes without a subject see the context as a
//! [`ContextScope`] extension.

use axum::Router;
use axum::extract::Request;
use axum::http::Uri;
use tower::ServiceExt;

use crate::subject::{DEFAULT_CONTEXT, normalize_context};

/// The context a request was made in through the path prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContextScope(pub String);

/// Wraps the API so context-prefixed paths reach the same routes.
pub(crate) fn with_context_paths(api: Router) -> Router {
    let rewriting = api.map_request(rewrite);
    Router::new().fallback_service(rewriting)
}

fn rewrite(mut request: Request) -> Request {
    let path = request.uri().path();
    let Some(rest) = path.strip_prefix("/contexts/") else {
        return request;
    };
    let Some((raw_context, tail)) = rest.split_once('/') else {
        return request;
    };
    let context = normalize_context(&percent_decode(raw_context));
    let segments: Vec<&str> = tail.split('/').collect();
    let qualify = |s: &str| -> String {
        if context == DEFAULT_CONTEXT
            || s.starts_with(":.")
            || s.starts_with("%3A.")
            || s.starts_with("%3a.")
        {
            s.to_owned()
        } else {
            format!(":{context}:{s}")
        }
    };
    let new_path = match segments.as_slice() {
        ["subjects", subject, more @ ..] => join(&["subjects", &qualify(subject)], more),
        ["config"] | ["mode"] if context != DEFAULT_CONTEXT => {
            format!("/{}/:{context}:", segments[0])
        }
        ["config" | "mode", subject, more @ ..] => join(&[segments[0], &qualify(subject)], more),
        ["compatibility", "subjects", subject, more @ ..] => {
            join(&["compatibility", "subjects", &qualify(subject)], more)
        }
        _ => format!("/{tail}"),
    };
    let with_query = match request.uri().query() {
        Some(q) => format!("{new_path}?{q}"),
        None => new_path,
    };
    if let Ok(uri) = with_query.parse::<Uri>() {
        *request.uri_mut() = uri;
    }
    request.extensions_mut().insert(ContextScope(context));
    request
}

fn join(head: &[&str], more: &[&str]) -> String {
    let mut out = String::new();
    for part in head.iter().chain(more) {
        out.push('/');
        out.push_str(part);
    }
    out
}

/// Decodes `%XX` escapes; a context name is plain text in practice, so this
/// only needs to undo what clients escape in path segments.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(path: &str) -> (String, Option<String>) {
        let request = Request::builder()
            .uri(path)
            .body(axum::body::Body::empty())
            .unwrap();
        let out = rewrite(request);
        let scope = out.extensions().get::<ContextScope>().map(|c| c.0.clone());
        (out.uri().to_string(), scope)
    }

    #[test]
    fn context_prefixes_fold_into_subjects() {
        assert_eq!(
            rewritten("/contexts/.prod/subjects/orders/versions?deleted=true").0,
            "/subjects/:.prod:orders/versions?deleted=true"
        );
        assert_eq!(
            rewritten("/contexts/prod/config/orders").0,
            "/config/:.prod:orders"
        );
        assert_eq!(rewritten("/contexts/.prod/config").0, "/config/:.prod:");
        assert_eq!(
            rewritten("/contexts/.prod/compatibility/subjects/o/versions/latest").0,
            "/compatibility/subjects/:.prod:o/versions/latest"
        );
        assert_eq!(
            rewritten("/contexts/.prod/schemas/ids/3"),
            ("/schemas/ids/3".to_owned(), Some(".prod".to_owned()))
        );
        assert_eq!(
            rewritten("/contexts/./subjects/orders").0,
            "/subjects/orders"
        );
        // Not a context-prefixed route.
        assert_eq!(rewritten("/contexts").0, "/contexts");
        assert_eq!(rewritten("/subjects/a").1, None);
    }
}
