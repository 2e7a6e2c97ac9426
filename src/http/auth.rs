//! Editor tokens: `Authorization: Bearer TOKEN`, compared in constant time. Tokens are never
//! logged or echoed, and not even kept: only their SHA-256 digests are.

use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};
use subtle::{ConditionallySelectable, ConstantTimeEq};

use super::problem::ApiError;

/// The editors allowed to write, each with a name recorded on their changes.
#[derive(Clone, Default)]
pub struct Tokens {
    /// Each editor's name and the SHA-256 digest of their token.
    editors: Vec<(String, [u8; 32])>,
}

/// The SHA-256 digest of a token. Comparing digests, which all have the same length, takes the
/// same time whatever the lengths of the token sent and the tokens known, not only whatever
/// their contents.
fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.editors.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Tokens")
            .field("editors", &names)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    /// From `FRONTLINE_TOKEN` (the editor is called `editor`) and the lines of a token file
    /// (`name:token`; blank lines and `#` comments skipped).
    ///
    /// # Errors
    /// A line that is not `name:token`, by number (the token itself is never shown).
    pub fn new(env_token: Option<&str>, file: Option<&str>) -> Result<Self, String> {
        let mut editors = Vec::new();
        if let Some(token) = env_token.map(str::trim).filter(|t| !t.is_empty()) {
            editors.push(("editor".to_owned(), digest(token)));
        }
        for (n, line) in file.unwrap_or("").lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match line.split_once(':') {
                Some((name, token)) if !name.trim().is_empty() && !token.trim().is_empty() => {
                    editors.push((name.trim().to_owned(), digest(token.trim())));
                }
                _ => return Err(format!("line {} is not name:token", n + 1)),
            }
        }
        Ok(Self { editors })
    }

    /// Whether anyone may write at all.
    #[must_use]
    pub fn enabled(&self) -> bool {
        !self.editors.is_empty()
    }

    /// The editor named by the request's bearer token.
    pub fn author(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        if !self.enabled() {
            return Err(ApiError::ReadOnly);
        }
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(ApiError::Unauthorized("send Authorization: Bearer TOKEN"))?;
        // Compare with every token, without branching on the result, so the time taken says
        // neither which one matched nor how nearly.
        let given = digest(given);
        let mut found = u32::MAX;
        for (index, (_, token)) in (0u32..).zip(&self.editors) {
            found.conditional_assign(&index, token.ct_eq(&given));
        }
        usize::try_from(found)
            .ok()
            .and_then(|index| self.editors.get(index))
            .map(|(name, _)| name.clone())
            .ok_or(ApiError::Unauthorized("the token is not valid"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        h
    }

    #[test]
    fn tokens_come_from_the_environment_and_a_file() {
        let t = Tokens::new(
            Some("s3cret"),
            Some("# editors\nalice:a-token\n\nbob: b-token \n"),
        )
        .unwrap();
        assert_eq!(t.author(&bearer("s3cret")).unwrap(), "editor");
        assert_eq!(t.author(&bearer("a-token")).unwrap(), "alice");
        assert_eq!(t.author(&bearer("b-token")).unwrap(), "bob");
        // Neither a prefix, nor a longer token, nor another case matches.
        for wrong in ["nope", "s3cre", "s3crett", "S3CRET", "a-token:b-token"] {
            assert_eq!(
                t.author(&bearer(wrong)),
                Err(ApiError::Unauthorized("the token is not valid")),
                "{wrong}"
            );
        }
        assert_eq!(
            t.author(&HeaderMap::new()),
            Err(ApiError::Unauthorized("send Authorization: Bearer TOKEN"))
        );
        assert!(
            !format!("{t:?}").contains("a-token"),
            "tokens never show in logs"
        );
    }

    #[test]
    fn no_token_means_read_only_and_bad_lines_are_named() {
        let t = Tokens::new(None, None).unwrap();
        assert!(!t.enabled());
        assert_eq!(t.author(&bearer("x")), Err(ApiError::ReadOnly));
        assert_eq!(
            Tokens::new(None, Some("alice:ok\njust-a-token\n")).unwrap_err(),
            "line 2 is not name:token"
        );
    }
}
