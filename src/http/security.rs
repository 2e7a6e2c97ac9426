//! Security headers on every response: a strict Content Security Policy that still lets the
//! map work, and the headers that stop sniffing, framing and leaking full URLs.
//!
//! The map's page has one inline script, its import map. The policy allows it by the SHA-256
//! of its text, computed once from the page as it is embedded, never with `unsafe-inline`:
//! change the import map and the hash follows; inject a script and it does not run.

use std::sync::LazyLock;

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Where the optional OpenStreetMap layer loads its tiles from.
const TILE_ORIGIN: &str = "https://tile.openstreetmap.org";

/// The policy for every response, with the hashes of `index.html`'s inline scripts.
static POLICY: LazyLock<HeaderValue> = LazyLock::new(|| {
    let page = super::assets::page();
    let policy = policy(&inline_scripts(&page));
    HeaderValue::from_str(&policy).expect("the policy is ASCII")
});

/// The Content Security Policy allowing the inline scripts whose texts are given.
fn policy(inline: &[&str]) -> String {
    let mut script_src = "script-src 'self'".to_owned();
    for script in inline {
        let digest = Sha256::digest(script.as_bytes());
        script_src.push_str(" 'sha256-");
        script_src.push_str(&base64::engine::general_purpose::STANDARD.encode(digest));
        script_src.push('\'');
    }
    [
        "default-src 'none'".to_owned(),
        script_src,
        "style-src 'self'".to_owned(),
        format!("img-src 'self' data: {TILE_ORIGIN}"),
        "connect-src 'self'".to_owned(),
        "font-src 'self'".to_owned(),
        "manifest-src 'self'".to_owned(),
        "base-uri 'none'".to_owned(),
        "form-action 'self'".to_owned(),
        "frame-ancestors 'none'".to_owned(),
    ]
    .join("; ")
}

/// The texts of the `<script>` elements of `html` that have no `src`, exactly as the browser
/// hashes them (everything between the start tag's `>` and `</script>`).
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = find_ascii_ci(rest, "<script") {
        rest = &rest[start + "<script".len()..];
        let Some(tag_end) = rest.find('>') else { break };
        let attributes = &rest[..tag_end];
        rest = &rest[tag_end + 1..];
        let Some(end) = find_ascii_ci(rest, "</script") else {
            break;
        };
        if find_ascii_ci(attributes, "src=").is_none() {
            found.push(&rest[..end]);
        }
        rest = &rest[end..];
    }
    found
}

/// Byte offset of the first ASCII-case-insensitive occurrence of `needle` in `haystack`.
fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Adds the security headers to `response`, keeping any a handler set itself.
pub async fn headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let fixed: [(HeaderName, HeaderValue); 5] = [
        (header::CONTENT_SECURITY_POLICY, POLICY.clone()),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        // OpenStreetMap's tile policy asks for the origin; nothing more leaves the site.
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
    ];
    for (name, value) in fixed {
        headers.entry(name).or_insert(value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_found_and_scripts_with_src_skipped() {
        let html = "<head><SCRIPT type=\"importmap\">\n {\"a\": 1}\n</script>\
                    <script type=\"module\" src=\"main.js\"></script>\
                    <script>alert(1)</script ></head>";
        assert_eq!(inline_scripts(html), ["\n {\"a\": 1}\n", "alert(1)"]);
        assert_eq!(inline_scripts("<p>no scripts</p>"), Vec::<&str>::new());
        assert_eq!(inline_scripts("<script>never closed"), Vec::<&str>::new());
    }

    #[test]
    fn the_policy_allows_each_inline_script_by_its_hash_and_nothing_inline_else() {
        // `echo -n 'alert(1)' | openssl dgst -sha256 -binary | base64`
        let p = policy(&["alert(1)"]);
        assert!(
            p.contains("script-src 'self' 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"),
            "{p}"
        );
        assert!(!p.contains("unsafe"), "{p}");
        assert!(p.contains("frame-ancestors 'none'"), "{p}");
        assert!(
            p.contains(&format!("img-src 'self' data: {TILE_ORIGIN}")),
            "{p}"
        );
    }

    #[test]
    fn the_served_page_has_its_import_map_hashed() {
        let page = super::super::assets::page();
        let scripts = inline_scripts(&page);
        assert_eq!(
            scripts.len(),
            1,
            "index.html has one inline script, its import map"
        );
        assert!(scripts[0].contains("\"imports\""), "{}", scripts[0]);
        let policy = POLICY.to_str().expect("ASCII");
        let digest = Sha256::digest(scripts[0].as_bytes());
        let hash = base64::engine::general_purpose::STANDARD.encode(digest);
        assert!(policy.contains(&hash), "{policy}");
    }
}
